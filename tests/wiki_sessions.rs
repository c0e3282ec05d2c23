//! Sessions that last, against the real test wiki: cookie files, bot_password, re-login when
//! the wiki expired a session that many threads share.

mod common;

use common::*;
use mwauth::{Config, ErrorKind, Session};
use serde_json::{Value, json};
use std::os::unix::fs::PermissionsExt;
use std::process::Command;
use std::sync::{Arc, Barrier};

#[test]
fn a_saved_session_resumes_with_no_request_of_its_own() {
    let dir = temp_dir("resume");
    let file = dir.join("cookies.txt");
    {
        let s = with_file(&file, json!({}));
        s.login(&bot()).unwrap();
        assert_eq!(user_name(&s), "MwBot");
    }
    let mode = std::fs::metadata(&file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.starts_with("# Netscape HTTP Cookie File"));
    assert!(text.contains("_BPsession\t"), "{text}");

    let s = with_file(&file, json!({}));
    let info = s.info().unwrap();
    assert_eq!(info["logged_in"], Value::Null);
    assert_eq!(info["auth"], "cookies");
    let log = Captured::attach(&s);
    assert_eq!(user_name(&s), "MwBot");
    assert_eq!(log.exchanges().len(), 1, "{:#?}", log.exchanges());
    assert!(log.exchanges()[0].contains("assert=user"));
    assert_eq!(s.info().unwrap()["logged_in"], json!(true));

    // Others read the same file: Python's MozillaCookieJar and curl.
    let python = Command::new("python3")
        .args(["-c", "import http.cookiejar, sys\nj = http.cookiejar.MozillaCookieJar(sys.argv[1])\nj.load(ignore_discard=True, ignore_expires=True)\nprint(sorted(c.name for c in j))", file.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        python.status.success(),
        "{}",
        String::from_utf8_lossy(&python.stderr)
    );
    assert!(String::from_utf8_lossy(&python.stdout).contains("testwiki_BPsession"));
    let curl = Command::new("curl")
        .args(["-sS", "-b", file.to_str().unwrap()])
        .arg(format!(
            "{}?action=query&meta=userinfo&assert=user&format=json",
            api_url()
        ))
        .output()
        .expect("curl runs");
    assert!(
        String::from_utf8_lossy(&curl.stdout).contains("\"name\":\"MwBot\""),
        "{:?}",
        curl
    );
}

#[test]
fn after_logout_the_file_holds_no_login() {
    let dir = temp_dir("logout");
    let file = dir.join("cookies.txt");
    let s = with_file(&file, json!({}));
    s.login(&bot()).unwrap();
    s.logout().unwrap();
    drop(s);
    let s = with_file(&file, json!({}));
    let info = s.info().unwrap();
    assert_eq!(info["logged_in"], json!(false));
    assert_eq!(info["auth"], Value::Null);
    assert_eq!(
        userinfo(&s).unwrap()["query"]["userinfo"]["anon"],
        json!(true)
    );
}

#[test]
fn a_corrupt_file_is_reported_and_left_alone() {
    let dir = temp_dir("corrupt");
    let file = dir.join("cookies.txt");
    let text =
        "# Netscape HTTP Cookie File\n127.0.0.1\tFALSE\t/\tFALSE\t0\tok\t1\nthis is not a cookie\n";
    std::fs::write(&file, text).unwrap();
    let config = json!({"api_url": api_url(), "cookie_file": file.to_str().unwrap()});
    let e = Session::new(Config::from_json(&config).unwrap()).unwrap_err();
    assert_eq!((e.kind(), e.code()), (ErrorKind::Argument, "invalid_value"));
    assert!(e.info().contains("line 3"), "{}", e.info());
    assert_eq!(std::fs::read_to_string(&file).unwrap(), text);
    let missing = json!({"api_url": api_url(), "cookie_file": "/nonexistent-folder/cookies.txt"});
    assert_eq!(
        Session::new(Config::from_json(&missing).unwrap())
            .unwrap_err()
            .code(),
        "invalid_value"
    );
}

#[test]
fn bot_password_logs_in_on_the_first_request() {
    let s = session_with(json!({"bot_password": bot_password()}));
    let log = Captured::attach(&s);
    assert_eq!(s.info().unwrap()["logged_in"], json!(false));
    assert_eq!(user_name(&s), "MwBot");
    assert_eq!(log.exchanges().len(), 3, "{:#?}", log.exchanges());
    assert_eq!(s.info().unwrap()["auth"], "botpassword");
    // never echoed back
    assert!(
        !s.info()
            .unwrap()
            .to_string()
            .contains(&env("MWAUTH_TEST_BOT_PASSWORD"))
    );
    // mw_logout forgets bot_password too: the session is anonymous from then on
    s.logout().unwrap();
    assert_eq!(
        userinfo(&s).unwrap()["query"]["userinfo"]["anon"],
        json!(true)
    );
}

#[test]
fn a_wrong_bot_password_never_lets_requests_go_anonymous() {
    let wrong = json!({"username": env("MWAUTH_TEST_BOT_USER"), "password": "00000000000000000000000000000000"});
    let s = session_with(json!({"bot_password": wrong}));
    let e = userinfo(&s).unwrap_err();
    assert_eq!(
        (e.kind(), e.object()["reason"].as_str()),
        (ErrorKind::Login, Some("wrongpassword"))
    );
    let e = userinfo(&s).unwrap_err();
    assert_eq!(
        e.code(),
        "assertuserfailed",
        "the second request must not run anonymously"
    );
}

#[test]
fn a_resumed_bot_password_session_the_wiki_expired_recovers_by_itself() {
    let dir = temp_dir("expired");
    let file = dir.join("cookies.txt");
    let config = json!({"bot_password": bot_password()});
    {
        let s = with_file(&file, config.clone());
        assert_eq!(user_name(&s), "MwBot");
        expire_server_session(&s);
    }
    let s = with_file(&file, config);
    assert_eq!(s.info().unwrap()["auth"], "cookies");
    let log = Captured::attach(&s);
    let out = request(
        &s,
        json!({"params": {"action": "edit", "title": "Resumed", "text": "x"}, "token": "csrf"}),
    )
    .unwrap();
    assert_eq!(out["edit"]["result"], "Success");
    assert_eq!(log.count("action=login"), 1, "{:#?}", log.lines());
    assert_eq!(s.info().unwrap()["auth"], "botpassword");
    // The file now holds the new session.
    drop(s);
    let s = with_file(&file, json!({}));
    let log = Captured::attach(&s);
    assert_eq!(user_name(&s), "MwBot");
    assert_eq!(log.exchanges().len(), 1);
}

#[test]
fn eight_threads_on_an_expired_session_cause_exactly_one_login() {
    let s = Arc::new(session_with(json!({"bot_password": bot_password()})));
    assert_eq!(user_name(&s), "MwBot");
    request(
        &s,
        json!({"params": {"action": "edit", "title": "Eight", "text": "0"}, "token": "csrf"}),
    )
    .unwrap();
    expire_server_session(&s);
    let log = Captured::attach(&s);
    let start = Arc::new(Barrier::new(8));
    let threads: Vec<_> = (0..8)
        .map(|i| {
            let (s, start) = (s.clone(), start.clone());
            std::thread::spawn(move || {
                start.wait();
                let out = request(
                    &s,
                    json!({"params": {"action": "edit", "title": format!("Eight {i}"), "text": "after"}, "token": "csrf"}),
                )
                .unwrap();
                assert_eq!(out["edit"]["result"], "Success");
                assert_eq!(user_name(&s), "MwBot");
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(log.count("action=login"), 1, "{:#?}", log.lines());
}
