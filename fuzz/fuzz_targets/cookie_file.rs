//! `cookie_file::load`: a cookies.txt file as curl, Python's MozillaCookieJar or mwauth wrote it,
//! or anything else. A file that loads holds only cookies the jar can use, and what mwauth then
//! writes loads back the same; an error never shows a cookie's value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mwauth::ErrorKind;
use mwauth::cookie_file;
use mwauth::cookies::is_storable;
use mwauth_fuzz::{Secrets, assert_cookie_file_round_trip, scratch_dir};

const NOW: i64 = 1_800_000_000;

fuzz_target!(|data: &[u8]| {
    // Each cookie's value gets a mark (see Secrets), so an error can be checked for values.
    let (data, secrets) = match std::str::from_utf8(data) {
        Ok(text) => {
            let mut secrets = Secrets::new(text);
            let lines: Vec<String> = text
                .split('\n')
                .map(|line| {
                    let mut fields: Vec<String> = line.split('\t').map(str::to_string).collect();
                    if fields.len() == 7 {
                        secrets.mark(&mut fields[6]);
                    }
                    fields.join("\t")
                })
                .collect();
            (lines.join("\n").into_bytes(), secrets)
        }
        Err(_) => (data.to_vec(), Secrets::new("")),
    };
    let path = scratch_dir().join("cookies.txt");
    std::fs::write(&path, &data).expect("the input is written");
    match cookie_file::load(&path, NOW) {
        Ok(jar) => {
            let jar = jar.expect("the file exists");
            for c in jar.cookies() {
                assert!(is_storable(&c.name, &c.value), "{c:?}");
                assert!(c.path.starts_with('/'));
                assert!(!c.domain.is_empty() && !c.domain.starts_with('.'));
                assert!(
                    c.expires.is_none_or(|t| t > NOW),
                    "an expired cookie is kept: {c:?}"
                );
            }
            assert_cookie_file_round_trip(&jar, NOW);
        }
        Err(error) => {
            assert_eq!(
                (error.kind(), error.code()),
                (ErrorKind::Argument, "invalid_value")
            );
            secrets.check("the error", &error.to_json().to_string());
        }
    }
});
