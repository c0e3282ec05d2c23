//! Shared by the tests that run against the real test wiki (tests/wiki/with-wiki.sh, which
//! `make test` runs, exports where it is and who its users are).

#![allow(dead_code)]

use mwauth::{ApiRequest, Config, Credentials, LogLevel, Session};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

pub fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: these tests need the real test wiki; run them with `make test` (or tests/wiki/with-wiki.sh cargo test)")
    })
}

pub fn api_url() -> String {
    env("MWAUTH_TEST_API_URL")
}

pub fn bot() -> Credentials {
    Credentials::new(
        &env("MWAUTH_TEST_BOT_USER"),
        &env("MWAUTH_TEST_BOT_PASSWORD"),
    )
}

pub fn plain() -> Credentials {
    Credentials::new(
        &env("MWAUTH_TEST_PLAIN_USER"),
        &env("MWAUTH_TEST_PLAIN_PASSWORD"),
    )
}

/// Every secret of the test wiki, for checks that none leaks.
pub fn secrets() -> Vec<String> {
    [
        "MWAUTH_TEST_BOT_PASSWORD",
        "MWAUTH_TEST_PLAIN_PASSWORD",
        "MWAUTH_TEST_HUMAN_PASSWORD",
    ]
    .iter()
    .map(|n| env(n))
    .collect()
}

/// A session on the test wiki with `extra` config keys.
pub fn session_with(extra: Value) -> Session {
    let mut config = json!({"api_url": api_url(), "user_agent": "mwauth-tests/1.0"});
    for (k, v) in extra.as_object().expect("extra config is an object") {
        config[k] = v.clone();
    }
    Session::new(Config::from_json(&config).expect("a valid config")).expect("a session")
}

pub fn session() -> Session {
    session_with(json!({}))
}

/// The bot's credentials as the `bot_password` config key wants them.
pub fn bot_password() -> Value {
    json!({"username": env("MWAUTH_TEST_BOT_USER"), "password": env("MWAUTH_TEST_BOT_PASSWORD")})
}

/// A session with `extra` config keys that keeps its cookies in `path`.
pub fn with_file(path: &std::path::Path, extra: Value) -> Session {
    let mut config = extra;
    config["cookie_file"] = json!(path.to_str().unwrap());
    session_with(config)
}

/// An empty folder of this test process's own, named after `name`.
pub fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("mwauth-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Log lines a session emitted, in order.
#[derive(Clone, Default)]
pub struct Captured(Arc<Mutex<Vec<(LogLevel, String)>>>);

impl Captured {
    pub fn attach(session: &Session) -> Self {
        let captured = Captured::default();
        let sink = captured.0.clone();
        session
            .set_logger(Some(Arc::new(move |level, line: &str| {
                sink.lock().unwrap().push((level, line.to_string()))
            })))
            .unwrap();
        captured
    }

    pub fn lines(&self) -> Vec<(LogLevel, String)> {
        self.0.lock().unwrap().clone()
    }

    pub fn clear(&self) {
        self.0.lock().unwrap().clear();
    }

    /// HTTP exchanges (debug lines) seen so far.
    pub fn exchanges(&self) -> Vec<String> {
        self.lines()
            .into_iter()
            .filter(|(level, _)| *level == LogLevel::Debug)
            .map(|(_, line)| line)
            .collect()
    }

    pub fn count(&self, needle: &str) -> usize {
        self.lines()
            .iter()
            .filter(|(_, l)| l.contains(needle))
            .count()
    }
}

pub fn request(session: &Session, request: Value) -> mwauth::Result<Value> {
    session.request(&ApiRequest::from_json(&request).expect("a valid request"))
}

pub fn userinfo(session: &Session) -> mwauth::Result<Value> {
    request(
        session,
        json!({"params": {"action": "query", "meta": "userinfo", "uiprop": ["groups"]}}),
    )
}

pub fn user_name(session: &Session) -> String {
    userinfo(session).expect("userinfo")["query"]["userinfo"]["name"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Deletes the wiki's server-side data of this session's session cookies, as an expiry would.
pub fn expire_server_session(session: &Session) {
    let ids: Vec<String> = session
        .cookies()
        .unwrap()
        .iter()
        .filter(|c| c.name.ends_with("_session") || c.name.ends_with("_BPsession"))
        .map(|c| c.value.to_string())
        .collect();
    assert!(
        !ids.is_empty(),
        "the session has no session cookie to expire"
    );
    let status = std::process::Command::new("python3")
        .arg(env("MWAUTH_TEST_EXPIRE_SESSION"))
        .args(&ids)
        .status()
        .expect("python3 runs");
    assert!(status.success(), "expire_session.py found no session row");
}

/// The RFC 6238 code (6 digits, 30 s steps, HMAC-SHA1) of a base32 secret, `offset` steps from now.
pub fn totp(secret_base32: &str, offset: i64) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut bits = 0u64;
    let mut count = 0;
    let mut secret = Vec::new();
    for c in secret_base32.trim_end_matches('=').bytes() {
        let value = ALPHABET
            .iter()
            .position(|&a| a == c.to_ascii_uppercase())
            .expect("a base32 secret") as u64;
        bits = (bits << 5) | value;
        count += 5;
        if count >= 8 {
            count -= 8;
            secret.push((bits >> count) as u8);
        }
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let counter = (now / 30 + offset) as u64;
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, &secret);
    let mac = ring::hmac::sign(&key, &counter.to_be_bytes());
    let mac = mac.as_ref();
    let at = (mac[19] & 0x0f) as usize;
    let code =
        u32::from_be_bytes([mac[at] & 0x7f, mac[at + 1], mac[at + 2], mac[at + 3]]) % 1_000_000;
    format!("{code:06}")
}
