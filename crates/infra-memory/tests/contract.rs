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
}

domain_contract::contract_tests!(Memory);
