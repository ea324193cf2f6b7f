//! The port contract, run against the in-memory adapter: the same checks, by the same names,
//! as `infra-postgres` runs against PostgreSQL.

use infra_memory::MemoryStore;

struct Memory;

impl domain_contract::Adapter for Memory {
    type Store = MemoryStore;
    type Keep = ();

    async fn setup() -> (MemoryStore, ()) {
        (MemoryStore::new(), ())
    }

    /// Its tables are the store itself: there is nothing to be cut off from.
    fn unreachable() -> Option<MemoryStore> {
        None
    }
}

domain_contract::contract_tests!(Memory);
