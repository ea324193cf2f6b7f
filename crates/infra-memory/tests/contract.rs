//! The port contract, run against the in-memory adapter: the same checks, by the same names,
//! as `infra-postgres` runs against PostgreSQL.

use infra_memory::MemoryStore;

struct Memory;

impl domain_contract::Adapter for Memory {
    type Store = MemoryStore;
    type Keep = ();
    type Gate = MemoryGate;

    async fn setup() -> (MemoryStore, ()) {
        (MemoryStore::new(), ())
    }

    /// Its tables are the store itself: there is nothing to be cut off from.
    fn unreachable() -> Option<MemoryStore> {
        None
    }

    /// Clones share the tables, as processes share a database.
    fn another(store: &MemoryStore, (): &()) -> MemoryStore {
        store.clone()
    }

    fn gate(store: &MemoryStore, (): &()) -> MemoryGate {
        MemoryGate(store.gate())
    }
}

/// The store's gate, as the contract drives it.
struct MemoryGate(infra_memory::Gate);

impl domain_contract::Gate for MemoryGate {
    fn close(&self) {
        self.0.close();
    }

    fn open(&self) {
        self.0.open();
    }

    fn parked(&self) -> usize {
        self.0.parked()
    }

    async fn someone_waits_for_a_guard(&self) -> bool {
        self.0.someone_waits_for_a_guard()
    }
}

domain_contract::contract_tests!(Memory);
