//! `CookieJar::apply_set_cookie`: each line of the input is a `Set-Cookie` header from the wiki,
//! applied over http to 127.0.0.1 and over https to a host name. The jar keeps only cookies it
//! can send back and write to a cookies.txt line, by RFC 6265's domain, path and Secure rules,
//! says truly whether it changed, and survives a round trip through its cookies.txt file.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mwauth::cookies::{CookieJar, Origin, is_storable};
use mwauth_fuzz::{assert_cookie_file_round_trip, cookie_fields};

const NOW: i64 = 1_800_000_000;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let origins = [
        Origin {
            https: false,
            host: "127.0.0.1",
            path: "/api.php",
        },
        Origin {
            https: true,
            host: "en.wiki.example.org",
            path: "/w/api.php",
        },
    ];
    for origin in &origins {
        let mut jar = CookieJar::new();
        for header in text.lines() {
            let before = cookie_fields(&jar);
            let changed = jar.apply_set_cookie(header, origin, NOW);
            assert_eq!(
                changed,
                cookie_fields(&jar) != before,
                "{header:?} changed the jar: {changed}"
            );
        }
        let mut seen = Vec::new();
        for c in jar.cookies() {
            assert!(is_storable(&c.name, &c.value), "{c:?}");
            assert!(
                c.path.starts_with('/')
                    && !c.path.contains(|ch: char| ch.is_control() || ch == ';')
            );
            assert!(!c.domain.starts_with('.') && c.domain == c.domain.to_ascii_lowercase());
            let covers_host = origin.host == c.domain
                || (!c.host_only && origin.host.ends_with(&format!(".{}", c.domain)));
            assert!(covers_host, "{c:?} set by {}", origin.host);
            assert!(origin.https || !c.secure);
            assert!(
                c.expires.is_none_or(|t| t > NOW),
                "an expired cookie is kept: {c:?}"
            );
            let key = (&c.name, &c.domain, &c.path);
            assert!(!seen.contains(&key), "{key:?} twice");
            seen.push(key);
        }
        // cookies::MAX_COOKIES_PER_DOMAIN, RFC 6265's minimum a browser keeps for a domain.
        for c in jar.cookies() {
            let same_domain = jar.cookies().iter().filter(|d| d.domain == c.domain);
            assert!(
                same_domain.count() <= 50,
                "over 50 cookies for {}",
                c.domain
            );
        }
        if let Some(header) = jar.header_for(origin, NOW) {
            assert!(header.split("; ").all(|pair| pair.contains('=')));
        }
        assert_cookie_file_round_trip(&jar, NOW);
    }
});
