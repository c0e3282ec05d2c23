//! Sessions that must never pass as another account, a temporary one included, against the
//! real test wiki. On MediaWiki 1.43 the test wiki has temporary accounts on (an anonymous edit
//! makes the session a `~2026-N` user's, and such a user passes `assert=user`); 1.39 has none.
//! The library's defence is `assertuser` with the name it knows (abi.md, "Temporary accounts").

mod common;

use common::*;
use serde_json::{Value, json};
use std::path::Path;

fn release() -> String {
    env("MWAUTH_TEST_MW_VERSION")
}

/// An anonymous edit from a session saved to `file`; on 1.43 it makes the file a temporary
/// account's. Returns the edit's answer.
fn anonymous_edit(file: &Path, title: &str) -> Value {
    let s = with_file(file, json!({}));
    let out = request(
        &s,
        json!({"params": {"action": "edit", "title": title, "text": "anonymous"}, "token": "csrf"}),
    )
    .expect("an anonymous edit");
    assert_eq!(out["edit"]["result"], "Success", "{out}");
    let info = s.info().unwrap();
    if release() == "1.43" {
        assert_eq!(out["edit"]["tempusercreated"], json!(true), "{out}");
        // The wiki's word that the session is a temporary account's, but never its identity.
        assert_eq!(info["temp"], json!(true), "{info}");
        assert_eq!(info["username"], Value::Null, "{info}");
        assert_ne!(info["logged_in"], json!(true), "{info}");
    } else {
        assert_eq!(
            out["edit"].get("tempusercreated"),
            None,
            "1.39 has no temporary accounts: {out}"
        );
        assert_eq!(info["temp"], json!(false));
    }
    out
}

/// Who made the latest revision of `title`.
fn last_editor(title: &str) -> String {
    let s = session();
    let out = request(
        &s,
        json!({"params": {"action": "query", "prop": "revisions", "titles": title, "rvprop": "user"}}),
    )
    .unwrap();
    out["query"]["pages"][0]["revisions"][0]["user"]
        .as_str()
        .unwrap_or_else(|| panic!("no revision of {title}: {out}"))
        .to_string()
}

#[test]
fn a_bot_session_whose_cookies_became_a_temporary_accounts_logs_in_again_as_the_bot() {
    let dir = temp_dir("became-temp");
    let file = dir.join("cookies.txt");
    anonymous_edit(&file, "Temporary account page");
    if release() == "1.43" {
        // The file is a temporary account's: without assertuser it passes assert=user.
        let curl = std::process::Command::new("curl")
            .args(["-sS", "-b", file.to_str().unwrap()])
            .arg(format!(
                "{}?action=query&meta=userinfo&assert=user&format=json&formatversion=2",
                api_url()
            ))
            .output()
            .expect("curl runs");
        let out = String::from_utf8_lossy(&curl.stdout);
        assert!(out.contains("\"temp\":true"), "{out}");
    }

    // A bot resumed from that file: it knows its name from bot_password, so the wiki refuses
    // the temporary account's session and the library logs in as the bot.
    let s = with_file(&file, json!({"bot_password": bot_password()}));
    let log = Captured::attach(&s);
    assert_eq!(user_name(&s), "MwBot");
    assert_eq!(log.count("action=login"), 1, "{:#?}", log.lines());
    // 1.43: a temporary account's session passes assert=user and fails only assertuser;
    // 1.39: the anonymous edit left an anonymous session, which fails assert=user.
    let refusal = if release() == "1.43" {
        "assertnameduserfailed"
    } else {
        "assertuserfailed"
    };
    assert_eq!(
        log.count(&format!("the wiki dropped the session ({refusal})")),
        1,
        "{:#?}",
        log.lines()
    );
    let first = &log.exchanges()[0];
    assert!(
        first.contains("assert=user") && first.contains("assertuser=MwBot"),
        "{first}"
    );
    let out = request(
        &s,
        json!({"params": {"action": "edit", "title": "Temporary account page", "text": "the bot's"},
               "token": "csrf"}),
    )
    .unwrap();
    assert_eq!(out["edit"]["result"], "Success", "{out}");
    assert_eq!(last_editor("Temporary account page"), "MwBot");
    assert_eq!(log.count("action=login"), 1, "{:#?}", log.lines());
    let info = s.info().unwrap();
    assert_eq!(
        (&info["username"], &info["temp"], &info["auth"]),
        (&json!("MwBot"), &json!(false), &json!("botpassword"))
    );
}

#[test]
fn a_bot_session_resumed_from_another_accounts_cookies_logs_in_again_as_the_bot() {
    let dir = temp_dir("other-account");
    let file = dir.join("cookies.txt");
    {
        let s = with_file(&file, json!({}));
        s.login(&plain()).unwrap();
    }
    let s = with_file(&file, json!({"bot_password": bot_password()}));
    let log = Captured::attach(&s);
    assert_eq!(user_name(&s), "MwBot");
    assert_eq!(log.count("action=login"), 1, "{:#?}", log.lines());
}

#[test]
fn a_resumed_session_learns_its_user_from_userinfo_and_then_asserts_it() {
    let dir = temp_dir("learns");
    let file = dir.join("cookies.txt");
    {
        let s = with_file(&file, json!({}));
        s.login(&bot()).unwrap();
    }
    let s = with_file(&file, json!({}));
    assert_eq!(s.info().unwrap()["username"], Value::Null);
    let log = Captured::attach(&s);
    assert_eq!(user_name(&s), "MwBot");
    assert_eq!(s.info().unwrap()["username"], "MwBot");
    let out = request(
        &s,
        json!({"params": {"action": "query", "meta": "siteinfo"}}),
    )
    .unwrap();
    assert!(out["query"]["general"].is_object());
    let exchanges = log.exchanges();
    assert!(!exchanges[0].contains("assertuser="), "{exchanges:#?}");
    assert!(exchanges[1].contains("assertuser=MwBot"), "{exchanges:#?}");
}

#[test]
fn a_logged_in_session_asserts_its_user_and_a_callers_own_assertuser_wins() {
    let s = session();
    s.login(&bot()).unwrap();
    let log = Captured::attach(&s);
    assert_eq!(user_name(&s), "MwBot");
    assert!(log.exchanges()[0].contains("assertuser=MwBot"));
    let e = request(
        &s,
        json!({"params": {"action": "query", "meta": "userinfo", "assertuser": "MwPlain"}}),
    )
    .unwrap_err();
    assert_eq!(e.code(), "assertnameduserfailed");
    assert_eq!(log.count("action=login"), 0, "{:#?}", log.lines());
    assert_eq!(s.info().unwrap()["logged_in"], json!(true));
}
