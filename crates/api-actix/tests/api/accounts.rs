use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{PASSWORD, assert_error, spawn_app, spawn_memory_app};

#[actix_web::test]
async fn an_address_that_only_looks_like_a_taken_one_is_refused_and_one_that_is_it_is_a_conflict() {
    let app = spawn_memory_app().await;
    let register = async |email: &str| {
        let body = json!({"email": email, "password": PASSWORD, "firstName": "John", "lastName": "Doe"});
        app.post("/register", &body, None).await
    };
    assert_eq!(register("john@doe.com").await.status, StatusCode::CREATED);

    // Invisible characters, a right-to-left override, a Cyrillic letter among Latin ones.
    for look_alike in ["john\u{200b}@doe.com", "\u{202e}john@doe.com", "\u{0458}ohn@doe.com"] {
        assert_error(&register(look_alike).await, StatusCode::BAD_REQUEST, "\"email\" must be a valid email");
    }
    // Full-width letters are the same address once normalised: John's, so taken.
    assert_error(
        &register("ｊｏｈｎ@doe.com").await,
        StatusCode::CONFLICT,
        "A user with this email already exists",
    );
    let login = app.post("/login", &json!({"email": "ＪＯＨＮ@doe.com", "password": PASSWORD}), None).await;
    assert_eq!(login.status, StatusCode::OK, "{login:?}");
}

#[actix_web::test]
async fn registering_returns_the_user_without_any_password() {
    let app = spawn_memory_app().await;

    let answer = app
        .post("/register", &json!({"email": "Ada@Example.com", "password": PASSWORD, "firstName": "Ada", "lastName": "Lovelace"}), None)
        .await;

    assert_eq!(answer.status, StatusCode::CREATED, "{answer:?}");
    let user = &answer.body["user"];
    assert!(user["id"].as_i64().unwrap() > 0);
    assert_eq!(
        (&user["email"], &user["firstName"], &user["lastName"]),
        (&json!("ada@example.com"), &json!("Ada"), &json!("Lovelace"))
    );
    assert!(!answer.body.to_string().contains(PASSWORD));
}

#[actix_web::test]
async fn an_address_that_is_taken_in_any_case_is_a_conflict() {
    let app = spawn_memory_app().await;
    app.user("ada").await;

    let again = app
        .post(
            "/register",
            &json!({"email": "ADA@example.com", "password": PASSWORD, "firstName": "A", "lastName": "B"}),
            None,
        )
        .await;

    assert_error(&again, StatusCode::CONFLICT, "A user with this email already exists");
}

#[actix_web::test]
async fn registration_refuses_bad_addresses_short_passwords_and_missing_names() {
    let app = spawn_memory_app().await;
    let cases = [
        (
            json!({"email": "not-an-email", "password": PASSWORD, "firstName": "A", "lastName": "B"}),
            "\"email\" must be a valid email",
        ),
        (
            json!({"email": "a@b.com", "password": "short", "firstName": "A", "lastName": "B"}),
            "\"password\" length must be at least 8 characters long",
        ),
        (json!({"email": "a@b.com", "password": PASSWORD, "lastName": "B"}), "\"firstName\" is required"),
    ];
    for (body, message) in cases {
        assert_error(&app.post("/register", &body, None).await, StatusCode::BAD_REQUEST, message);
    }
}

#[actix_web::test]
async fn the_right_password_returns_a_token() {
    let app = spawn_memory_app().await;
    app.user("ada").await;

    let answer = app.post("/login", &json!({"email": "ada@example.com", "password": PASSWORD}), None).await;

    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.body["token"].as_str().unwrap().split('.').count(), 3);
}

#[actix_web::test]
async fn the_documented_username_field_works_as_the_email() {
    let app = spawn_memory_app().await;
    app.user("ada").await;

    let answer =
        app.post("/login", &json!({"username": "ada@example.com", "password": PASSWORD}), None).await;

    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
}

#[actix_web::test]
async fn a_wrong_password_and_an_unknown_address_get_the_same_401() {
    let app = spawn_memory_app().await;
    app.user("ada").await;

    let wrong =
        app.post("/login", &json!({"email": "ada@example.com", "password": "wrong-password"}), None).await;
    let unknown =
        app.post("/login", &json!({"email": "nobody@example.com", "password": PASSWORD}), None).await;

    assert_error(&wrong, StatusCode::UNAUTHORIZED, "Invalid email or password");
    assert_eq!(wrong.body, unknown.body);
    assert_eq!(wrong.status, unknown.status);
}

#[actix_web::test]
async fn login_refuses_missing_fields_and_malformed_addresses() {
    let app = spawn_memory_app().await;
    assert_error(
        &app.post("/login", &json!({"password": PASSWORD}), None).await,
        StatusCode::BAD_REQUEST,
        "\"email\" is required",
    );
    assert_error(
        &app.post("/login", &json!({"email": "a@b.com"}), None).await,
        StatusCode::BAD_REQUEST,
        "\"password\" is required",
    );
    assert_error(
        &app.post("/login", &json!({"email": "nope", "password": PASSWORD}), None).await,
        StatusCode::BAD_REQUEST,
        "\"email\" must be a valid email",
    );
}

#[actix_web::test]
async fn the_seeded_demo_users_log_in_with_the_originals_password() {
    let app = spawn_app().await;
    let config = ticketing::app::config::Config::from_lookup(|_| None).unwrap();
    let store = ticketing::app::wiring::store(app.db().url(), &config.database).unwrap();
    let accounts = ticketing::app::wiring::accounts(&store, &config.auth).unwrap();

    let first = ticketing::app::seed::seed(&accounts, &store).await.unwrap();
    let second = ticketing::app::seed::seed(&accounts, &store).await.unwrap();

    assert_eq!((first.users, first.events), (10, 4));
    assert_eq!((second.users, second.events), (0, 0), "seeding twice adds nothing");
    for email in ["kaneeldias@gmail.com", "john@doe.com", "grace@example.com"] {
        let login = app.post("/login", &json!({"email": email, "password": "abcd@123"}), None).await;
        assert_eq!(login.status, StatusCode::OK, "{email}: {login:?}");
    }
    let free = app.get("/status/3").await;
    assert_eq!(free.body["event"]["price"], json!(0), "the free demo event: {free:?}");
}
