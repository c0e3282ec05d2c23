//! SOCKS proxies, against the real test wiki through a real SOCKS5 server on loopback
//! (microsocks, Debian's package; `make test` installs it). A build without SOCKS support once
//! panicked on every call through such a proxy and poisoned the session's lock.

mod common;

use common::*;
use mwauth::ErrorKind;
use serde_json::json;
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A microsocks server on a free loopback port, stopped when dropped.
struct Socks {
    child: Child,
    port: u16,
}

impl Socks {
    fn start(extra: &[&str]) -> Socks {
        Self::start_on(free_port(), extra)
    }

    fn start_on(port: u16, extra: &[&str]) -> Socks {
        let child = Command::new("microsocks")
            .args(["-i", "127.0.0.1", "-p", &port.to_string()])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("microsocks runs (Debian: apt-get install microsocks; make test installs it)");
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "microsocks did not listen");
            std::thread::sleep(Duration::from_millis(20));
        }
        Socks { child, port }
    }

    fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Socks {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A bot login and a userinfo request through `proxy`: the wiki is loopback, but a proxy makes
/// it remote for the credential rule, hence allow_insecure_http. `timeout_ms` picks an agent of
/// its own, so no connection from another test is reused.
fn bot_through(proxy: &str, timeout_ms: u64) -> mwauth::Result<String> {
    let s = session_with(
        json!({"proxy": proxy, "allow_insecure_http": true, "timeout_ms": timeout_ms}),
    );
    s.login(&bot())?;
    Ok(user_name(&s))
}

#[test]
fn a_bot_logs_in_through_socks5_and_socks5h() {
    for (scheme, timeout_ms) in [("socks5", 20_001), ("socks5h", 20_002)] {
        let socks = Socks::start(&[]);
        let proxy = format!("{scheme}://127.0.0.1:{}", socks.port);
        assert_eq!(
            bot_through(&proxy, timeout_ms).unwrap(),
            "MwBot",
            "{scheme}"
        );
        // It really went through the proxy: without it, the same config cannot reach the wiki.
        socks.stop();
        let e = bot_through(&proxy, timeout_ms + 10).unwrap_err();
        assert_eq!(
            (e.kind(), e.code()),
            (ErrorKind::Transport, "connect"),
            "{scheme}: {e:?}"
        );
    }
}

#[test]
fn a_socks5_proxy_with_a_password() {
    let socks = Socks::start(&["-u", "proxyuser", "-P", "proxysecret"]);
    let proxy = format!("socks5://proxyuser:proxysecret@127.0.0.1:{}", socks.port);
    assert_eq!(bot_through(&proxy, 20_003).unwrap(), "MwBot");
    // A wrong proxy password is a transport error that names no secret.
    let s = session_with(json!({
        "proxy": format!("socks5://proxyuser:wrong@127.0.0.1:{}", socks.port),
        "allow_insecure_http": true}));
    let e = s.login(&bot()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Transport, "{e:?}");
    assert!(!e.to_json().to_string().contains("wrong"), "{e:?}");
    assert!(!e.to_json().to_string().contains("proxysecret"), "{e:?}");
}

#[test]
fn a_dead_socks_proxy_fails_cleanly_and_the_session_goes_on() {
    let port = free_port();
    let s = session_with(
        json!({"proxy": format!("socks5h://127.0.0.1:{port}"), "allow_insecure_http": true}),
    );
    for _ in 0..2 {
        let e = s.login(&bot()).unwrap_err();
        assert_eq!(
            (e.kind(), e.code()),
            (ErrorKind::Transport, "connect"),
            "{e:?}"
        );
    }
    // Nothing poisoned: the same session works once the proxy is there.
    let _socks = Socks::start_on(port, &[]);
    s.login(&bot()).unwrap();
    assert_eq!(user_name(&s), "MwBot");
}
