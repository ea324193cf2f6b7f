//! [`domain::ports::Users`]: accounts, unique by e-mail address.

use domain::ports::Users as _;
use domain::session::TokenGeneration;
use domain::{PasswordHash, RegisterError, UserId};

use crate::Adapter;
use crate::fixtures::{email, new_user};

pub async fn an_email_address_has_one_account_even_when_registered_at_once<A: Adapter>() {
    let (store, _keep) = A::setup().await;

    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move { store.create_user(new_user("ada"), None).await })
        })
        .collect();
    let mut created = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => created += 1,
            Err(RegisterError::EmailTaken) => {}
            Err(e) => panic!("{e:?}"),
        }
    }
    let shouted = domain::NewUser {
        email: domain::EmailAddress::parse("ADA@Contract.Example").unwrap(),
        ..new_user("x")
    };
    let again = store.create_user(shouted, None).await;

    assert_eq!(created, 1);
    assert!(matches!(again, Err(RegisterError::EmailTaken)), "compared case-insensitively: {again:?}");
}

pub async fn accounts_are_found_by_email_and_id<A: Adapter>() {
    let (store, _keep) = A::setup().await;
    let ada = store.create_user(new_user("ada"), None).await.unwrap();
    let nobody = UserId::new(999_999).unwrap();

    let by_email = store.credentials(email("ada")).await.unwrap().unwrap();
    let by_id = store.credentials_of(ada.id).await.unwrap().unwrap();

    assert_eq!(by_email, by_id);
    assert_eq!(by_email.user, ada);
    assert_eq!(by_email.password_hash, PasswordHash::new("hash-of-ada".to_owned()));
    assert_eq!(by_email.token_generation, TokenGeneration::default());
    assert_eq!(store.find(ada.id).await.unwrap(), Some(ada));
    assert!(store.credentials(email("bob")).await.unwrap().is_none());
    assert!(store.credentials_of(nobody).await.unwrap().is_none());
    assert!(store.find(nobody).await.unwrap().is_none());
}

pub async fn a_password_change_moves_the_token_generation_on<A: Adapter>() {
    let (store, _keep) = A::setup().await;
    let ada = store.create_user(new_user("ada"), None).await.unwrap();
    let new_hash = PasswordHash::new("a-new-hash".to_owned());

    let signed_in = store.change_password(ada.id, new_hash.clone(), None).await.unwrap().unwrap();
    let unknown = store.change_password(UserId::new(999_999).unwrap(), new_hash.clone(), None).await.unwrap();

    assert_eq!(signed_in.user, ada);
    assert!(signed_in.token_generation > TokenGeneration::default());
    let stored = store.credentials_of(ada.id).await.unwrap().unwrap();
    assert_eq!((stored.password_hash, stored.token_generation), (new_hash, signed_in.token_generation));
    assert!(unknown.is_none());
}

pub async fn a_hash_upgrade_loses_to_a_password_change<A: Adapter>() {
    let (store, _keep) = A::setup().await;
    let ada = store.create_user(new_user("ada"), None).await.unwrap();
    let original = PasswordHash::new("hash-of-ada".to_owned());
    let stronger = PasswordHash::new("stronger-hash-of-ada".to_owned());
    let changed = PasswordHash::new("hash-of-a-new-password".to_owned());

    store.upgrade_hash(ada.id, original.clone(), stronger.clone()).await.unwrap();
    let upgraded = store.credentials_of(ada.id).await.unwrap().unwrap();
    store.change_password(ada.id, changed.clone(), None).await.unwrap();
    store.upgrade_hash(ada.id, stronger.clone(), PasswordHash::new("late".to_owned())).await.unwrap();

    assert_eq!(upgraded.password_hash, stronger);
    assert_eq!(upgraded.token_generation, TokenGeneration::default(), "an upgrade revokes nothing");
    assert_eq!(store.credentials_of(ada.id).await.unwrap().unwrap().password_hash, changed);
}
