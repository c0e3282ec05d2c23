//! Sessions share an HTTP agent (its connection pool and TLS setup) per transport settings, but
//! an agent must not outlive the last session that uses it: a program that gave each session
//! its own `timeout_ms` once kept every session's connection open after freeing it (1,000
//! sessions: 1,000 sockets, about 254 MB).
//!
//! A file of its own, so that no other test's sockets move the process's descriptor count.

use mwauth::{ApiRequest, Config, Session};
use serde_json::json;
use std::time::{Duration, Instant};

fn open_descriptors() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

/// A keep-alive HTTP server that answers every request with a small API response.
fn server() -> String {
    let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
    let url = format!(
        "http://127.0.0.1:{}/api.php",
        server.server_addr().to_ip().unwrap().port()
    );
    std::thread::spawn(move || {
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Ok(Some(request)) = server.recv_timeout(Duration::from_millis(100)) {
                let body = r#"{"batchcomplete":true,"query":{"general":{"sitename":"Fake"}}}"#;
                let _ = request.respond(tiny_http::Response::from_string(body));
            }
        }
    });
    url
}

fn use_once(url: &str, timeout_ms: u64) {
    let config = json!({"api_url": url, "timeout_ms": timeout_ms});
    let session = Session::new(Config::from_json(&config).unwrap()).unwrap();
    session
        .request(&ApiRequest::get(&[
            ("action", "query"),
            ("meta", "siteinfo"),
        ]))
        .unwrap();
}

// One test, so that nothing else runs in this process while it counts.
#[test]
fn freed_sessions_leave_no_connections_and_live_ones_share_them() {
    let url = server();
    use_once(&url, 10_000); // the server's thread and the first socket, before counting
    let before = open_descriptors();
    for i in 0..300 {
        use_once(&url, 10_001 + i); // each its own agent
    }
    // The server side closes its end when the client's goes; allow it a moment.
    std::thread::sleep(Duration::from_millis(200));
    let after = open_descriptors();
    assert!(
        after <= before + 8,
        "{before} descriptors before 300 create-use-free cycles, {after} after"
    );

    // Live sessions with the same settings share one agent, and so one kept-alive connection.
    let config = json!({"api_url": url, "timeout_ms": 7_777});
    let sessions: Vec<Session> = (0..50)
        .map(|_| Session::new(Config::from_json(&config).unwrap()).unwrap())
        .collect();
    let before = open_descriptors();
    for s in &sessions {
        s.request(&ApiRequest::get(&[
            ("action", "query"),
            ("meta", "siteinfo"),
        ]))
        .unwrap();
    }
    let after = open_descriptors();
    assert!(
        after <= before + 4,
        "50 sequential requests on 50 sessions opened {} descriptors",
        after - before
    );
}
