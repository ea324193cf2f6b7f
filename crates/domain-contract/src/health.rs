//! [`domain::ports::StoreHealth`]: a store that is up says so.

use domain::ports::StoreHealth as _;

use crate::Adapter;

pub async fn a_store_that_is_up_answers_a_ping<A: Adapter>() {
    let (store, _keep) = A::setup().await;

    let answered = store.ping().await;
    let connections = store.connections();

    assert!(answered.is_ok(), "{answered:?}");
    assert!(connections.idle <= connections.open && connections.open <= connections.max);
}
