//! The transport settings `proxy` and `ca_file`, against small loopback servers: a CONNECT proxy
//! written here, and `openssl s_server` with a certificate from a CA made for the test.

use mwauth::{ApiRequest, Config, ErrorKind, Session};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn session(config: Value) -> mwauth::Result<Session> {
    Session::new(Config::from_json(&config)?)
}

fn query(s: &Session) -> mwauth::Result<Value> {
    s.request(&ApiRequest::get(&[
        ("action", "query"),
        ("meta", "siteinfo"),
    ]))
}

/// A server that answers every request on one connection with a fixed API response.
fn api_server() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(16) {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            let body = r#"{"batchcomplete":true,"query":{"general":{"sitename":"Proxied"}}}"#;
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    port
}

/// A CONNECT proxy that records what it was asked for and pipes bytes both ways.
fn connect_proxy() -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    std::thread::spawn(move || {
        for client in listener.incoming().take(16) {
            let Ok(mut client) = client else { continue };
            let mut reader = BufReader::new(client.try_clone().unwrap());
            let mut request_line = String::new();
            reader.read_line(&mut request_line).unwrap();
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            record.lock().unwrap().push(request_line.trim().to_string());
            // Every host is this machine: the tests name hosts that DNS does not know.
            let port = request_line
                .split_whitespace()
                .nth(1)
                .and_then(|authority| authority.rsplit_once(':'))
                .map_or("", |(_, port)| port)
                .to_string();
            let target = format!("127.0.0.1:{port}");
            let Ok(mut upstream) = TcpStream::connect(&target) else {
                let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\n\r\n");
                continue;
            };
            client
                .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                .unwrap();
            let mut upstream_reader = upstream.try_clone().unwrap();
            let mut client_writer = client.try_clone().unwrap();
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut upstream_reader, &mut client_writer);
            });
            let _ = std::io::copy(&mut reader, &mut upstream);
        }
    });
    (port, seen)
}

#[test]
fn requests_go_through_the_configured_proxy() {
    let target = api_server();
    let (proxy, seen) = connect_proxy();
    let s = session(json!({
        "api_url": format!("http://127.0.0.1:{target}/api.php"),
        "proxy": format!("http://127.0.0.1:{proxy}"),
    }))
    .unwrap();
    assert_eq!(
        query(&s).unwrap()["query"]["general"]["sitename"],
        "Proxied"
    );
    assert_eq!(
        *seen.lock().unwrap(),
        vec![format!("CONNECT 127.0.0.1:{target} HTTP/1.1")]
    );
    // "none": straight to the wiki.
    let s =
        session(json!({"api_url": format!("http://127.0.0.1:{target}/api.php"), "proxy": "none"}))
            .unwrap();
    assert_eq!(
        query(&s).unwrap()["query"]["general"]["sitename"],
        "Proxied"
    );
    assert_eq!(seen.lock().unwrap().len(), 1);
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl runs");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A CA, and a server certificate for 127.0.0.1 that it signed.
fn make_certificates(dir: &Path) {
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=mwauth test CA",
        ],
    );
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=127.0.0.1",
        ],
    );
    std::fs::write(
        dir.join("ext.cnf"),
        "basicConstraints=CA:FALSE\nsubjectAltName=IP:127.0.0.1\n",
    )
    .unwrap();
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.pem",
            "-days",
            "2",
            "-extfile",
            "ext.cnf",
        ],
    );
}

struct TlsServer(Child, u16);

impl Drop for TlsServer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn tls_server(dir: &Path) -> TlsServer {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new("openssl")
        .args([
            "s_server",
            "-accept",
            &format!("127.0.0.1:{port}"),
            "-cert",
            "server.pem",
            "-key",
            "server.key",
            "-www",
        ])
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("openssl s_server starts");
    let mut stdout = child.stdout.take().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut seen = Vec::new();
    let mut byte = [0u8; 1];
    while !String::from_utf8_lossy(&seen).contains("ACCEPT") {
        assert!(Instant::now() < deadline, "s_server did not start");
        if stdout.read(&mut byte).unwrap_or(0) == 0 {
            panic!("s_server exited: {}", String::from_utf8_lossy(&seen));
        }
        seen.push(byte[0]);
    }
    std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
    TlsServer(child, port)
}

fn temp_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mwauth-tls-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn ca_file_adds_a_trusted_root() {
    let dir = temp_dir();
    make_certificates(&dir);
    let server = tls_server(&dir);
    let url = format!("https://127.0.0.1:{}/api.php", server.1);

    // Unknown CA: the handshake fails, and says so.
    let e = query(&session(json!({"api_url": url, "proxy": "none"})).unwrap()).unwrap_err();
    assert_eq!((e.kind(), e.code()), (ErrorKind::Transport, "tls"), "{e:?}");

    // Trusted through ca_file: TLS works, and s_server's HTML page is no API answer.
    let ca = dir.join("ca.pem");
    let s =
        session(json!({"api_url": url, "proxy": "none", "ca_file": ca.to_str().unwrap()})).unwrap();
    let e = query(&s).unwrap_err();
    assert_eq!((e.kind(), e.code()), (ErrorKind::Http, "not_json"), "{e:?}");

    // A ca_file that holds no certificate, or none at all, is the caller's error.
    let e = session(json!({"api_url": url, "ca_file": dir.join("ext.cnf").to_str().unwrap()}))
        .unwrap_err();
    assert_eq!((e.kind(), e.code()), (ErrorKind::Argument, "invalid_value"));
    assert!(e.info().contains("ca_file"));
    let e = session(json!({"api_url": url, "ca_file": dir.join("missing.pem").to_str().unwrap()}))
        .unwrap_err();
    assert!(e.info().contains("cannot be read"), "{}", e.info());
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The environment's proxy follows curl's rules, and never carries a loopback API's traffic.
/// Environment variables are per process: the checks run in a child copy of this test binary.
#[test]
fn the_environment_proxy_is_read_as_curl_reads_it() {
    if let Ok(target) = std::env::var("MWAUTH_TEST_PROXY_CHILD_TARGET") {
        let proxied = std::env::var("MWAUTH_TEST_PROXY_CHILD_MODE").unwrap();
        let api = match proxied.as_str() {
            "loopback" => format!("http://localhost:{target}/api.php"),
            _ => format!("http://wiki.invalid:{target}/api.php"),
        };
        let s = session(json!({"api_url": api, "timeout_ms": 5000})).unwrap();
        match query(&s) {
            Ok(out) => println!("CHILD-OK {}", out["query"]["general"]["sitename"]),
            Err(e) => println!("CHILD-ERR {}", e.code()),
        }
        // A loopback wiki with the environment's proxy set: credentials may go (directly).
        if proxied == "loopback" {
            let login = s.login(&mwauth::Credentials::new(
                "Bot@app",
                "0123456789abcdefghijklmnopqrstuv",
            ));
            println!(
                "CHILD-LOGIN {}",
                login.map_or_else(|e| e.code().to_string(), |_| "ok".into())
            );
        }
        return;
    }
    let target = api_server();
    let (proxy, seen) = connect_proxy();
    let proxy_url = format!("http://127.0.0.1:{proxy}");
    let child = |mode: &str, vars: &[(&str, &str)]| {
        let mut command = Command::new(std::env::current_exe().unwrap());
        command
            .args([
                "--exact",
                "the_environment_proxy_is_read_as_curl_reads_it",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("MWAUTH_TEST_PROXY_CHILD_TARGET", target.to_string())
            .env("MWAUTH_TEST_PROXY_CHILD_MODE", mode);
        for name in [
            "http_proxy",
            "HTTP_PROXY",
            "https_proxy",
            "HTTPS_PROXY",
            "all_proxy",
            "ALL_PROXY",
            "no_proxy",
            "NO_PROXY",
        ] {
            command.env_remove(name);
        }
        for (name, value) in vars {
            command.env(name, value);
        }
        let out = command.output().unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    // http_proxy carries plain http to another host.
    let out = child("remote", &[("http_proxy", &proxy_url)]);
    assert!(out.contains("CHILD-OK \"Proxied\""), "{out}");
    assert_eq!(seen.lock().unwrap().len(), 1);
    // An upper-case HTTP_PROXY is not read ("httpoxy"), nor is HTTPS_PROXY for http.
    let out = child(
        "remote",
        &[("HTTP_PROXY", &proxy_url), ("HTTPS_PROXY", &proxy_url)],
    );
    assert!(out.contains("CHILD-ERR dns"), "{out}");
    // no_proxy exempts the host.
    let out = child(
        "remote",
        &[
            ("http_proxy", &proxy_url),
            ("no_proxy", "example.org, .invalid"),
        ],
    );
    assert!(out.contains("CHILD-ERR dns"), "{out}");
    // A loopback wiki never goes through the environment's proxy, so credentials may go to it.
    let out = child(
        "loopback",
        &[("http_proxy", &proxy_url), ("ALL_PROXY", &proxy_url)],
    );
    assert!(out.contains("CHILD-OK \"Proxied\""), "{out}");
    // The fake wiki is no wiki: the login fails, but past the credential check, on the wire.
    assert!(out.contains("CHILD-LOGIN notoken"), "{out}");
    assert_eq!(
        seen.lock().unwrap().len(),
        1,
        "the proxy saw loopback traffic"
    );
}

#[test]
fn a_configured_proxy_makes_a_loopback_wiki_remote_for_credentials() {
    let s =
        session(json!({"api_url": "http://127.0.0.1:9/api.php", "proxy": "http://127.0.0.1:9"}))
            .unwrap();
    let e = s
        .login(&mwauth::Credentials::new(
            "Bot@app",
            "0123456789abcdefghijklmnopqrstuv",
        ))
        .unwrap_err();
    assert_eq!((e.kind(), e.code()), (ErrorKind::Argument, "insecure_http"));
}
