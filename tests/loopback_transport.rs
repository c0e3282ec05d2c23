//! What a real wiki will not show on demand, on a scripted loopback server that answers many
//! requests at once: the concurrency cap (never exceeded, the slot given up while a request
//! waits out a Retry-After), REST calls from an OAuth session (no token sent) and from a cookie
//! session (the csrf token in the body), and multipart bodies streamed as they should be.

use mwauth::rest::RestRequest;
use mwauth::{ApiRequest, Config, Session};
use serde_json::{Value, json};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// What the server saw of one request.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    url: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    at: Instant,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

type Script = dyn Fn(&Seen) -> (u16, Vec<(String, String)>, Vec<u8>) + Send + Sync;

/// A loopback server with `threads` workers, each answering with `script` after `delay`.
struct Server {
    url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    in_flight: Arc<AtomicUsize>,
    most_in_flight: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    workers: Vec<JoinHandle<()>>,
}

impl Server {
    fn start(threads: usize, delay: Duration, script: Arc<Script>) -> Self {
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").unwrap());
        let port = server.server_addr().to_ip().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let in_flight = Arc::new(AtomicUsize::new(0));
        let most_in_flight = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let workers = (0..threads)
            .map(|_| {
                let (server, seen, script) = (server.clone(), seen.clone(), script.clone());
                let (in_flight, most, stop) =
                    (in_flight.clone(), most_in_flight.clone(), stop.clone());
                std::thread::spawn(move || {
                    while !stop.load(Ordering::SeqCst) {
                        let Ok(Some(mut request)) = server.recv_timeout(Duration::from_millis(20))
                        else {
                            continue;
                        };
                        let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(now, Ordering::SeqCst);
                        let mut body = Vec::new();
                        let _ = request.as_reader().read_to_end(&mut body);
                        let record = Seen {
                            method: request.method().as_str().to_string(),
                            url: request.url().to_string(),
                            headers: request
                                .headers()
                                .iter()
                                .map(|h| (h.field.as_str().to_string(), h.value.to_string()))
                                .collect(),
                            body,
                            at: Instant::now(),
                        };
                        seen.lock().unwrap().push(record.clone());
                        std::thread::sleep(delay);
                        let (status, headers, body) = script(&record);
                        in_flight.fetch_sub(1, Ordering::SeqCst);
                        let mut response =
                            tiny_http::Response::from_data(body).with_status_code(status);
                        for (k, v) in headers {
                            response.add_header(
                                tiny_http::Header::from_bytes(k.as_bytes(), v.as_bytes()).unwrap(),
                            );
                        }
                        let _ = request.respond(response);
                    }
                })
            })
            .collect();
        Server {
            url: format!("http://127.0.0.1:{port}/w/api.php"),
            seen,
            in_flight,
            most_in_flight,
            stop,
            workers,
        }
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        for worker in self.workers.drain(..) {
            let _ = worker.join();
        }
        let _ = self.in_flight.load(Ordering::SeqCst);
    }
}

fn json_reply(value: Value) -> (u16, Vec<(String, String)>, Vec<u8>) {
    (
        200,
        vec![("Content-Type".into(), "application/json".into())],
        value.to_string().into_bytes(),
    )
}

fn session(url: &str, extra: Value) -> Session {
    let mut config = json!({"api_url": url});
    for (k, v) in extra.as_object().unwrap() {
        config[k] = v.clone();
    }
    Session::new(Config::from_json(&config).unwrap()).unwrap()
}

fn siteinfo() -> ApiRequest {
    ApiRequest::from_json(&json!({"params": {"action": "query", "meta": "siteinfo"}})).unwrap()
}

/// 8 threads of 4 requests each, against a server that takes 20 ms a request; the most
/// requests the server saw at once.
fn most_in_flight(cap: Value) -> usize {
    let server = Server::start(
        16,
        Duration::from_millis(20),
        Arc::new(|_| json_reply(json!({"batchcomplete": true}))),
    );
    let s = Arc::new(session(
        &server.url,
        json!({"max_concurrent_requests": cap}),
    ));
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let s = s.clone();
            std::thread::spawn(move || {
                for _ in 0..4 {
                    s.request(&siteinfo()).unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(server.seen().len(), 32);
    server.most_in_flight.load(Ordering::SeqCst)
}

#[test]
fn a_cap_of_2_is_never_exceeded_by_8_threads() {
    assert_eq!(most_in_flight(json!(2)), 2);
    // Without the cap the same load has more in flight (so the figure above can fail).
    assert!(most_in_flight(Value::Null) > 2);
}

#[test]
fn a_request_waiting_out_retry_after_gives_its_slot_up() {
    // The first request gets a 503 with Retry-After: 1; while it waits, a second request (cap 1)
    // must get through.
    let first = Arc::new(AtomicBool::new(true));
    let server = Server::start(
        4,
        Duration::ZERO,
        Arc::new(move |seen| {
            if seen.url.contains("slow") && first.swap(false, Ordering::SeqCst) {
                return (
                    503,
                    vec![("Retry-After".into(), "1".into())],
                    b"busy".to_vec(),
                );
            }
            json_reply(json!({"batchcomplete": true}))
        }),
    );
    let s = Arc::new(session(&server.url, json!({"max_concurrent_requests": 1})));
    let slow = {
        let s = s.clone();
        std::thread::spawn(move || {
            let request = ApiRequest::from_json(
                &json!({"params": {"action": "query", "meta": "siteinfo", "slow": 1}}),
            )
            .unwrap();
            s.request(&request).unwrap();
            Instant::now()
        })
    };
    std::thread::sleep(Duration::from_millis(200));
    s.request(&siteinfo()).unwrap();
    let fast_done = Instant::now();
    let slow_done = slow.join().unwrap();
    assert!(
        fast_done < slow_done,
        "the second request waited for the first's retry"
    );
    assert_eq!(server.seen().len(), 3);
}

#[test]
fn rest_from_an_oauth_session_sends_no_token() {
    let server = Server::start(
        2,
        Duration::ZERO,
        Arc::new(|seen| {
            if seen.url.contains("/missing") {
                return (
                    404,
                    vec![("Content-Type".into(), "application/json".into())],
                    br#"{"messageTranslations":{"en":"The specified page does not exist."},"httpCode":404,"httpReason":"Not Found","errorKey":"rest-nonexistent-title"}"#.to_vec(),
                );
            }
            json_reply(json!({"id": 7, "echo": String::from_utf8_lossy(&seen.body)}))
        }),
    );
    let s = session(&server.url, json!({"oauth2_token": "owner-only-token"}));
    let put = RestRequest::from_json(&json!({"method": "PUT", "path": "/v1/page/A%2FB",
        "query": {"x": "1"}, "body": {"source": "text", "comment": "c"}}))
    .unwrap();
    let out = s.rest(&put).unwrap();
    assert_eq!(out["status"], 200);
    let seen = server.seen();
    assert_eq!(seen.len(), 1, "no token fetch");
    let request = &seen[0];
    assert_eq!(request.method, "PUT");
    assert_eq!(request.url, "/w/rest.php/v1/page/A%2FB?x=1");
    assert_eq!(
        request.header("Authorization"),
        Some("Bearer owner-only-token")
    );
    assert_eq!(request.header("Content-Type"), Some("application/json"));
    let body: Value = serde_json::from_slice(&request.body).unwrap();
    assert_eq!(body, json!({"source": "text", "comment": "c"}));

    let missing = RestRequest::from_json(&json!({"path": "/v1/page/missing"})).unwrap();
    let error = s.rest(&missing).unwrap_err();
    assert_eq!(error.code(), "rest-nonexistent-title");
    assert_eq!(error.object()["http_status"], 404);
    assert_eq!(error.info(), "The specified page does not exist.");
}

#[test]
fn rest_writes_from_a_cookie_session_carry_the_csrf_token() {
    let server = Server::start(
        2,
        Duration::ZERO,
        Arc::new(|seen| {
            if seen.url.contains("meta=tokens") {
                return json_reply(json!({"query": {"tokens": {"csrftoken": "abc+\\"}}}));
            }
            json_reply(json!({"ok": true}))
        }),
    );
    let s = session(&server.url, json!({}));
    let post = RestRequest::from_json(&json!({"method": "POST", "path": "/v1/page",
        "body": {"title": "T", "source": "x", "comment": "c"}}))
    .unwrap();
    s.rest(&post).unwrap();
    let not_an_object =
        RestRequest::from_json(&json!({"method": "POST", "path": "/v1/page", "body": [1]}))
            .unwrap();
    assert_eq!(s.rest(&not_an_object).unwrap_err().code(), "invalid_value");
    let seen = server.seen();
    assert_eq!(
        seen.len(),
        2,
        "a token fetch, then the write; nothing for the refused one"
    );
    let body: Value = serde_json::from_slice(&seen[1].body).unwrap();
    assert_eq!(body["token"], "abc+\\");
    assert_eq!(body["title"], "T");
}

#[test]
fn multipart_bodies_carry_the_parameters_and_the_file_as_it_is() {
    let server = Server::start(
        2,
        Duration::ZERO,
        Arc::new(|_| json_reply(json!({"upload": {"result": "Success"}}))),
    );
    let dir = std::env::temp_dir().join(format!("mwauth-multipart-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("data.bin");
    let data: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(&path, &data).unwrap();
    let s = session(&server.url, json!({}));
    let request = ApiRequest::from_json(&json!({
        "params": {"action": "upload", "filename": "Data.bin", "token": "+\\"},
        "files": {"file": {"path": path.to_str().unwrap()},
                  "extra": {"data_base64": "aGVsbG8=", "filename": "h.txt", "content_type": "text/plain"}}
    }))
    .unwrap();
    s.request(&request).unwrap();
    let seen = &server.seen()[0];
    assert_eq!(seen.method, "POST");
    let content_type = seen.header("Content-Type").unwrap();
    let boundary = content_type
        .strip_prefix("multipart/form-data; boundary=")
        .unwrap();
    assert_eq!(
        seen.header("Content-Length").unwrap(),
        seen.body.len().to_string()
    );
    let marker = format!("--{boundary}\r\n");
    let text = String::from_utf8_lossy(&seen.body);
    assert!(text.contains("name=\"action\"\r\n\r\nupload\r\n"));
    assert!(text.contains("name=\"format\"\r\n\r\njson\r\n"));
    assert!(text.contains(
        "name=\"file\"; filename=\"data.bin\"\r\nContent-Type: application/octet-stream"
    ));
    assert!(text.contains(
        "name=\"extra\"; filename=\"h.txt\"\r\nContent-Type: text/plain\r\n\r\nhello\r\n"
    ));
    // The file's bytes, exactly, between its part's headers and the next boundary.
    let head = b"filename=\"data.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n";
    let start = seen
        .body
        .windows(head.len())
        .position(|w| w == head)
        .unwrap()
        + head.len();
    assert_eq!(&seen.body[start..start + data.len()], &data[..]);
    assert!(seen.body[start + data.len()..].starts_with(format!("\r\n{marker}").as_bytes()));
    std::fs::remove_dir_all(&dir).unwrap();
    let _ = seen.at;
}

#[test]
fn files_are_checked_before_any_request() {
    for (request, code) in [
        (
            json!({"params": {"action": "upload"}, "files": {"file": {"path": "/nonexistent"}}}),
            "invalid_value",
        ),
        (
            json!({"params": {"action": "upload"}, "files": {"file": {}}}),
            "invalid_value",
        ),
        (
            json!({"params": {"action": "upload"}, "files": {"file": {"data_base64": "!!"}}}),
            "invalid_value",
        ),
        (
            json!({"params": {"action": "upload"}, "method": "GET", "files": {"file": {"data_base64": ""}}}),
            "invalid_value",
        ),
        (
            json!({"params": {"action": "upload", "file": "x"}, "files": {"file": {"data_base64": ""}}}),
            "invalid_value",
        ),
        (
            json!({"params": {"action": "upload"}, "files": []}),
            "wrong_type",
        ),
        (
            json!({"params": {"action": "query"}, "continue": true, "max_batches": 0}),
            "invalid_value",
        ),
    ] {
        assert_eq!(
            ApiRequest::from_json(&request).unwrap_err().code(),
            code,
            "{request}"
        );
    }
}
