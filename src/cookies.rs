//! A cookie jar for one wiki session, kept the way a browser keeps it (RFC 6265): `Set-Cookie`
//! replaces, deletes and expires cookies, `Domain` and `Path` are honoured, `Secure` cookies only
//! travel over https.
//!
//! The jar is ours rather than ureq's so that each mwauth session has its own while all sessions
//! share one agent (connection pool, TLS setup), and so that it can be cleared on login and logout.
//! Parsing `Set-Cookie` (attributes, the three date formats) is left to the `cookie` crate.
//! Cookie values are session secrets: `Debug` never shows them.

use std::collections::HashMap;
use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};
use zeroize::Zeroizing;

/// Where a request goes, as far as cookies care.
#[derive(Debug, Clone)]
pub struct Origin<'a> {
    pub https: bool,
    /// Lower-case host name or IP address.
    pub host: &'a str,
    pub path: &'a str,
}

#[derive(Clone)]
pub struct StoredCookie {
    pub name: String,
    pub value: Zeroizing<String>,
    /// Lower-case, without a leading dot.
    pub domain: String,
    /// True when the cookie had no `Domain` attribute: it goes back to exactly that host.
    pub host_only: bool,
    pub path: String,
    pub secure: bool,
    pub http_only: bool,
    /// Unix time in seconds; `None` for a cookie that lasts as long as the session.
    pub expires: Option<i64>,
}

impl fmt::Debug for StoredCookie {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredCookie")
            .field("name", &self.name)
            .field("value", &"<hidden>")
            .field("domain", &self.domain)
            .field("host_only", &self.host_only)
            .field("path", &self.path)
            .field("secure", &self.secure)
            .field("expires", &self.expires)
            .finish()
    }
}

impl StoredCookie {
    fn is_expired(&self, now: i64) -> bool {
        self.expires.is_some_and(|t| t <= now)
    }

    fn matches(&self, origin: &Origin<'_>) -> bool {
        (origin.https || !self.secure)
            && if self.host_only {
                origin.host == self.domain
            } else {
                domain_matches(origin.host, &self.domain)
            }
            && path_matches(origin.path, &self.path)
    }
}

#[derive(Debug, Default, Clone)]
pub struct CookieJar {
    cookies: Vec<StoredCookie>,
}

pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

impl CookieJar {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn is_empty(&self) -> bool {
        self.cookies.is_empty()
    }

    pub fn cookies(&self) -> &[StoredCookie] {
        &self.cookies
    }

    pub fn clear(&mut self) {
        self.cookies.clear();
    }

    /// The cookies that go to `origin` now.
    pub fn cookies_for<'a>(
        &'a self,
        origin: &'a Origin<'_>,
        now: i64,
    ) -> impl Iterator<Item = &'a StoredCookie> + 'a {
        self.cookies
            .iter()
            .filter(move |c| !c.is_expired(now) && c.matches(origin))
    }

    /// The `Cookie` header for a request to `origin`, if any cookie applies. Longer paths first,
    /// as RFC 6265 §5.4 asks.
    pub fn header_for(&self, origin: &Origin<'_>, now: i64) -> Option<Zeroizing<String>> {
        let mut matching: Vec<&StoredCookie> = self.cookies_for(origin, now).collect();
        if matching.is_empty() {
            return None;
        }
        matching.sort_by_key(|c| std::cmp::Reverse(c.path.len()));
        let mut header = Zeroizing::new(String::new());
        for (i, c) in matching.iter().enumerate() {
            if i > 0 {
                header.push_str("; ");
            }
            header.push_str(&c.name);
            header.push('=');
            header.push_str(&c.value);
        }
        Some(header)
    }

    /// Applies one `Set-Cookie` header received from `origin`. Returns whether the jar changed.
    pub fn apply_set_cookie(&mut self, header: &str, origin: &Origin<'_>, now: i64) -> bool {
        let Ok(parsed) = cookie::Cookie::parse(header) else {
            return false;
        };
        if !is_storable(parsed.name(), parsed.value()) {
            return false;
        }
        let domain = match parsed.domain() {
            // A Domain attribute must cover the host that set it (and an IP address only
            // itself); otherwise the cookie is ignored.
            Some(d) if !d.is_empty() => {
                let d = d.trim_start_matches('.').to_ascii_lowercase();
                if !domain_matches(origin.host, &d) {
                    return false;
                }
                Some(d)
            }
            _ => None,
        };
        let secure = parsed.secure().unwrap_or(false);
        if secure && !origin.https {
            return false;
        }
        let path = match parsed.path() {
            // A path with a control character would break a cookies.txt line: not storable.
            Some(p) if p.chars().any(|c| c.is_control() || c == ';') => return false,
            Some(p) if p.starts_with('/') => p.to_string(),
            _ => default_path(origin.path),
        };
        let expires = if let Some(max_age) = parsed.max_age() {
            Some(now.saturating_add(max_age.whole_seconds()))
        } else {
            parsed.expires_datetime().map(|t| t.unix_timestamp())
        };
        let cookie = StoredCookie {
            name: parsed.name().to_string(),
            value: Zeroizing::new(parsed.value().to_string()),
            host_only: domain.is_none(),
            domain: domain.unwrap_or_else(|| origin.host.to_string()),
            path,
            secure,
            http_only: parsed.http_only().unwrap_or(false),
            expires,
        };
        self.insert(cookie, now)
    }

    /// A jar of `cookies` in order, as inserting them one by one would make it (a later cookie
    /// replaces an earlier one of the same name, domain and path; an expired one deletes it), in
    /// time linear in their number, and within the jar's limits.
    pub fn from_cookies(cookies: impl IntoIterator<Item = StoredCookie>, now: i64) -> Self {
        let mut slots: Vec<Option<StoredCookie>> = Vec::new();
        let mut slot_of: HashMap<(String, String, String), usize> = HashMap::new();
        for cookie in cookies {
            if !is_storable(&cookie.name, &cookie.value) {
                continue;
            }
            let key = (
                cookie.name.clone(),
                cookie.domain.clone(),
                cookie.path.clone(),
            );
            let expired = cookie.is_expired(now);
            match slot_of.get(&key) {
                Some(&slot) => slots[slot] = (!expired).then_some(cookie),
                None if expired => {}
                None => {
                    slot_of.insert(key, slots.len());
                    slots.push(Some(cookie));
                }
            }
        }
        let mut cookies: Vec<StoredCookie> = slots.into_iter().flatten().collect();
        // Per domain, then in all: the oldest cookies that are not the wiki's session go first.
        let mut per_domain: HashMap<&str, usize> = HashMap::new();
        for c in &cookies {
            *per_domain.entry(c.domain.as_str()).or_default() += 1;
        }
        let mut over: HashMap<String, usize> = per_domain
            .into_iter()
            .filter(|(_, n)| *n > MAX_COOKIES_PER_DOMAIN)
            .map(|(d, n)| (d.to_string(), n - MAX_COOKIES_PER_DOMAIN))
            .collect();
        let mut keep = vec![true; cookies.len()];
        for session_cookies_too in [false, true] {
            for (i, c) in cookies.iter().enumerate() {
                if let Some(n) = over.get_mut(&c.domain)
                    && *n > 0
                    && keep[i]
                    && (session_cookies_too || !is_session_cookie(&c.name))
                {
                    keep[i] = false;
                    *n -= 1;
                }
            }
        }
        let mut total = keep.iter().filter(|k| **k).count();
        for session_cookies_too in [false, true] {
            for (i, c) in cookies.iter().enumerate() {
                if total > MAX_COOKIES
                    && keep[i]
                    && (session_cookies_too || !is_session_cookie(&c.name))
                {
                    keep[i] = false;
                    total -= 1;
                }
            }
        }
        let mut keep = keep.into_iter();
        cookies.retain(|_| keep.next().unwrap_or(false));
        CookieJar { cookies }
    }

    /// Before a new cookie joins a full jar (or a full domain): the oldest cookie that is not the
    /// wiki's session makes way; a session cookie only for another session cookie, so a flood of
    /// other cookies can never log the session out. Returns whether `new` may be stored.
    fn make_room_for(&mut self, new: &StoredCookie) -> bool {
        let domain_full = self
            .cookies
            .iter()
            .filter(|c| c.domain == new.domain)
            .count()
            >= MAX_COOKIES_PER_DOMAIN;
        if !domain_full && self.cookies.len() < MAX_COOKIES {
            return true;
        }
        let counts = |c: &StoredCookie| !domain_full || c.domain == new.domain;
        let victim = self
            .cookies
            .iter()
            .position(|c| counts(c) && !is_session_cookie(&c.name))
            .or_else(|| {
                is_session_cookie(&new.name)
                    .then(|| self.cookies.iter().position(counts))
                    .flatten()
            });
        match victim {
            Some(i) => {
                self.cookies.remove(i);
                true
            }
            None => false,
        }
    }

    /// Adds or replaces a cookie (same name, domain and path), or removes it when it has already
    /// expired. Returns whether the jar changed.
    pub fn insert(&mut self, cookie: StoredCookie, now: i64) -> bool {
        if !is_storable(&cookie.name, &cookie.value) {
            return false;
        }
        let before = self.cookies.len();
        self.cookies.retain(|c| !c.is_expired(now));
        let purged = before != self.cookies.len();
        let existing = self.cookies.iter().position(|c| {
            c.name == cookie.name && c.domain == cookie.domain && c.path == cookie.path
        });
        match (existing, cookie.is_expired(now)) {
            (Some(i), true) => {
                self.cookies.remove(i);
                true
            }
            (None, true) => purged,
            (Some(i), false) => {
                let old = &self.cookies[i];
                let changed = *old.value != *cookie.value
                    || old.expires != cookie.expires
                    || old.secure != cookie.secure
                    || old.http_only != cookie.http_only
                    || old.host_only != cookie.host_only;
                self.cookies[i] = cookie;
                changed || purged
            }
            (None, false) => {
                if !self.make_room_for(&cookie) {
                    return purged;
                }
                self.cookies.push(cookie);
                true
            }
        }
    }
}

/// RFC 6265's minimum a browser keeps per domain, for the cookies a wiki sets.
pub(crate) const MAX_COOKIES_PER_DOMAIN: usize = 50;
/// RFC 6265's minimum a browser keeps in all.
pub(crate) const MAX_COOKIES: usize = 3000;

/// MediaWiki's cookies of a login, whatever the wiki's prefix: `<prefix>_session`,
/// `<prefix>_BPsession` (a bot-password session), `<prefix>UserID`, `<prefix>UserName` and
/// `<prefix>Token` (remember me). The jar's limits never drop one of them for another cookie.
pub fn is_session_cookie(name: &str) -> bool {
    ["_session", "_BPsession", "UserID", "UserName", "Token"]
        .iter()
        .any(|suffix| name.ends_with(suffix))
}
/// RFC 6265's minimum size a browser keeps for one cookie.
const MAX_COOKIE_BYTES: usize = 4096;

/// A name and value that can go back in a `Cookie` header and into a cookies.txt line: no
/// control characters (a tab would split the line), no separators, not too large.
pub fn is_storable(name: &str, value: &str) -> bool {
    let octet = |c: char| c.is_ascii_graphic() && !matches!(c, ';' | ',');
    !name.is_empty()
        && name.len() + value.len() <= MAX_COOKIE_BYTES
        && name.chars().all(|c| octet(c) && c != '=')
        && value.chars().all(|c| octet(c) || c == ' ')
        && !value.starts_with(' ')
        && !value.ends_with(' ')
}

/// RFC 6265 §5.1.3: `host` equals `domain`, or ends with `.domain` and is a name, not an address.
fn domain_matches(host: &str, domain: &str) -> bool {
    host == domain
        || (host.len() > domain.len()
            && host.ends_with(domain)
            && host.as_bytes()[host.len() - domain.len() - 1] == b'.'
            && host.parse::<std::net::IpAddr>().is_err())
}

/// RFC 6265 §5.1.4.
fn path_matches(request_path: &str, cookie_path: &str) -> bool {
    request_path == cookie_path
        || (request_path.starts_with(cookie_path)
            && (cookie_path.ends_with('/')
                || request_path.as_bytes().get(cookie_path.len()) == Some(&b'/')))
}

/// RFC 6265 §5.1.4: the directory of the request path.
fn default_path(request_path: &str) -> String {
    match request_path.rfind('/') {
        Some(0) | None => "/".to_string(),
        Some(i) => request_path[..i].to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000;

    fn origin(host: &str) -> Origin<'_> {
        Origin {
            https: false,
            host,
            path: "/w/api.php",
        }
    }

    #[test]
    fn session_cookie_round_trip_and_deletion() {
        let mut jar = CookieJar::new();
        let o = origin("127.0.0.1");
        assert!(jar.apply_set_cookie("wiki_session=abc123; path=/; HttpOnly", &o, NOW));
        assert!(jar.apply_set_cookie("wikiUserID=3; expires=Thu, 01 Jan 2099 00:00:00 GMT; Max-Age=2592000; path=/; HttpOnly", &o, NOW));
        assert_eq!(
            &*jar.header_for(&o, NOW).unwrap(),
            "wiki_session=abc123; wikiUserID=3"
        );
        // MediaWiki's deletion
        assert!(jar.apply_set_cookie(
            "wiki_session=deleted; expires=Thu, 01 Jan 1970 00:00:01 GMT; Max-Age=0; path=/; HttpOnly",
            &o,
            NOW
        ));
        assert_eq!(&*jar.header_for(&o, NOW).unwrap(), "wikiUserID=3");
        // Max-Age wins over Expires, and the cookie expires with time
        assert_eq!(jar.cookies()[0].expires, Some(NOW + 2_592_000));
        assert!(jar.header_for(&o, NOW + 2_592_000).is_none());
    }

    #[test]
    fn replacing_a_value_is_a_change_and_same_value_is_not() {
        let mut jar = CookieJar::new();
        let o = origin("wiki.example.org");
        assert!(jar.apply_set_cookie("a=1; path=/", &o, NOW));
        assert!(!jar.apply_set_cookie("a=1; path=/", &o, NOW));
        assert!(jar.apply_set_cookie("a=2; path=/", &o, NOW));
        assert_eq!(jar.cookies().len(), 1);
        assert!(!jar.apply_set_cookie("gone=1; Max-Age=0", &o, NOW));
    }

    #[test]
    fn domains_are_honoured() {
        let mut jar = CookieJar::new();
        let o = origin("en.wiki.example.org");
        assert!(jar.apply_set_cookie("shared=1; Domain=.wiki.example.org; path=/", &o, NOW));
        assert!(jar.apply_set_cookie("own=1; path=/", &o, NOW));
        // a Domain that does not cover the host is ignored
        assert!(!jar.apply_set_cookie("evil=1; Domain=other.org; path=/", &o, NOW));
        assert_eq!(
            &*jar.header_for(&origin("de.wiki.example.org"), NOW).unwrap(),
            "shared=1"
        );
        assert_eq!(jar.header_for(&origin("example.org"), NOW), None);
        assert_eq!(jar.header_for(&origin("xwiki.example.org"), NOW), None);
        assert_eq!(jar.header_for(&o, NOW).unwrap().matches('=').count(), 2);
        // host-only cookies do not go to subdomains
        assert_eq!(
            jar.header_for(&origin("a.en.wiki.example.org"), NOW)
                .unwrap()
                .as_str(),
            "shared=1"
        );
    }

    #[test]
    fn paths_are_honoured() {
        let mut jar = CookieJar::new();
        let o = origin("wiki.example.org");
        jar.apply_set_cookie("w=1; path=/w", &o, NOW);
        jar.apply_set_cookie("root=1; path=/", &o, NOW);
        jar.apply_set_cookie("other=1; path=/wiki", &o, NOW);
        jar.apply_set_cookie("dflt=1", &o, NOW); // default path: /w
        assert_eq!(&*jar.header_for(&o, NOW).unwrap(), "w=1; dflt=1; root=1");
        let elsewhere = Origin {
            path: "/wx/api.php",
            ..o
        };
        assert_eq!(&*jar.header_for(&elsewhere, NOW).unwrap(), "root=1");
    }

    #[test]
    fn secure_cookies_never_go_over_http() {
        let mut jar = CookieJar::new();
        let https = Origin {
            https: true,
            host: "wiki.example.org",
            path: "/api.php",
        };
        let http = Origin {
            https: false,
            ..https.clone()
        };
        assert!(jar.apply_set_cookie("s=1; Secure; path=/", &https, NOW));
        assert!(!jar.apply_set_cookie("t=1; Secure; path=/", &http, NOW));
        assert_eq!(&*jar.header_for(&https, NOW).unwrap(), "s=1");
        assert!(jar.header_for(&http, NOW).is_none());
    }

    #[test]
    fn cookies_that_could_break_a_header_or_a_file_are_refused() {
        let mut jar = CookieJar::new();
        let o = origin("127.0.0.1");
        assert!(!jar.apply_set_cookie("a=b\tc; path=/", &o, NOW));
        assert!(!jar.apply_set_cookie("a\u{1}=b; path=/", &o, NOW));
        assert!(!jar.apply_set_cookie(&format!("big={}; path=/", "x".repeat(5000)), &o, NOW));
        assert!(!jar.apply_set_cookie("a=b; path=/w\tx", &o, NOW));
        assert!(jar.is_empty());
        for i in 0..60 {
            jar.apply_set_cookie(&format!("c{i}=v; path=/"), &o, NOW);
        }
        assert_eq!(jar.cookies().len(), MAX_COOKIES_PER_DOMAIN);
        assert_eq!(jar.cookies()[0].name, "c10", "the oldest went first");
    }

    #[test]
    fn debug_hides_values() {
        let mut jar = CookieJar::new();
        jar.apply_set_cookie("wiki_session=topsecret", &origin("h"), NOW);
        assert!(!format!("{jar:?}").contains("topsecret"));
    }

    #[test]
    fn an_httponly_change_is_a_change() {
        // Found by fuzz/fuzz_targets/set_cookie.rs: the cookie file was not rewritten.
        let mut jar = CookieJar::new();
        let o = origin("127.0.0.1");
        assert!(jar.apply_set_cookie("UseDC=master; path=/; HttpOnly", &o, NOW));
        assert!(jar.apply_set_cookie("UseDC=master; path=/", &o, NOW));
        assert!(!jar.cookies()[0].http_only);
    }

    #[test]
    fn a_flood_of_cookies_never_evicts_the_session() {
        let mut jar = CookieJar::new();
        let o = origin("wiki.example.org");
        assert!(jar.apply_set_cookie("wiki_session=s3cret; path=/", &o, NOW));
        assert!(jar.apply_set_cookie("wikiUserID=3; path=/", &o, NOW));
        for i in 0..200 {
            jar.apply_set_cookie(&format!("junk{i}=x; path=/"), &o, NOW);
        }
        assert_eq!(jar.cookies().len(), MAX_COOKIES_PER_DOMAIN);
        let header = jar.header_for(&o, NOW).unwrap();
        assert!(
            header.contains("wiki_session=s3cret"),
            "{}",
            header.as_str()
        );
        assert!(header.contains("wikiUserID=3"));
        assert!(header.contains("junk199=x"), "the newest stay");
        // A session cookie still makes its way into a full domain.
        assert!(jar.apply_set_cookie("wiki_BPsession=b; path=/", &o, NOW));
        assert!(
            jar.header_for(&o, NOW)
                .unwrap()
                .contains("wiki_BPsession=b")
        );
    }

    #[test]
    fn the_jar_holds_at_most_max_cookies() {
        let mut jar = CookieJar::new();
        let wiki = origin("wiki.example.org");
        jar.apply_set_cookie("wiki_session=s; path=/", &wiki, NOW);
        for i in 0..(MAX_COOKIES + 100) {
            let host = format!("h{i}.example.org");
            jar.apply_set_cookie("c=1; path=/", &origin(&host), NOW);
        }
        assert_eq!(jar.cookies().len(), MAX_COOKIES);
        assert!(jar.header_for(&wiki, NOW).is_some());
    }
}
