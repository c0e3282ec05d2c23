//! A bot's whole transport against the real test wiki: uploads in one request and in chunks
//! (the wiki's SHA-1 of each file is the local one), a duplicate's Warning, MediaWiki's REST API
//! from a cookie session (reads and a write the page history shows), and continuation over a
//! known set of pages.

mod common;

use common::*;
use mwauth::flows::upload::UploadRequest;
use mwauth::rest::RestRequest;
use mwauth::{ApiRequest, ErrorKind, LogLevel, Session};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

fn bot_session() -> Session {
    session_with(json!({"bot_password": bot_password(), "assert": "bot"}))
}

/// `len` bytes that differ from run to run (a file the wiki has not seen yet) and from `seed`
/// to `seed` (files that are not each other's duplicates).
fn file_of(dir: &Path, name: &str, len: usize, seed: u64) -> PathBuf {
    let mut state = seed ^ (std::process::id() as u64) << 32 ^ mwauth::cookies::unix_now() as u64;
    let bytes: Vec<u8> = (0..len)
        .map(|_| {
            // SplitMix64
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            (z ^ (z >> 31)) as u8
        })
        .collect();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn sha1_hex(path: &Path) -> String {
    let digest = ring::digest::digest(
        &ring::digest::SHA1_FOR_LEGACY_USE_ONLY,
        &std::fs::read(path).unwrap(),
    );
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

fn upload(s: &Session, request: Value) -> mwauth::Result<Value> {
    s.upload(&UploadRequest::from_json(&request).expect("a valid upload request"))
}

/// The wiki's SHA-1 of File:`name`.
fn wiki_sha1(s: &Session, name: &str) -> String {
    let out = request(
        s,
        json!({"params": {"action": "query", "prop": "imageinfo", "iiprop": "sha1|size",
                          "titles": format!("File:{name}")}}),
    )
    .unwrap();
    out["query"]["pages"][0]["imageinfo"][0]["sha1"]
        .as_str()
        .unwrap_or_else(|| panic!("no imageinfo for {name}: {out}"))
        .to_string()
}

#[test]
fn a_small_file_uploads_in_one_request_and_again_warns() {
    let dir = temp_dir("upload-small");
    let path = file_of(&dir, "small.bin", 20_000, 1);
    let name = format!("Rust-small-{}.bin", std::process::id());
    let s = bot_session();
    let log = Captured::attach(&s);
    let out = upload(
        &s,
        json!({"filename": name, "path": path, "text": "A test file.", "comment": "mwauth test"}),
    )
    .unwrap();
    assert_eq!(out["result"], "Success", "{out}");
    // Login (2), a csrf token, the upload: nothing else (no siteinfo for a small file).
    assert_eq!(log.exchanges().len(), 4, "{:#?}", log.exchanges());
    assert_eq!(wiki_sha1(&s, &name), sha1_hex(&path));

    // The same bytes under another name: the wiki's Warning, passed through as MW_OK.
    let again = upload(
        &s,
        json!({"filename": format!("Copy-{name}"), "path": path}),
    )
    .unwrap();
    assert_eq!(again["result"], "Warning", "{again}");
    assert!(again["warnings"]["duplicate"].is_array(), "{again}");
    assert!(again["filekey"].is_string(), "{again}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_large_file_uploads_in_chunks_with_a_line_per_chunk() {
    let dir = temp_dir("upload-chunked");
    let path = file_of(&dir, "big.bin", 3 * 1024 * 1024 + 12_345, 2);
    let name = format!("Rust-chunked-{}.bin", std::process::id());
    let s = bot_session();
    let log = Captured::attach(&s);
    let out = upload(
        &s,
        json!({"filename": name, "path": path, "comment": "chunked", "chunk_bytes": 1 << 20}),
    )
    .unwrap();
    assert_eq!(out["result"], "Success", "{out}");
    assert_eq!(wiki_sha1(&s, &name), sha1_hex(&path));
    let progress: Vec<String> = log
        .lines()
        .into_iter()
        .filter(|(level, line)| *level == LogLevel::Info && line.contains("chunk"))
        .map(|(_, line)| line)
        .collect();
    assert_eq!(progress.len(), 4, "{progress:#?}");
    assert!(progress[3].contains("chunk 4 of 4"), "{progress:#?}");

    // Below the wiki's minuploadchunksize (1024): refused, after the one siteinfo it asks.
    let tiny = upload(
        &s,
        json!({"filename": name, "path": path, "chunk_bytes": 100}),
    )
    .unwrap_err();
    assert_eq!(
        (tiny.kind(), tiny.code()),
        (ErrorKind::Argument, "invalid_value")
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn rest_reads_and_writes_from_a_cookie_session() {
    let s = bot_session();
    let title = format!("Rust REST {}", std::process::id());
    let path_title = title.replace(' ', "_");
    let put = RestRequest::from_json(
        &json!({"method": "PUT", "path": format!("/v1/page/{path_title}"),
        "body": {"source": "Written through rest.php.", "comment": "mwauth REST test"}}),
    )
    .unwrap();
    let created = s.rest(&put).unwrap();
    assert!(
        [200, 201].contains(&created["status"].as_u64().unwrap()),
        "{created}"
    );
    let get = RestRequest::from_json(&json!({"path": format!("/v1/page/{path_title}")})).unwrap();
    let page = s.rest(&get).unwrap();
    assert_eq!(page["status"], 200);
    assert_eq!(page["body"]["source"], "Written through rest.php.");
    let history =
        RestRequest::from_json(&json!({"path": format!("/v1/page/{path_title}/history")})).unwrap();
    let history = s.rest(&history).unwrap();
    assert_eq!(
        history["body"]["revisions"][0]["user"]["name"], "MwBot",
        "{history}"
    );

    let missing = RestRequest::from_json(&json!({"path": "/v1/page/No_such_page_at_all"})).unwrap();
    let error = s.rest(&missing).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Http);
    assert_eq!(error.object()["http_status"], 404);
    // The code is the body's errorKey where the wiki sends one (1.43), else "http_status".
    let key = error.object()["body"]["errorKey"]
        .as_str()
        .unwrap_or("http_status");
    assert_eq!(error.code(), key, "{error:?}");
    assert!(error.info().contains("No_such_page_at_all"), "{error:?}");
}

#[test]
fn continuation_returns_each_page_exactly_once() {
    let s = bot_session();
    let prefix = format!("Rust continue {}", std::process::id());
    for n in 0..7 {
        request(
            &s,
            json!({"params": {"action": "edit", "title": format!("{prefix} {n}"), "text": "x"},
                   "token": "csrf"}),
        )
        .unwrap();
    }
    let list = |max: u32| {
        let request = ApiRequest::from_json(&json!({
            "params": {"action": "query", "list": "allpages", "apprefix": prefix, "aplimit": 2},
            "continue": true, "max_batches": max
        }))
        .unwrap();
        s.request(&request).unwrap()
    };
    let all = list(50);
    let batches = all["batches"].as_array().unwrap();
    assert_eq!(batches.len(), 4);
    let mut titles: Vec<String> = batches
        .iter()
        .flat_map(|b| b["query"]["allpages"].as_array().unwrap().clone())
        .map(|p| p["title"].as_str().unwrap().to_string())
        .collect();
    titles.sort();
    let expected: Vec<String> = (0..7).map(|n| format!("{prefix} {n}")).collect();
    assert_eq!(titles, expected);
    assert!(batches[3].get("continue").is_none());

    let two = list(2);
    let batches = two["batches"].as_array().unwrap();
    assert_eq!(batches.len(), 2);
    assert!(batches[1]["continue"]["apcontinue"].is_string(), "{two}");
}
