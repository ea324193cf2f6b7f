//! [`domain::ports::StoreHealth`]: a store that is up says so, and one that cannot reach its
//! storage says that instead.

use domain::RepoError;
use domain::ports::StoreHealth as _;

use crate::Adapter;

pub async fn a_store_answers_a_ping_only_while_it_reaches_its_storage<A: Adapter>() {
    let (store, _keep) = A::setup().await;

    let answered = store.ping().await;
    let connections = store.connections();

    assert!(answered.is_ok(), "{answered:?}");
    assert!(connections.idle <= connections.open && connections.open <= connections.max);
    // `None` only for an adapter whose storage is itself (memory): it cannot be cut off.
    if let Some(down) = A::unreachable() {
        let refused = down.ping().await;
        assert!(
            matches!(refused, Err(RepoError::Unavailable(_))),
            "a store that is down answered {refused:?}"
        );
    }
}
