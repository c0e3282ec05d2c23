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

#[test]
fn two_factor_login_asks_for_a_code_and_passes_in_three_requests() {
    let s = session();
    let log = Captured::attach(&s);
    let ui = first_step(
        &s,
        json!({"username": env("MWAUTH_TEST_TOTP2_USER"), "password": env("MWAUTH_TEST_TOTP2_PASSWORD")}),
    )
    .unwrap();
    assert_eq!(ui["status"], "UI", "{ui}");
    assert_eq!(ui["messagecode"], "oathauth-auth-ui");
    assert_eq!(ui["fields"]["OATHToken"]["type"], "string");
    assert_eq!(s.info().unwrap()["logged_in"], json!(false));
    let pass = step(
        &s,
        json!({"OATHToken": totp(&env("MWAUTH_TEST_TOTP2_SECRET"), 0)}),
    )
    .unwrap();
    assert_eq!(pass["status"], "PASS", "{pass}");
    assert_eq!(log.exchanges().len(), 3, "{:#?}", log.exchanges());
    assert_eq!(user_name(&s), env("MWAUTH_TEST_TOTP2_USER"));
}

#[test]
fn a_wrong_code_gets_another_ui_and_the_right_one_passes() {
    let s = session();
    let user = env("MWAUTH_TEST_TOTP_USER");
    let ui = first_step(
        &s,
        json!({"username": user, "password": env("MWAUTH_TEST_TOTP_PASSWORD")}),
    )
    .unwrap();
    assert_eq!(ui["status"], "UI");
    let again = step(&s, json!({"OATHToken": "000000"})).unwrap();
    assert_eq!(again["status"], "UI", "{again}");
    assert_eq!(again["messagecode"], "oathauth-login-failed");
    let pass = step(
        &s,
        json!({"OATHToken": totp(&env("MWAUTH_TEST_TOTP_SECRET"), 0)}),
    )
    .unwrap();
    assert_eq!(pass["status"], "PASS", "{pass}");
    assert_eq!(pass["username"], json!(user));
    assert_eq!(s.info().unwrap()["auth"], "clientlogin");
    let edit = request(&s, json!({"params": {"action": "edit", "title": "Two-factor edit", "text": "x"}, "token": "csrf"}))
        .unwrap();
    assert_eq!(edit["edit"]["result"], "Success");
}

fn captcha_field(out: &Value) -> Option<(&str, &str)> {
    let fields = &out["fields"];
    Some((
        fields["captchaId"]["value"].as_str()?,
        fields["captchaInfo"]["value"].as_str()?,
    ))
}

#[test]
fn a_captcha_demanded_after_a_bad_login_is_shown_and_answered() {
    let s = session();
    let user = env("MWAUTH_TEST_CAPTCHA_USER");
    let password = env("MWAUTH_TEST_CAPTCHA_PASSWORD");
    let e = first_step(&s, json!({"username": user, "password": "wrong"})).unwrap_err();
    assert_eq!(e.code(), "wrongpassword");
    // The right password alone still fails: the wiki now wants a captcha, and shows it.
    let e = first_step(&s, json!({"username": user, "password": password})).unwrap_err();
    assert_eq!(e.code(), "wrongpassword");
    let out = e.to_json();
    let (_, question) =
        captcha_field(&out).unwrap_or_else(|| panic!("no captcha in the FAIL output: {out}"));
    assert!(
        question.contains(&env("MWAUTH_TEST_CAPTCHA_QUESTION")),
        "{question}"
    );
    assert_eq!(out["fields"]["captchaWord"]["type"], "string");
    // mw_clientlogin_fields shows it too (a new one), and answering it logs in.
    let form = s.clientlogin_fields(MessageFormat::Wikitext).unwrap();
    let (id, _) = captcha_field(&form).unwrap_or_else(|| panic!("no captcha in the form: {form}"));
    assert!(!id.is_empty());
    let pass = first_step(
        &s,
        json!({"username": user, "password": password, "captchaWord": env("MWAUTH_TEST_CAPTCHA_ANSWER")}),
    )
    .unwrap();
    assert_eq!(pass["status"], "PASS", "{pass}");
    assert_eq!(user_name(&s), user);
}

#[test]
fn a_wrong_captcha_answer_fails_and_brings_a_new_captcha() {
    let s = session();
    let user = env("MWAUTH_TEST_CAPTCHA2_USER");
    let password = env("MWAUTH_TEST_CAPTCHA2_PASSWORD");
    let _ = first_step(&s, json!({"username": user, "password": "wrong"}));
    let e = first_step(&s, json!({"username": user, "password": password})).unwrap_err();
    let (first_id, _) = captcha_field(&e.to_json())
        .map(|(i, q)| (i.to_string(), q.to_string()))
        .unwrap();
    let e = first_step(
        &s,
        json!({"username": user, "password": password, "captchaWord": "41"}),
    )
    .unwrap_err();
    assert_eq!(e.code(), "wrongpassword");
    let out = e.to_json();
    let (second_id, _) = captcha_field(&out).unwrap();
    assert_ne!(first_id, second_id, "a captcha is used once");
    let pass = first_step(
        &s,
        json!({"username": user, "password": password, "captchaWord": "42"}),
    )
    .unwrap();
    assert_eq!(pass["status"], "PASS");
}

fn query_param<'a>(url: &'a str, name: &str) -> Option<&'a str> {
    url.split_once('?')?
        .1
        .split('&')
        .find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
}

#[test]
fn redirect_continue_pass_through_a_third_party() {
    let s = session();
    let redirect = first_step(
        &s,
        json!({"mwauthtestLogin": true, "returnurl": "http://127.0.0.1/mwauth-return"}),
    )
    .unwrap();
    assert_eq!(redirect["status"], "REDIRECT", "{redirect}");
    let target = redirect["redirecttarget"].as_str().unwrap();
    assert!(target.starts_with(&env("MWAUTH_TEST_IDP_URL")), "{target}");
    // The test plays the third party: it sends the user back with a code and the state.
    let state = query_param(target, "state").unwrap();
    let pass = step(
        &s,
        json!({"mwauthtestCode": env("MWAUTH_TEST_REDIRECT_CODE"), "mwauthtestState": state}),
    )
    .unwrap();
    assert_eq!(pass["status"], "PASS", "{pass}");
    assert_eq!(pass["username"], json!(env("MWAUTH_TEST_REDIRECT_USER")));
    assert_eq!(user_name(&s), env("MWAUTH_TEST_REDIRECT_USER"));

    // The hidden state field of the REDIRECT answer goes back by itself when not given.
    let s = session();
    first_step(&s, json!({"mwauthtestLogin": true})).unwrap();
    let pass = step(
        &s,
        json!({"mwauthtestCode": env("MWAUTH_TEST_REDIRECT_CODE")}),
    )
    .unwrap();
    assert_eq!(pass["status"], "PASS", "{pass}");

    // A wrong code: FAIL, and the flow is over.
    let s = session();
    first_step(&s, json!({"mwauthtestLogin": true})).unwrap();
    let e = step(&s, json!({"mwauthtestCode": "wrong"})).unwrap_err();
    assert_eq!(
        (e.kind(), e.code()),
        (ErrorKind::Login, "mwauthtestauth-wrong-code")
    );
    assert_eq!(step(&s, json!({})).unwrap_err().code(), "no_flow");
}

#[test]
fn restart_when_the_third_party_account_is_not_linked() {
    let s = session();
    first_step(&s, json!({"mwauthtestLogin": true})).unwrap();
    let e = step(
        &s,
        json!({"mwauthtestCode": env("MWAUTH_TEST_RESTART_CODE")}),
    )
    .unwrap_err();
    assert_eq!(
        (e.kind(), e.code()),
        (ErrorKind::Login, "authmanager-authn-no-local-user")
    );
    let out = e.to_json();
    assert_eq!(out["status"], "RESTART");
    assert!(out["requests"].is_array(), "{out}");
    assert_eq!(
        step(&s, json!({})).unwrap_err().code(),
        "no_flow",
        "RESTART ends the flow"
    );
    // Start again, with another account.
    let (user, password) = human();
    let pass = first_step(
        &s,
        json!({"username": user, "password": password, "preservestate": true}),
    )
    .unwrap();
    assert_eq!(pass["status"], "PASS", "{pass}");
}
