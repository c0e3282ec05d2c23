//! Bot-password login and authenticated requests against the real test wiki.

mod common;

use common::*;
use mwauth::{ApiRequest, Config, Credentials, ErrorKind, LogLevel, Session};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[test]
fn bot_logs_in_and_session_info_says_so() {
    let s = session();
    assert_eq!(s.info().unwrap()["logged_in"], json!(false));
    let out = s.login(&bot()).unwrap();
    assert_eq!(out["status"], "PASS");
    assert_eq!(out["username"], "MwBot");
    assert!(out["userid"].as_u64().unwrap() > 0);
    assert!(
        out.get("warnings").is_none(),
        "a bot-password login has no warnings: {out}"
    );
    let info = s.info().unwrap();
    assert_eq!(info["logged_in"], json!(true));
    assert_eq!(info["username"], "MwBot");
    assert_eq!(info["userid"], out["userid"]);
    assert_eq!(info["auth"], "botpassword");
    let me = userinfo(&s).unwrap();
    assert_eq!(me["query"]["userinfo"]["name"], "MwBot");
    assert!(
        me["query"]["userinfo"]["groups"]
            .as_array()
            .unwrap()
            .contains(&json!("bot"))
    );
}

#[test]
fn a_login_is_two_requests_and_tokens_are_fetched_only_when_needed() {
    let s = session();
    let log = Captured::attach(&s);
    s.login(&bot()).unwrap();
    let exchanges = log.exchanges();
    assert_eq!(exchanges.len(), 2, "{exchanges:#?}");
    assert!(exchanges[0].starts_with("GET ") && exchanges[0].contains("type=login"));
    assert!(exchanges[1].starts_with("POST ") && exchanges[1].contains("action=login"));
    // Nothing fetched eagerly: the first edit fetches its csrf token, the second reuses it.
    log.clear();
    for text in ["one", "two"] {
        request(
            &s,
            json!({"params": {"action": "edit", "title": "Token cache", "text": text}, "token": "csrf"}),
        )
        .unwrap();
    }
    let exchanges = log.exchanges();
    assert_eq!(exchanges.len(), 3, "{exchanges:#?}");
    assert!(exchanges[0].contains("type=csrf"));
}

#[test]
fn wrong_password_is_refused_with_the_wikis_reason() {
    let s = session();
    let wrong = Credentials::new(
        &env("MWAUTH_TEST_BOT_USER"),
        "00000000000000000000000000000000",
    );
    let e = s.login(&wrong).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Login);
    assert_eq!(e.code(), "Failed");
    assert_eq!(e.object()["reason"], "wrongpassword");
    assert!(e.info().contains("Incorrect"), "{}", e.info());
    let info = s.info().unwrap();
    assert_eq!(info["logged_in"], json!(false));
    assert_eq!(info["auth"], Value::Null);
    // Anonymous, and no credentials kept: nothing to log in again with.
    assert_eq!(
        userinfo(&s).unwrap()["query"]["userinfo"]["anon"],
        json!(true)
    );
}

#[test]
fn malformed_bot_passwords_are_refused() {
    let s = session();
    let user = env("MWAUTH_TEST_BOT_USER");
    let good = env("MWAUTH_TEST_BOT_PASSWORD");
    for password in [
        good.to_uppercase(),
        good[..20].to_string(),
        format!("{good}x"),
    ] {
        let e = s.login(&Credentials::new(&user, &password)).unwrap_err();
        assert_eq!((e.kind(), e.code()), (ErrorKind::Login, "Failed"), "{e:?}");
        assert_eq!(e.object()["reason"], "wrongpassword");
        assert!(!e.to_json().to_string().contains(&password));
    }
    let e = s
        .login(&Credentials::new("MwBot@noSuchApp", &good))
        .unwrap_err();
    assert_eq!(e.object()["reason"], "wrongpassword");
}

#[test]
fn a_main_account_login_passes_with_the_wikis_deprecation_warning() {
    let s = session();
    let out = s
        .login(&Credentials::new(
            &env("MWAUTH_TEST_HUMAN_USER"),
            &env("MWAUTH_TEST_HUMAN_PASSWORD"),
        ))
        .unwrap();
    assert_eq!(out["username"], "MwHuman");
    let warnings = out["warnings"].to_string();
    assert!(warnings.contains("deprecat"), "{warnings}");
}

#[test]
fn an_account_without_the_bot_right_fails_assert_bot_without_a_relogin() {
    let s = session_with(json!({"assert": "bot"}));
    let log = Captured::attach(&s);
    s.login(&plain()).unwrap();
    log.clear();
    let e = userinfo(&s).unwrap_err();
    assert_eq!((e.kind(), e.code()), (ErrorKind::Api, "assertbotfailed"));
    assert_eq!(log.count("action=login"), 0, "{:#?}", log.lines());
    // The session is alive, only not a bot: still logged in.
    assert_eq!(s.info().unwrap()["logged_in"], json!(true));
    // A caller's own assert wins over the session's.
    let me = request(
        &s,
        json!({"params": {"action": "query", "meta": "userinfo", "assert": "user"}}),
    )
    .unwrap();
    assert_eq!(me["query"]["userinfo"]["name"], "MwPlain");
    // The bot passes assert=bot.
    let b = session_with(json!({"assert": "bot"}));
    b.login(&bot()).unwrap();
    assert_eq!(user_name(&b), "MwBot");
}

#[test]
fn an_edit_with_a_csrf_token_lands_as_the_bot() {
    let s = session();
    s.login(&bot()).unwrap();
    let text = format!("Edited by mwauth at {:?}", Instant::now());
    let out = request(
        &s,
        json!({"params": {"action": "edit", "title": "Bot edit test", "text": text, "summary": "test", "bot": true},
               "token": "csrf"}),
    )
    .unwrap();
    assert_eq!(out["edit"]["result"], "Success", "{out}");
    let page = request(
        &s,
        json!({"params": {"action": "query", "prop": "revisions", "titles": "Bot edit test",
                          "rvprop": ["content", "user"], "rvslots": "main"}}),
    )
    .unwrap();
    let revision = &page["query"]["pages"][0]["revisions"][0];
    assert_eq!(revision["user"], "MwBot");
    assert_eq!(revision["slots"]["main"]["content"], json!(text));
}

#[test]
fn logout_forgets_everything() {
    let s = session();
    s.login(&bot()).unwrap();
    assert_eq!(s.logout().unwrap(), json!({}));
    let info = s.info().unwrap();
    assert_eq!(info["logged_in"], json!(false));
    assert_eq!(info["username"], Value::Null);
    assert!(s.cookies().unwrap().is_empty());
    // No assert any more, and no credentials: an anonymous reader.
    assert_eq!(
        userinfo(&s).unwrap()["query"]["userinfo"]["anon"],
        json!(true)
    );
    // Logging out an anonymous session is fine too.
    assert_eq!(s.logout().unwrap(), json!({}));
}

#[test]
fn a_session_the_wiki_expired_logs_in_again_once() {
    let s = session();
    let log = Captured::attach(&s);
    s.login(&bot()).unwrap();
    request(&s, json!({"params": {"action": "edit", "title": "Relogin", "text": "before"}, "token": "csrf"})).unwrap();
    expire_server_session(&s);
    log.clear();
    // The cached csrf token died with the session; the edit still lands, as the bot.
    let out = request(
        &s,
        json!({"params": {"action": "edit", "title": "Relogin", "text": "after"}, "token": "csrf"}),
    )
    .unwrap();
    assert_eq!(out["edit"]["result"], "Success");
    assert_eq!(
        log.count("POST") - log.count("action=edit"),
        1,
        "{:#?}",
        log.lines()
    );
    assert_eq!(log.count("action=login"), 1);
    assert!(
        log.lines()
            .iter()
            .any(|(l, m)| *l == LogLevel::Warning && m.contains("dropped"))
    );
    assert_eq!(user_name(&s), "MwBot");
    assert_eq!(s.info().unwrap()["logged_in"], json!(true));
}

#[test]
fn without_relogin_a_dropped_session_is_an_error_never_an_anonymous_edit() {
    let s = session_with(json!({"relogin": false}));
    s.login(&bot()).unwrap();
    expire_server_session(&s);
    let e = request(&s, json!({"params": {"action": "edit", "title": "Never anonymous", "text": "x"}, "token": "csrf"}))
        .unwrap_err();
    assert_eq!((e.kind(), e.code()), (ErrorKind::Api, "assertuserfailed"));
    assert_eq!(s.info().unwrap()["logged_in"], json!(false));
    // Still asserting: the next request fails the same way rather than going anonymous.
    assert_eq!(userinfo(&s).unwrap_err().code(), "assertuserfailed");
}

#[test]
fn one_session_logs_in_twice_as_two_users() {
    let s = session();
    s.login(&bot()).unwrap();
    assert_eq!(user_name(&s), "MwBot");
    // A login inside a live bot-password session would be Aborted: the library starts afresh.
    let out = s.login(&plain()).unwrap();
    assert_eq!(out["username"], "MwPlain");
    assert_eq!(user_name(&s), "MwPlain");
    assert_eq!(s.info().unwrap()["username"], "MwPlain");
}

#[test]
fn a_real_maxlag_error_is_retried_then_reported() {
    // A single-database wiki reports a lag of -1, so maxlag=-2 always trips, with Retry-After: 5.
    let s = session_with(json!({"maxlag": -2, "max_retries": 1}));
    let log = Captured::attach(&s);
    let started = Instant::now();
    let e = userinfo(&s).unwrap_err();
    assert!(
        started.elapsed() >= Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!((e.kind(), e.code()), (ErrorKind::Api, "maxlag"));
    assert_eq!(e.object()["retry_after"], json!(5));
    assert_eq!(e.object()["lag"], json!(-1));
    assert_eq!(log.exchanges().len(), 2);
    assert_eq!(
        log.lines()
            .iter()
            .filter(|(l, _)| *l == LogLevel::Info)
            .count(),
        1
    );

    // A wait longer than max_retry_wait_ms fails at once.
    let s = session_with(json!({"maxlag": -2, "max_retry_wait_ms": 1000}));
    let started = Instant::now();
    let e = userinfo(&s).unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(4));
    assert_eq!(e.object()["retry_after"], json!(5));
}

#[test]
fn many_threads_share_one_session() {
    let s = Arc::new(session());
    s.login(&bot()).unwrap();
    let threads: Vec<_> = (0..8)
        .map(|i| {
            let s = s.clone();
            std::thread::spawn(move || {
                for j in 0..3 {
                    assert_eq!(user_name(&s), "MwBot");
                    let out = request(
                        &s,
                        json!({"params": {"action": "edit", "title": format!("Thread {i}"), "text": format!("{j}")},
                               "token": "csrf"}),
                    )
                    .unwrap();
                    assert_eq!(out["edit"]["result"], "Success");
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}

#[test]
fn many_sessions_in_parallel_are_independent() {
    let threads: Vec<_> = (0..6)
        .map(|i| {
            std::thread::spawn(move || {
                let s = session();
                let (credentials, name) = if i % 2 == 0 {
                    (bot(), "MwBot")
                } else {
                    (plain(), "MwPlain")
                };
                s.login(&credentials).unwrap();
                for _ in 0..3 {
                    assert_eq!(user_name(&s), name);
                }
                s.logout().unwrap();
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}

#[test]
fn a_cold_login_is_two_requests_in_the_servers_log_with_no_secret() {
    // The quiet server serves the same wiki, and only this test talks to it.
    let log_path = env("MWAUTH_TEST_QUIET_LOG");
    let before = std::fs::read_to_string(&log_path).unwrap_or_default();
    let s = Session::new(
        Config::from_json(&json!({"api_url": env("MWAUTH_TEST_QUIET_API_URL")})).unwrap(),
    )
    .unwrap();
    s.login(&bot()).unwrap();
    let after = std::fs::read_to_string(&log_path).unwrap();
    let new = &after[before.len()..];
    let requests: Vec<&str> = new
        .lines()
        .filter(|l| l.contains("]: GET ") || l.contains("]: POST "))
        .collect();
    assert_eq!(requests.len(), 2, "{new}");
    for secret in secrets() {
        assert!(
            !after.contains(&secret),
            "a password is in the server's log"
        );
    }
    let token_free = requests
        .iter()
        .all(|l| !l.contains("token=") && !l.contains("lgpassword"));
    assert!(token_free, "{requests:#?}");
    // The session's own requests after it: reading needs no extra request.
    let _ = ApiRequest::get(&[("action", "query")]);
}

#[test]
fn log_lines_hold_no_secret() {
    let s = session();
    let log = Captured::attach(&s);
    s.login(&bot()).unwrap();
    request(
        &s,
        json!({"params": {"action": "edit", "title": "Logged", "text": "x"}, "token": "csrf"}),
    )
    .unwrap();
    expire_server_session(&s);
    userinfo(&s).unwrap();
    s.logout().unwrap();
    let cookies_and_secrets: Vec<String> = secrets();
    for (_, line) in log.lines() {
        for secret in &cookies_and_secrets {
            assert!(!line.contains(secret.as_str()), "{line}");
        }
        assert!(!line.contains("+\\"), "a token in: {line}");
    }
    assert!(log.lines().len() >= 8);
}
