use std::time::Duration;

use chrono::{TimeDelta, Utc};
use domain::PasswordHash;
use domain::ports::{RevocationListener, Sessions, Users};
use domain::session::{IssuedToken, Revocation, Revocations, TokenGeneration, TokenId};

use crate::helpers::{Fixture, new_user};

fn token(fx_user: domain::UserId, bits: u128, generation: u32) -> IssuedToken {
    IssuedToken {
        id: TokenId::from_bits(bits),
        user: fx_user,
        generation: TokenGeneration::new(generation),
        expires_at: Utc::now() + TimeDelta::hours(1),
    }
}

async fn next(listener: &mut impl RevocationListener) -> Revocation {
    tokio::time::timeout(Duration::from_secs(5), listener.next()).await.expect("announced in time").unwrap()
}

#[tokio::test]
async fn a_logout_is_stored_announced_and_refused_by_the_store() {
    let fx = Fixture::new().await;
    let user = fx.store.create_user(new_user("jane@doe.com")).await.unwrap().id;
    let mut listener = fx.store.listen().await.unwrap();
    let (logged_out, other) = (token(user, 7, 0), token(user, 8, 0));
    assert!(fx.store.admits(logged_out).await.unwrap());

    fx.store.revoke(logged_out).await.unwrap();
    fx.store.revoke(logged_out).await.unwrap();

    let announced = next(&mut listener).await;
    assert_eq!(announced, Revocation::Token { id: logged_out.id, expires_at: trunc(logged_out.expires_at) });
    assert!(!fx.store.admits(logged_out).await.unwrap());
    assert!(fx.store.admits(other).await.unwrap());
    let loaded =
        Revocations::from_facts(fx.store.revocations(Utc::now() - TimeDelta::hours(1)).await.unwrap());
    assert!(!loaded.allows(&logged_out));
    assert!(loaded.allows(&other));
}

fn trunc(at: chrono::DateTime<Utc>) -> chrono::DateTime<Utc> {
    chrono::DateTime::from_timestamp(at.timestamp(), 0).unwrap()
}

#[tokio::test]
async fn a_password_change_moves_the_generation_on_and_says_so() {
    let fx = Fixture::new().await;
    let user = fx.store.create_user(new_user("jane@doe.com")).await.unwrap().id;
    let before = token(user, 1, 0);
    let mut listener = fx.store.listen().await.unwrap();

    let changed =
        fx.store.change_password(user, PasswordHash::new("$argon2id$new".to_owned())).await.unwrap().unwrap();
    let generation = changed.token_generation;
    assert_eq!(changed.user.id, user);

    assert_eq!(generation, TokenGeneration::new(1));
    assert!(matches!(next(&mut listener).await,
        Revocation::Generation { user: u, generation: g, .. } if u == user && g == generation));
    let credentials = fx.store.credentials_of(user).await.unwrap().unwrap();
    assert_eq!(credentials.password_hash.as_str(), "$argon2id$new");
    assert_eq!(credentials.token_generation, generation);
    assert!(!fx.store.admits(before).await.unwrap());
    assert!(fx.store.admits(token(user, 2, 1)).await.unwrap());
    let recent =
        Revocations::from_facts(fx.store.revocations(Utc::now() - TimeDelta::hours(1)).await.unwrap());
    assert!(!recent.allows(&before));
    let since_later = fx.store.revocations(Utc::now() + TimeDelta::minutes(1)).await.unwrap();
    assert!(since_later.is_empty(), "{since_later:?}");
}

#[tokio::test]
async fn an_unknown_user_changes_nothing_and_is_admitted_nowhere() {
    let fx = Fixture::new().await;
    let ghost = domain::UserId::new(424_242).unwrap();

    assert_eq!(fx.store.change_password(ghost, PasswordHash::new("x".to_owned())).await.unwrap(), None);
    assert!(!fx.store.admits(token(ghost, 1, 0)).await.unwrap());
}

#[tokio::test]
async fn an_upgraded_hash_replaces_only_the_hash_it_was_made_from() {
    let fx = Fixture::new().await;
    let user = fx.store.create_user(new_user("jane@doe.com")).await.unwrap().id;
    let original = fx.store.credentials_of(user).await.unwrap().unwrap().password_hash;

    fx.store
        .upgrade_hash(
            user,
            PasswordHash::new("not the stored one".to_owned()),
            PasswordHash::new("lost".to_owned()),
        )
        .await
        .unwrap();
    assert_eq!(fx.store.credentials_of(user).await.unwrap().unwrap().password_hash, original);

    fx.store.upgrade_hash(user, original, PasswordHash::new("$argon2id$stronger".to_owned())).await.unwrap();
    let after = fx.store.credentials_of(user).await.unwrap().unwrap();
    assert_eq!(after.password_hash.as_str(), "$argon2id$stronger");
    assert_eq!(after.token_generation, TokenGeneration::new(0), "a rehash ends no session");
}

#[tokio::test]
async fn expired_logouts_are_forgotten_and_live_ones_kept() {
    let fx = Fixture::new().await;
    let user = fx.store.create_user(new_user("jane@doe.com")).await.unwrap().id;
    let mut expired = token(user, 1, 0);
    expired.expires_at = Utc::now() - TimeDelta::hours(2);
    fx.store.revoke(expired).await.unwrap();
    fx.store.revoke(token(user, 2, 0)).await.unwrap();

    assert_eq!(fx.store.forget_expired().await.unwrap(), 1);
    assert_eq!(fx.store.forget_expired().await.unwrap(), 0);
    assert!(!fx.store.admits(token(user, 2, 0)).await.unwrap());
}
