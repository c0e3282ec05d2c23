//! The committed C header is exactly what the pinned cbindgen generates from the source, and its
//! version macros agree with Cargo.toml and with mw_version().
//!
//! `MWAUTH_WRITE_HEADER=1 cargo test --test header` (what `make header` runs) rewrites it.

use std::ffi::CStr;
use std::path::Path;

fn generated_header() -> String {
    let root = env!("CARGO_MANIFEST_DIR");
    let config = cbindgen::Config::from_file(Path::new(root).join("cbindgen.toml"))
        .expect("cbindgen.toml parses");
    let bindings = cbindgen::Builder::new()
        .with_crate(root)
        .with_config(config)
        .generate()
        .expect("cbindgen generates the header");
    let mut out = Vec::new();
    bindings.write(&mut out);
    String::from_utf8(out).expect("the header is UTF-8")
}

fn header_path() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("include/mwauth.h")
}

#[test]
fn committed_header_is_what_cbindgen_generates() {
    let generated = generated_header();
    if std::env::var_os("MWAUTH_WRITE_HEADER").is_some() {
        std::fs::write(header_path(), &generated).expect("include/mwauth.h is writable");
        return;
    }
    let committed = std::fs::read_to_string(header_path()).unwrap_or_default();
    assert!(
        committed == generated,
        "include/mwauth.h is stale: run `make header` and commit it"
    );
}

fn define(header: &str, name: &str) -> String {
    header
        .lines()
        .find_map(|line| line.strip_prefix(&format!("#define {name} ")))
        .unwrap_or_else(|| panic!("the header defines {name}"))
        .trim()
        .to_string()
}

#[test]
fn version_macros_agree_with_cargo_and_mw_version() {
    let header = std::fs::read_to_string(header_path()).expect("include/mwauth.h exists");
    let version = env!("CARGO_PKG_VERSION");
    assert_eq!(define(&header, "MWAUTH_VERSION"), format!("\"{version}\""));
    let parts: Vec<u32> = version.split('.').map(|p| p.parse().unwrap()).collect();
    for (name, value) in [
        ("MAJOR", parts[0]),
        ("MINOR", parts[1]),
        ("PATCH", parts[2]),
    ] {
        assert_eq!(
            define(&header, &format!("MWAUTH_VERSION_{name}")),
            value.to_string()
        );
    }
    let number = define(&header, "MWAUTH_VERSION_NUMBER");
    let number = u32::from_str_radix(number.trim_start_matches("0x"), 16).unwrap();
    assert_eq!(number, (parts[0] << 16) | (parts[1] << 8) | parts[2]);
    // SAFETY: mw_version returns a static NUL-terminated string.
    let runtime = unsafe { CStr::from_ptr(mwauth::ffi::mw_version()) };
    assert_eq!(runtime.to_str().unwrap(), version);
}

/// The header's table of the library's own error codes is `mwauth::error::Code`, exactly: each
/// code under the mw_result it comes with, none missing, none stale.
#[test]
fn the_header_s_error_codes_are_the_library_s() {
    use mwauth::ErrorKind;
    use mwauth::error::Code;
    let header = std::fs::read_to_string(header_path()).unwrap();
    let start = header
        .find("The library's own codes:")
        .expect("the table is in the header");
    let end = start + header[start..].find("Every other code").unwrap();
    let mut table: Vec<(String, String)> = Vec::new();
    let mut kind = String::new();
    for line in header[start..end].lines().skip(1) {
        let line = line.trim_start_matches(" *").trim();
        let codes = match line.split_once("  ") {
            Some((name, codes)) if name.starts_with("MW_") => {
                kind = name.to_string();
                codes
            }
            _ => line,
        };
        for code in codes.split(',').map(str::trim).filter(|c| !c.is_empty()) {
            table.push((kind.clone(), code.to_string()));
        }
    }
    let result_name = |kind: ErrorKind| match kind {
        ErrorKind::Argument => "MW_ERR_ARGUMENT",
        ErrorKind::State => "MW_ERR_STATE",
        ErrorKind::Transport => "MW_ERR_TRANSPORT",
        ErrorKind::Http => "MW_ERR_HTTP",
        ErrorKind::Api => "MW_ERR_API",
        ErrorKind::Login => "MW_ERR_LOGIN",
        ErrorKind::Internal => "MW_ERR_INTERNAL",
    };
    let mut library: Vec<(String, String)> = Code::ALL
        .iter()
        .map(|c| (result_name(c.kind()).to_string(), c.as_str().to_string()))
        .collect();
    table.sort();
    library.sort();
    assert_eq!(
        table, library,
        "include/mwauth.h's table of codes (cbindgen.toml)"
    );
}
