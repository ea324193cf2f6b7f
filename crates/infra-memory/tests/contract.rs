//! The port contract, run against the in-memory adapter: the same checks, by the same names,
//! as `infra-postgres` runs against PostgreSQL.

use std::future::Future;
use std::sync::Arc;

use domain::idempotency::IdempotencyScope;
use infra_memory::MemoryStore;

struct Memory;

impl domain_contract::Adapter for Memory {
    type Store = MemoryStore;
    type Keep = ();

    async fn setup() -> (MemoryStore, ()) {
        (MemoryStore::new(), ())
    }

    fn within<F: Future + Send>(
        scope: Arc<IdempotencyScope>,
        work: F,
    ) -> impl Future<Output = F::Output> + Send {
        infra_memory::within(scope, work)
    }
}

domain_contract::contract_tests!(Memory);
