//! action=clientlogin against the real test wiki: password, two-factor, captcha, REDIRECT and
//! RESTART (the last two through the test-only extension tests/wiki/extensions/MwauthTestAuth).

mod common;

use common::*;
use mwauth::{ClientLoginRequest, ErrorKind, FormValues, MessageFormat, Session};
use serde_json::{Value, json};

fn first_step(s: &Session, request: Value) -> mwauth::Result<Value> {
    s.clientlogin(&ClientLoginRequest::from_json(&request).unwrap())
}

fn step(s: &Session, fields: Value) -> mwauth::Result<Value> {
    s.clientlogin_step(&FormValues::from_json(&fields).unwrap())
}

fn human() -> (String, String) {
    (
        env("MWAUTH_TEST_HUMAN_USER"),
        env("MWAUTH_TEST_HUMAN_PASSWORD"),
    )
}

#[test]
fn the_form_describes_username_and_password() {
    let s = session();
    let form = s.clientlogin_fields(MessageFormat::Wikitext).unwrap();
    assert_eq!(form["fields"]["username"]["type"], "string");
    assert_eq!(form["fields"]["password"]["type"], "password");
    assert_eq!(form["fields"]["password"]["sensitive"], json!(true));
    assert!(form["requests"].as_array().unwrap().iter().any(|r| {
        r["id"]
            .as_str()
            .unwrap()
            .ends_with("PasswordAuthenticationRequest")
    }));
    let raw = s.clientlogin_fields(MessageFormat::Raw).unwrap();
    assert!(
        raw["fields"]["username"]["label"]["key"].is_string(),
        "{raw}"
    );
}

#[test]
fn a_password_login_passes_in_two_requests_and_the_session_works() {
    let (user, password) = human();
    let s = session();
    let log = Captured::attach(&s);
    let out = first_step(&s, json!({"username": user, "password": password})).unwrap();
    assert_eq!(out["status"], "PASS", "{out}");
    assert_eq!(out["username"], json!(user));
    assert_eq!(log.exchanges().len(), 2, "{:#?}", log.exchanges());
    let info = s.info().unwrap();
    assert_eq!(info["auth"], "clientlogin");
    assert_eq!(info["logged_in"], json!(true));
    assert_eq!(info["userid"], Value::Null);
    assert_eq!(user_name(&s), user);
    let edit = request(&s, json!({"params": {"action": "edit", "title": "Clientlogin edit", "text": "x"}, "token": "csrf"}))
        .unwrap();
    assert_eq!(edit["edit"]["result"], "Success");
    // Fields first, then the login: still two requests, the form's token reused.
    let s = session();
    let log = Captured::attach(&s);
    s.clientlogin_fields(MessageFormat::None).unwrap();
    first_step(
        &s,
        json!({"username": user, "password": password, "rememberMe": false}),
    )
    .unwrap();
    assert_eq!(log.exchanges().len(), 2, "{:#?}", log.exchanges());
}

#[test]
fn a_wrong_password_fails_with_the_form_to_try_again() {
    let (user, _) = human();
    let s = session();
    let e = first_step(
        &s,
        json!({"username": user, "password": "not the password"}),
    )
    .unwrap_err();
    assert_eq!((e.kind(), e.code()), (ErrorKind::Login, "wrongpassword"));
    let out = e.to_json();
    assert_eq!(out["status"], "FAIL");
    assert_eq!(out["messagecode"], "wrongpassword");
    assert!(out["fields"]["password"].is_object(), "{out}");
    assert!(!out.to_string().contains("not the password"));
    assert_eq!(s.info().unwrap()["logged_in"], json!(false));
    // The flow is over.
    let e = step(&s, json!({"OATHToken": "123456"})).unwrap_err();
    assert_eq!((e.kind(), e.code()), (ErrorKind::State, "no_flow"));
}

#[test]
fn a_step_without_a_flow_is_a_state_error() {
    let s = session();
    let e = step(&s, json!({})).unwrap_err();
    assert_eq!((e.kind(), e.code()), (ErrorKind::State, "no_flow"));
    let (user, password) = human();
    first_step(&s, json!({"username": user, "password": password})).unwrap();
    let e = step(&s, json!({})).unwrap_err();
    assert_eq!(e.code(), "no_flow", "a PASS ends the flow");
}

#[test]
fn a_clientlogin_replaces_a_bot_password_session() {
    let s = session();
    s.login(&bot()).unwrap();
    let (user, password) = human();
    let out = first_step(&s, json!({"username": user, "password": password})).unwrap();
    assert_eq!(out["status"], "PASS");
    assert_eq!(user_name(&s), user);
}
