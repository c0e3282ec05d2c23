//! The Netscape `cookies.txt` format, as curl (`-b`, `-c`) and Python's
//! `http.cookiejar.MozillaCookieJar` read and write it, and its atomic rewrite.
//!
//! A line is `domain \t include_subdomains \t path \t secure \t expires \t name \t value`;
//! `#HttpOnly_` before the domain marks an HttpOnly cookie. A session cookie is written with
//! expires `0`, as curl writes it (curl refuses an empty field); an empty field, as Python
//! writes it, is read as a session cookie too.

use crate::cookies::{CookieJar, Origin, StoredCookie};
use crate::error::{Code, Error, Result};
use std::fs;
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

const HEADER: &str =
    "# Netscape HTTP Cookie File\n# Written by mwauth. Holds session secrets: keep it private.\n\n";
const HTTP_ONLY_PREFIX: &str = "#HttpOnly_";

/// Reads a cookie file into a jar, dropping expired cookies. `None` when the file does not exist.
pub fn load(path: &Path, now: i64) -> Result<Option<CookieJar>> {
    let text = match fs::read(path) {
        Ok(bytes) => Zeroizing::new(bytes),
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(Error::of(
                Code::InvalidValue,
                format!("config.cookie_file {} cannot be read: {e}", path.display()),
            ));
        }
    };
    let text = std::str::from_utf8(&text).map_err(|_| {
        Error::of(
            Code::InvalidValue,
            format!("config.cookie_file {} is not UTF-8 text", path.display()),
        )
    })?;
    let mut cookies = Vec::new();
    for (index, raw_line) in text.lines().enumerate() {
        let bad = |why: &str| {
            Error::of(
                Code::InvalidValue,
                format!(
                    "config.cookie_file {} line {}: {why}; the file was left as it is",
                    path.display(),
                    index + 1
                ),
            )
        };
        let (line, http_only) = match raw_line.strip_prefix(HTTP_ONLY_PREFIX) {
            Some(rest) => (rest, true),
            None => (raw_line, false),
        };
        if line.trim().is_empty() || (!http_only && line.trim_start().starts_with(['#', '$'])) {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        let [
            domain,
            subdomains,
            cookie_path,
            secure,
            expires,
            name,
            value,
        ] = fields[..]
        else {
            return Err(bad(&format!(
                "expected 7 tab-separated fields, found {}",
                fields.len()
            )));
        };
        let flag = |text: &str, what: &str| match text {
            "TRUE" => Ok(true),
            "FALSE" => Ok(false),
            _ => Err(bad(&format!("{what} must be TRUE or FALSE"))),
        };
        let include_subdomains = flag(subdomains, "the second field")?;
        let secure = flag(secure, "the fourth field")?;
        let expires = match expires {
            "" | "0" => None,
            t => Some(
                t.parse::<i64>()
                    .map_err(|_| bad("the expiry must be a number of seconds"))?,
            ),
        };
        if name.is_empty()
            || domain.trim_start_matches('.').is_empty()
            || !cookie_path.starts_with('/')
        {
            return Err(bad(
                "a cookie needs a name, a domain and a path starting with /",
            ));
        }
        // A domain that would be written back as a comment ("#x", "$x": curl's and this
        // file's comment marks) would vanish on the next load: not storable either.
        let domain_is_a_comment = domain.trim_start_matches('.').starts_with(['#', '$']);
        if !crate::cookies::is_storable(name, value) || domain_is_a_comment {
            // Another program's cookie this library cannot send (a comma, raw UTF-8, over
            // 4 KiB): left out, as curl and browsers leave out what they cannot use.
            continue;
        }
        cookies.push(StoredCookie {
            name: name.to_string(),
            value: Zeroizing::new(value.to_string()),
            domain: domain.trim_start_matches('.').to_ascii_lowercase(),
            host_only: !include_subdomains,
            path: cookie_path.to_string(),
            secure,
            http_only,
            expires,
        });
    }
    remove_stale_temporaries(path);
    Ok(Some(CookieJar::from_cookies(cookies, now)))
}

/// Removes the temporary files that `save`s of `path` in processes that are gone left behind
/// (killed between writing and renaming): they hold session cookies. Only regular files named
/// as `save` names them, whose writer process no longer exists.
fn remove_stale_temporaries(path: &Path) {
    let (Some(folder), Some(file_name)) = (path.parent(), path.file_name()) else {
        return;
    };
    let folder = if folder.as_os_str().is_empty() {
        Path::new(".")
    } else {
        folder
    };
    let prefix = format!(".{}.", file_name.to_string_lossy());
    let Ok(entries) = fs::read_dir(folder) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let Some(pid) = name
            .strip_prefix(&prefix)
            .and_then(|rest| rest.strip_suffix(".tmp"))
            .and_then(|rest| rest.split('-').next())
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        // (In a shared folder the sticky bit keeps others' files from us, as it should.)
        let is_file = entry.file_type().is_ok_and(|t| t.is_file());
        if is_file && pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// The file's text for a jar.
pub(crate) fn render(jar: &CookieJar) -> Zeroizing<String> {
    let mut text = Zeroizing::new(String::from(HEADER));
    for c in jar.cookies() {
        let (domain, subdomains) = if c.host_only {
            (c.domain.clone(), "FALSE")
        } else {
            (format!(".{}", c.domain), "TRUE")
        };
        let line = format!(
            "{}{domain}\t{subdomains}\t{}\t{}\t{}\t{}\t",
            if c.http_only { HTTP_ONLY_PREFIX } else { "" },
            c.path,
            if c.secure { "TRUE" } else { "FALSE" },
            c.expires.unwrap_or(0),
            c.name,
        );
        text.push_str(&line);
        text.push_str(&c.value);
        text.push('\n');
    }
    text
}

/// Rewrites the file atomically with mode 0600: a temporary file in the same folder, fsync,
/// rename. A reader sees the old file or the new one, never half of one.
pub fn save(path: &Path, jar: &CookieJar) -> io::Result<()> {
    write(path, &render(jar))
}

/// Writes `text` (what `render` made) to `path` as `save` does.
pub fn write(path: &Path, text: &str) -> io::Result<()> {
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // A name no one can guess and a file that must not exist yet (O_EXCL, which also refuses a
    // symlink planted in a shared folder): two sessions of one process never share it, and
    // another user cannot have the secrets written into a file of theirs.
    let (temporary, mut file) = {
        let mut attempt = 0;
        loop {
            let candidate = folder.join(format!(".{file_name}.{}.tmp", unique_suffix()));
            match fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .custom_flags(libc::O_NOFOLLOW)
                .open(&candidate)
            {
                Ok(file) => break (candidate, file),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempt < 8 => attempt += 1,
                Err(e) => return Err(e),
            }
        }
    };
    let written = (|| {
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        fs::rename(&temporary, path)?;
        // The rename itself is durable once the folder is synced.
        if let Ok(dir) = fs::File::open(&folder) {
            let _ = dir.sync_all();
        }
        Ok(())
    })();
    if written.is_err() {
        let _ = fs::remove_file(&temporary);
    }
    written
}

/// The process id, a per-process counter and random bits: unique among this process's writers
/// and unguessable to others.
fn unique_suffix() -> String {
    use ring::rand::SecureRandom as _;
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut random = [0u8; 8];
    let _ = ring::rand::SystemRandom::new().fill(&mut random);
    format!(
        "{}-{}-{:016x}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        u64::from_ne_bytes(random)
    )
}

/// Whether a jar holds a login to the wiki at `origin`: MediaWiki's session cookies (names
/// ending in `_session`, `_BPsession` or `UserID`) that would be sent to it.
pub fn holds_wiki_session(jar: &CookieJar, origin: &Origin<'_>, now: i64) -> bool {
    jar.cookies_for(origin, now).any(|c| {
        c.name.ends_with("_session") || c.name.ends_with("_BPsession") || c.name.ends_with("UserID")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000;

    fn temp_path(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("mwauth-cookie-test-{}-{name}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        dir.join("cookies.txt")
    }

    #[test]
    fn round_trip_keeps_every_attribute() {
        let mut jar = CookieJar::new();
        let origin = Origin {
            https: true,
            host: "wiki.example.org",
            path: "/w/api.php",
        };
        jar.apply_set_cookie("wiki_session=abc; path=/; HttpOnly", &origin, NOW);
        jar.apply_set_cookie("wikiUserID=3; Max-Age=100; path=/w; Secure", &origin, NOW);
        jar.apply_set_cookie("shared=x; Domain=example.org; path=/", &origin, NOW);
        let path = temp_path("round");
        save(&path, &jar).unwrap();
        let text = fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("# Netscape HTTP Cookie File\n"));
        assert!(
            text.contains("#HttpOnly_wiki.example.org\tFALSE\t/\tFALSE\t0\twiki_session\tabc\n"),
            "{text}"
        );
        assert!(text.contains(&format!(
            "wiki.example.org\tFALSE\t/w\tTRUE\t{}\twikiUserID\t3\n",
            NOW + 100
        )));
        assert!(text.contains(".example.org\tTRUE\t/\tFALSE\t0\tshared\tx\n"));
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let back = load(&path, NOW).unwrap().unwrap();
        assert_eq!(
            &*back.header_for(&origin, NOW).unwrap(),
            &*jar.header_for(&origin, NOW).unwrap()
        );
        assert!(holds_wiki_session(&back, &origin, NOW));
        let elsewhere = Origin {
            host: "other.org",
            ..origin.clone()
        };
        assert!(!holds_wiki_session(&back, &elsewhere, NOW));
        fs::remove_dir_all(path.parent().unwrap()).unwrap();
    }

    #[test]
    fn python_and_curl_forms_load_and_expired_cookies_drop() {
        let path = temp_path("forms");
        fs::write(
            &path,
            "# Netscape HTTP Cookie File\n\n# a comment\n127.0.0.1\tFALSE\t/\tFALSE\t\tpy\t1\n\
             127.0.0.1\tFALSE\t/\tFALSE\t100\told\t2\n#HttpOnly_127.0.0.1\tFALSE\t/\tFALSE\t0\tcurl\t3\n\
             127.0.0.1\tFALSE\t/\tFALSE\t0\tgeo\tD\u{fc}sseldorf,DE\n",
        )
        .unwrap();
        let jar = load(&path, NOW).unwrap().unwrap();
        let names: Vec<&str> = jar.cookies().iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["py", "curl"]);
        let local = Origin {
            https: false,
            host: "127.0.0.1",
            path: "/api.php",
        };
        assert!(!holds_wiki_session(&jar, &local, NOW));
        fs::remove_dir_all(path.parent().unwrap()).unwrap();
    }

    #[test]
    fn a_bad_file_names_its_line() {
        let path = temp_path("bad");
        for (text, line) in [
            (
                "# Netscape HTTP Cookie File\n127.0.0.1\tFALSE\t/\n",
                "line 2",
            ),
            (
                "# Netscape HTTP Cookie File\n\n127.0.0.1\tMAYBE\t/\tFALSE\t0\ta\tb\n",
                "line 3",
            ),
            ("127.0.0.1\tFALSE\t/\tFALSE\tsoon\ta\tb\n", "line 1"),
        ] {
            fs::write(&path, text).unwrap();
            let e = load(&path, NOW).unwrap_err();
            assert_eq!(e.code(), "invalid_value");
            assert!(e.info().contains(line), "{}", e.info());
            assert_eq!(
                fs::read_to_string(&path).unwrap(),
                text,
                "the file is left as it was"
            );
        }
        assert!(
            load(&path.with_file_name("missing.txt"), NOW)
                .unwrap()
                .is_none()
        );
        fs::remove_dir_all(path.parent().unwrap()).unwrap();
    }

    fn cookie_line(domain: &str, name: &str) -> String {
        format!("{domain}\tFALSE\t/\tFALSE\t0\t{name}\tv\n")
    }

    #[test]
    fn a_domain_written_as_a_comment_is_left_out() {
        // Found by fuzz/fuzz_targets/cookie_file.rs: ".#x" loaded as a cookie for "#x", was
        // saved as a comment line, and was gone after the next load.
        let path = temp_path("comment-domain");
        fs::write(
            &path,
            ".#x\tFALSE\t/\tFALSE\t0\ta\tb\n.$y\tFALSE\t/\tFALSE\t0\tc\td\nok.org\tFALSE\t/\tFALSE\t0\te\tf\n",
        )
        .unwrap();
        let jar = load(&path, NOW).unwrap().unwrap();
        save(&path, &jar).unwrap();
        assert_eq!(jar.cookies().len(), 1);
        assert_eq!(load(&path, NOW).unwrap().unwrap().cookies().len(), 1);
        fs::remove_dir_all(path.parent().unwrap()).unwrap();
    }

    #[test]
    fn a_large_file_loads_in_linear_time_and_within_the_limits() {
        // 100,000 cookies: one insert at a time (each scanning the jar) took minutes.
        let path = temp_path("large");
        let mut text = String::from(HEADER);
        text.push_str(&cookie_line("wiki.example.org", "wiki_session"));
        for i in 0..100_000 {
            text.push_str(&cookie_line(&format!("h{i}.example.org"), "c"));
        }
        for i in 0..100 {
            text.push_str(&cookie_line("wiki.example.org", &format!("other{i}")));
        }
        fs::write(&path, &text).unwrap();
        let started = std::time::Instant::now();
        let jar = load(&path, NOW).unwrap().unwrap();
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(jar.cookies().len(), crate::cookies::MAX_COOKIES);
        let wiki: Vec<_> = jar
            .cookies()
            .iter()
            .filter(|c| c.domain == "wiki.example.org")
            .collect();
        assert_eq!(wiki.len(), crate::cookies::MAX_COOKIES_PER_DOMAIN);
        assert!(wiki.iter().any(|c| c.name == "wiki_session"));
        // The newest of the others stay.
        assert!(wiki.iter().any(|c| c.name == "other99"));
        fs::remove_dir_all(path.parent().unwrap()).unwrap();
    }

    #[test]
    fn a_later_line_replaces_an_earlier_one_and_an_expired_one_deletes_it() {
        let path = temp_path("replace");
        let text = format!(
            "{HEADER}a.org\tFALSE\t/\tFALSE\t0\tx\t1\na.org\tFALSE\t/\tFALSE\t0\ty\t1\n\
             a.org\tFALSE\t/\tFALSE\t0\tx\t2\na.org\tFALSE\t/\tFALSE\t5\ty\t2\n"
        );
        fs::write(&path, text).unwrap();
        let jar = load(&path, NOW).unwrap().unwrap();
        let cookies: Vec<_> = jar
            .cookies()
            .iter()
            .map(|c| (c.name.as_str(), c.value.as_str()))
            .collect();
        assert_eq!(cookies, [("x", "2")]);
        fs::remove_dir_all(path.parent().unwrap()).unwrap();
    }

    #[test]
    fn temporary_files_of_dead_writers_are_removed_and_others_kept() {
        let path = temp_path("stale");
        fs::write(&path, HEADER).unwrap();
        let folder = path.parent().unwrap();
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let dead = child.id();
        child.wait().unwrap();
        let stale = folder.join(format!(".cookies.txt.{dead}-0-00000000000000aa.tmp"));
        let live = folder.join(".cookies.txt.1-0-00000000000000bb.tmp");
        let mine = folder.join(format!(
            ".cookies.txt.{}-0-00000000000000cc.tmp",
            std::process::id()
        ));
        let unrelated = folder.join(format!(".other.txt.{dead}-0-00000000000000dd.tmp"));
        for f in [&stale, &live, &mine, &unrelated] {
            fs::write(f, "secret").unwrap();
        }
        load(&path, NOW).unwrap().unwrap();
        assert!(
            !stale.exists(),
            "a dead writer's temporary file holds cookies"
        );
        assert!(live.exists() && mine.exists() && unrelated.exists());
        fs::remove_dir_all(folder).unwrap();
    }

    /// `len` characters drawn from `from`.
    fn pick(next: &mut impl FnMut() -> u64, from: &[char], len: u64) -> String {
        (0..len)
            .map(|_| from[(next() % from.len() as u64) as usize])
            .collect()
    }

    #[test]
    fn any_jar_survives_save_and_load_unchanged() {
        let path = temp_path("property");
        let mut next = crate::test_support::numbers(0x636f_6f6b_6965);
        // Cookie octets (RFC 6265), '#' and '$' included: they start comment lines elsewhere.
        let octets: Vec<char> = ('!'..='~')
            .filter(|c| !matches!(c, ';' | ',' | '='))
            .collect();
        for round in 0..200 {
            let cookies: Vec<StoredCookie> = (0..(round % 40))
                .map(|i| {
                    let name = pick(&mut next, &octets, 1 + i % 8);
                    let mut value = pick(&mut next, &octets, i % 12);
                    if value.len() > 2 {
                        value.insert(1, ' '); // inside a value, a space is allowed
                    }
                    let bits = next();
                    StoredCookie {
                        name,
                        value: Zeroizing::new(value),
                        domain: format!("h{}.example.org", bits % 5),
                        host_only: bits & 8 == 0,
                        path: format!("/{}", pick(&mut next, &['a', 'b', '/', '-', '%'], bits % 4)),
                        secure: bits & 16 == 0,
                        http_only: bits & 32 == 0,
                        expires: (bits & 64 == 0).then_some(NOW + 1 + (bits >> 40) as i64),
                    }
                })
                .collect();
            let jar = CookieJar::from_cookies(cookies, NOW);
            save(&path, &jar).unwrap();
            let back = load(&path, NOW).unwrap().unwrap();
            let fields = |jar: &CookieJar| -> Vec<String> {
                jar.cookies()
                    .iter()
                    .map(|c| {
                        let value: &str = &c.value;
                        format!(
                            "{}={value} {} {} {} {} {} {:?}",
                            c.name, c.domain, c.host_only, c.path, c.secure, c.http_only, c.expires
                        )
                    })
                    .collect()
            };
            assert_eq!(fields(&back), fields(&jar), "round {round}");
        }
        fs::remove_dir_all(path.parent().unwrap()).unwrap();
    }
}
