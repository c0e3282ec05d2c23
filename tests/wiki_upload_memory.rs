//! A 64 MiB upload's memory, in a test binary of its own so that the process's peak RSS is this
//! test's alone: the file is streamed, so the growth stays far below its size, in one request
//! and in chunks. The figures are printed; `make bench` compares them with curl's.

mod common;

use common::*;
use mwauth::flows::upload::UploadRequest;
use serde_json::json;
use std::io::Write;

const FILE_BYTES: usize = 64 * 1024 * 1024;
/// Far below the file: ureq's buffers and the session, not the file.
const MAX_GROWTH_BYTES: u64 = 16 * 1024 * 1024;

/// The process's peak resident set (VmHWM), in bytes.
fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib * 1024
}

#[test]
fn a_64_mib_upload_is_streamed_in_one_request_and_in_chunks() {
    let dir = temp_dir("upload-64mib");
    let path = dir.join("big.bin");
    {
        // Written in pieces, so writing it does not raise the peak either.
        let mut file = std::fs::File::create(&path).unwrap();
        let mut block = vec![0u8; 1 << 20];
        for i in 0..FILE_BYTES / block.len() {
            for (j, b) in block.iter_mut().enumerate() {
                *b = (i as u32 ^ j as u32 ^ std::process::id()).wrapping_mul(2_654_435_761) as u8;
            }
            block[0] = i as u8; // each MiB differs
            file.write_all(&block).unwrap();
        }
    }
    let s = session_with(json!({"bot_password": bot_password(), "timeout_ms": 300_000}));
    request(
        &s,
        json!({"params": {"action": "query", "meta": "userinfo"}}),
    )
    .unwrap();
    for (what, chunk_bytes) in [
        ("one request", FILE_BYTES as u64),
        ("chunks of 4 MiB", 4 << 20),
    ] {
        let before = peak_rss();
        let name = format!("Rust-64MiB-{}-{chunk_bytes}.bin", std::process::id());
        let out = s
            .upload(
                &UploadRequest::from_json(&json!({
                    "filename": name, "path": path, "chunk_bytes": chunk_bytes,
                    "ignorewarnings": true
                }))
                .unwrap(),
            )
            .unwrap();
        assert_eq!(out["result"], "Success", "{what}: {out}");
        let growth = peak_rss().saturating_sub(before);
        println!(
            "64 MiB upload, {what}: peak RSS grew by {} KiB",
            growth / 1024
        );
        assert!(
            growth < MAX_GROWTH_BYTES,
            "{what}: peak RSS grew by {growth} bytes"
        );
    }
    std::fs::remove_dir_all(dir).unwrap();
}
