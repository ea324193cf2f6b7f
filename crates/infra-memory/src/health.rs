use domain::RepoError;
use domain::ports::{ConnectionStats, StoreHealth};

use crate::MemoryStore;

/// Always answers: there is no connection to lose.
impl StoreHealth for MemoryStore {
    async fn ping(&self) -> Result<(), RepoError> {
        Ok(())
    }

    fn connections(&self) -> ConnectionStats {
        ConnectionStats::default()
    }
}
