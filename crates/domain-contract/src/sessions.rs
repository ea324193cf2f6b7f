//! [`domain::ports::Sessions`]: revocations stored, announced when they are, and honoured.

use std::time::Duration;

use chrono::{TimeDelta, Utc};
use domain::ports::{RevocationListener, Sessions as _, Users as _};
use domain::session::{IssuedToken, Revocation, Revocations, TokenGeneration, TokenId};
use domain::{PasswordHash, UserId};

use crate::Adapter;
use crate::fixtures::user;

fn token(user: UserId, bits: u128, generation: u32) -> IssuedToken {
    IssuedToken {
        id: TokenId::from_bits(bits),
        user,
        generation: TokenGeneration::new(generation),
        expires_at: Utc::now() + TimeDelta::hours(1),
    }
}

async fn next(listener: &mut impl RevocationListener) -> Revocation {
    tokio::time::timeout(Duration::from_secs(5), listener.next()).await.expect("announced in time").unwrap()
}

pub async fn a_logout_is_stored_announced_and_refused<A: Adapter>() {
    let (store, _keep) = A::setup().await;
    let ada = user(&store, "ada").await;
    let mut listener = store.listen().await.unwrap();
    let (logged_out, other) = (token(ada, 7, 0), token(ada, 8, 0));
    let before = store.admits(logged_out).await.unwrap();

    store.revoke(logged_out, None).await.unwrap();
    store.revoke(logged_out, None).await.unwrap();
    let announced = next(&mut listener).await;

    assert!(before);
    let Revocation::Token { id, expires_at } = announced else { panic!("{announced:?}") };
    assert_eq!(id, logged_out.id);
    assert!((expires_at - logged_out.expires_at).abs() < TimeDelta::seconds(1), "{expires_at}");
    assert!(!store.admits(logged_out).await.unwrap());
    assert!(store.admits(other).await.unwrap());
    let loaded = Revocations::from_facts(store.revocations(Utc::now() - TimeDelta::hours(1)).await.unwrap());
    assert!(!loaded.allows(&logged_out));
    assert!(loaded.allows(&other));
}

pub async fn a_password_change_is_announced_and_ends_the_older_tokens<A: Adapter>() {
    let (store, _keep) = A::setup().await;
    let ada = user(&store, "ada").await;
    let since = Utc::now() - TimeDelta::minutes(1);
    let mut listener = store.listen().await.unwrap();

    let changed =
        store.change_password(ada, PasswordHash::new("new-hash".to_owned()), None).await.unwrap().unwrap();
    let announced = next(&mut listener).await;

    let Revocation::Generation { user, generation, .. } = announced else { panic!("{announced:?}") };
    assert_eq!((user, generation), (ada, changed.token_generation));
    assert!(!store.admits(token(ada, 1, 0)).await.unwrap(), "issued before the change");
    assert!(store.admits(token(ada, 2, generation.get())).await.unwrap());
    assert!(!store.admits(token(ada, 3, generation.get() + 1)).await.unwrap(), "a generation never issued");
    let loaded = Revocations::from_facts(store.revocations(since).await.unwrap());
    assert!(!loaded.allows(&token(ada, 1, 0)));
    assert!(loaded.allows(&token(ada, 2, generation.get())));
    assert!(!loaded.allows(&token(ada, 3, generation.get() + 1)));
}

pub async fn an_unknown_user_is_admitted_nowhere<A: Adapter>() {
    let (store, _keep) = A::setup().await;

    let admitted = store.admits(token(UserId::new(999_999).unwrap(), 1, 0)).await.unwrap();

    assert!(!admitted);
}

pub async fn expired_logouts_are_forgotten_and_live_ones_kept<A: Adapter>() {
    let (store, _keep) = A::setup().await;
    let ada = user(&store, "ada").await;
    let mut expired = token(ada, 1, 0);
    expired.expires_at = Utc::now() - TimeDelta::hours(2);
    store.revoke(expired, None).await.unwrap();
    store.revoke(token(ada, 2, 0), None).await.unwrap();

    let forgotten = store.forget_expired().await.unwrap();

    assert_eq!(forgotten, 1);
    assert_eq!(store.forget_expired().await.unwrap(), 0);
    assert!(!store.admits(token(ada, 2, 0)).await.unwrap());
}
