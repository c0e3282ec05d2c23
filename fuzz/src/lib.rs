//! What the fuzz targets share: reading a fuzz input as JSON or as the wiki's answers, the check
//! that no secret shows in an output, and a fake wiki on loopback that serves a fuzz input's
//! answers to a real `Session`.

use memchr::memmem;
use serde_json::Value;
use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

/// A fuzz input as a JSON value, if it is one.
pub fn json(data: &[u8]) -> Option<Value> {
    serde_json::from_slice(data).ok()
}

/// The string at `path` in `value` (`["bot_password", "password"]`), if there is one.
pub fn string_at<'a>(value: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter()
        .try_fold(value, |v, key| v.get(key))
        .and_then(Value::as_str)
}

/// One HTTP answer of the wiki: what `mwauth` reads of it.
#[derive(Debug, Clone, Default)]
pub struct Answer {
    pub status: u16,
    pub set_cookies: Vec<String>,
    pub retry_after: Option<String>,
    pub body: Vec<u8>,
}

/// The answers in a fuzz input written as `curl -i` prints them: each starts with a status line
/// (`HTTP/1.1 200 OK`) at the start of a line, then headers, a blank line and the body. Text
/// before the first status line is an answer of its own: status 200, no headers, that body.
pub fn answers(data: &[u8]) -> Vec<Answer> {
    // memchr rather than a loop over the bytes: the fuzzer's instrumentation slows every
    // comparison the loop would make.
    let mut starts = vec![0];
    starts.extend(memmem::find_iter(data, b"\nHTTP/").map(|i| i + 1));
    starts.push(data.len());
    starts
        .windows(2)
        .map(|w| answer(&data[w[0]..w[1]]))
        .collect()
}

fn answer(text: &[u8]) -> Answer {
    if !text.starts_with(b"HTTP/") {
        return Answer {
            status: 200,
            body: text.to_vec(),
            ..Answer::default()
        };
    }
    let crlf = memmem::find(text, b"\r\n\r\n").map(|i| (i, 4));
    let lf = memmem::find(text, b"\n\n").map(|i| (i, 2));
    let (head, body) = match crlf.into_iter().chain(lf).min() {
        Some((end, gap)) => (&text[..end], &text[end + gap..]),
        None => (text, &text[text.len()..]),
    };
    let head = String::from_utf8_lossy(head);
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|line| line.split_whitespace().nth(1))
        .and_then(|code| code.parse().ok())
        .unwrap_or(200);
    let mut answer = Answer {
        status,
        body: body.to_vec(),
        ..Answer::default()
    };
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim_matches([' ', '\t', '\r']).to_string();
        if name.eq_ignore_ascii_case("set-cookie") {
            answer.set_cookies.push(value);
        } else if name.eq_ignore_ascii_case("retry-after") {
            answer.retry_after = Some(value);
        }
    }
    answer
}

/// The word that starts every secret's mark.
pub const MARK: &str = "mwsecret";

/// Marks on the secrets of one input, and the check that no output shows one.
///
/// Each secret gets a mark of its own before its value (`mwsecret3x`), so an output that shows
/// the mark shows the secret, whatever else the input holds. (Comparing outputs with the values
/// themselves would not do: libFuzzer learns from the comparisons and soon makes a password of a
/// piece of the error text.) A mark is ASCII letters and digits, so a marked value is as valid
/// as it was; an empty value, which cannot show, is left empty. An input that holds the word
/// `mwsecret` itself is not checked.
pub struct Secrets {
    marks: Vec<String>,
    checked: bool,
}

impl Secrets {
    /// For an input whose text (for JSON: as `serde_json` writes it) is `text`.
    pub fn new(text: &str) -> Self {
        Secrets {
            marks: Vec::new(),
            checked: !text.to_ascii_lowercase().contains(MARK),
        }
    }

    /// For a JSON input.
    pub fn of_json(value: &Value) -> Self {
        Self::new(&value.to_string())
    }

    /// Puts a mark of its own before a secret.
    pub fn mark(&mut self, secret: &mut String) {
        self.mark_at(secret, 0);
    }

    /// Puts a mark of its own into a secret at byte `at`.
    pub fn mark_at(&mut self, secret: &mut String, at: usize) {
        if secret.is_empty() || !secret.is_char_boundary(at) {
            return;
        }
        let mark = format!("{MARK}{}x", self.marks.len());
        secret.insert_str(at, &mark);
        self.marks.push(mark);
    }

    /// Marks the string at `path` in `value` (`["bot_password", "password"]`), if there is one.
    pub fn mark_json(&mut self, value: &mut Value, path: &[&str]) {
        if let Some(Value::String(secret)) = path.iter().try_fold(value, |v, key| v.get_mut(*key)) {
            self.mark(secret);
        }
    }

    /// A secret of the target's own that holds a mark already (a password it logs in with).
    pub fn add_own(&mut self, secret: &str) {
        assert!(secret.starts_with(MARK));
        self.marks.push(secret.to_ascii_lowercase());
    }

    /// Panics when `output` shows a secret; `what` names the output.
    pub fn check(&self, what: &str, output: &str) {
        if !self.checked {
            return;
        }
        let output = output.to_ascii_lowercase();
        for mark in &self.marks {
            assert!(
                !output.contains(mark.as_str()),
                "{what} shows the secret marked {mark}: {output}"
            );
        }
    }
}

/// Marks the secrets of a config object (`mw_session_new`): the bot password, the OAuth
/// secrets, and the user name and password a proxy URL may carry.
pub fn mark_config_secrets(config: &mut Value) -> Secrets {
    let mut secrets = Secrets::of_json(config);
    for path in [
        &["bot_password", "password"][..],
        &["oauth2_token"],
        &["oauth1", "consumer_secret"],
        &["oauth1", "access_token"],
        &["oauth1", "access_secret"],
    ] {
        secrets.mark_json(config, path);
    }
    if let Some(Value::String(proxy)) = config.get_mut("proxy") {
        let userinfo_at = proxy.find("://").map_or(0, |i| i + 3);
        if proxy[userinfo_at..].contains('@') && !proxy[userinfo_at..].starts_with('@') {
            secrets.mark_at(proxy, userinfo_at);
        }
    }
    secrets
}

/// Marks the secret of a credentials object (`mw_login`): its password.
pub fn mark_credentials_secrets(credentials: &mut Value) -> Secrets {
    let mut secrets = Secrets::of_json(credentials);
    secrets.mark_json(credentials, &["password"]);
    secrets
}

/// Marks the secrets of a clientlogin request or step (`mw_clientlogin`,
/// `mw_clientlogin_step`): every field's value (a password, a two-factor code) but `returnurl`.
pub fn mark_form_secrets(request: &mut Value) -> Secrets {
    let mut secrets = Secrets::of_json(request);
    for (name, field) in request.as_object_mut().into_iter().flatten() {
        if let (false, Value::String(value)) = (name == "returnurl", field) {
            secrets.mark(value);
        }
    }
    secrets
}

/// Marks the secrets of an `mw_request` object: the values of its secret parameters
/// (`lgpassword`, `token`, ...), strings or lists of strings.
pub fn mark_request_secrets(request: &mut Value) -> Secrets {
    let mut secrets = Secrets::of_json(request);
    let params = request.get_mut("params").and_then(Value::as_object_mut);
    for (name, param) in params.into_iter().flatten() {
        if !mwauth::params::is_sensitive(name) {
            continue;
        }
        let items = match param {
            Value::Array(items) => items.iter_mut().collect(),
            one => vec![one],
        };
        for item in items {
            if let Value::String(value) = item {
                secrets.mark(value);
            }
        }
    }
    secrets
}

/// A folder of this process's own in `/dev/shm` (memory: the cookie file targets write a file
/// per input), else in the temporary folder. The folders of processes that have ended go.
pub fn scratch_dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let shm = PathBuf::from("/dev/shm");
        let base = if shm.is_dir() {
            shm
        } else {
            std::env::temp_dir()
        };
        for entry in std::fs::read_dir(&base).into_iter().flatten().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if let Some(pid) = name.strip_prefix("mwauth-fuzz-")
                && !PathBuf::from(format!("/proc/{pid}")).exists()
            {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
        let dir = base.join(format!("mwauth-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a scratch folder");
        dir
    })
}

/// A wiki on loopback that answers each request with the next answer it was given, and
/// remembers each request's head (request line and headers).
pub struct FakeWiki {
    pub api_url: String,
    state: Arc<Mutex<WikiState>>,
}

#[derive(Default)]
struct WikiState {
    answers: VecDeque<Answer>,
    heads: Vec<String>,
}

/// What the fake wiki answers when it has no answer left: an API error, so that every call
/// after the last answer fails at once.
const NO_MORE_ANSWERS: &str =
    r#"{"error":{"code":"fuzz-no-answer","info":"The fuzz input holds no more answers."}}"#;

impl FakeWiki {
    /// The process's fake wiki, started on first use.
    pub fn get() -> &'static FakeWiki {
        static WIKI: OnceLock<FakeWiki> = OnceLock::new();
        WIKI.get_or_init(|| {
            let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
            let port = listener.local_addr().expect("its address").port();
            let state = Arc::new(Mutex::new(WikiState::default()));
            let shared = Arc::clone(&state);
            std::thread::spawn(move || {
                for stream in listener.incoming().flatten() {
                    let state = Arc::clone(&shared);
                    std::thread::spawn(move || serve_connection(stream, &state));
                }
            });
            FakeWiki {
                api_url: format!("http://127.0.0.1:{port}/api.php"),
                state,
            }
        })
    }

    /// Answers the next requests with `answers`, in order, and forgets earlier requests.
    pub fn serve(&self, answers: Vec<Answer>) {
        let mut state = self.state.lock().unwrap();
        state.answers = answers.into();
        state.heads.clear();
    }

    /// The heads of the requests since `serve`.
    pub fn request_heads(&self) -> Vec<String> {
        self.state.lock().unwrap().heads.clone()
    }
}

/// One keep-alive connection: requests in, answers out, until the client closes it.
fn serve_connection(stream: TcpStream, state: &Mutex<WikiState>) {
    let Ok(mut writer) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(stream);
    loop {
        let mut head = String::new();
        loop {
            let mut line = String::new();
            match reader.read_line(&mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) if line == "\r\n" || line == "\n" => break,
                Ok(_) => head.push_str(&line),
            }
        }
        let length = head
            .lines()
            .filter_map(|line| line.split_once(':'))
            .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
            .and_then(|(_, value)| value.trim().parse().ok())
            .unwrap_or(0);
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let answer = {
            let mut state = state.lock().unwrap();
            state.heads.push(head);
            state.answers.pop_front()
        }
        .unwrap_or_else(|| Answer {
            status: 200,
            body: NO_MORE_ANSWERS.into(),
            ..Answer::default()
        });
        if writer.write_all(&http_answer(&answer)).is_err() {
            return;
        }
    }
}

/// An answer as HTTP/1.1 bytes. Statuses whose answers carry no body (1xx, 204, 304) or that
/// are not statuses at all become 200, so that every answer is framed by its Content-Length.
fn http_answer(answer: &Answer) -> Vec<u8> {
    let status = match answer.status {
        204 | 304 => 200,
        s if (200..600).contains(&s) => s,
        _ => 200,
    };
    let mut out = format!(
        "HTTP/1.1 {status} Fuzz\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
        answer.body.len()
    )
    .into_bytes();
    let headers = answer
        .set_cookies
        .iter()
        .map(|v| ("Set-Cookie", v))
        .chain(answer.retry_after.iter().map(|v| ("Retry-After", v)));
    for (name, value) in headers {
        out.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(&answer.body);
    out
}

/// Everything a stored cookie holds, comparable.
pub type CookieFields = (
    String,
    String,
    String,
    bool,
    String,
    bool,
    bool,
    Option<i64>,
);

pub fn cookie_fields(jar: &mwauth::cookies::CookieJar) -> Vec<CookieFields> {
    jar.cookies()
        .iter()
        .map(|c| {
            let value: &str = &c.value;
            (
                c.name.clone(),
                value.to_string(),
                c.domain.clone(),
                c.host_only,
                c.path.clone(),
                c.secure,
                c.http_only,
                c.expires,
            )
        })
        .collect()
}

/// Saves a jar to a cookies.txt file and loads it back at `now`: the same cookies must come back.
pub fn assert_cookie_file_round_trip(jar: &mwauth::cookies::CookieJar, now: i64) {
    use mwauth::cookie_file;
    let path = scratch_dir().join("round-trip.txt");
    cookie_file::save(&path, jar).expect("the cookie file is written");
    let back = cookie_file::load(&path, now)
        .expect("a file mwauth wrote loads")
        .expect("and exists");
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    assert_eq!(
        cookie_fields(&back),
        cookie_fields(jar),
        "through the file:\n{text}"
    );
}

/// The parameters in a request head's URL, decoded, one `name=value` a line.
pub fn url_parameters(head: &str) -> String {
    let target = head.split(' ').nth(1).unwrap_or_default();
    let query = target.split_once('?').map_or("", |(_, query)| query);
    form_urlencoded::parse(query.as_bytes())
        .map(|(name, value)| format!("{name}={value}\n"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_read_as_curl_prints_them() {
        let text = b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 5 \r\nset-cookie: a=1; path=/\r\n\r\n{\"x\":1}\nHTTP/1.1 200 OK\nSet-Cookie: b=2\n\nbody\n";
        let read = answers(text);
        assert_eq!(read.len(), 2);
        assert_eq!(read[0].status, 503);
        assert_eq!(read[0].retry_after.as_deref(), Some("5"));
        assert_eq!(read[0].set_cookies, ["a=1; path=/"]);
        assert_eq!(read[0].body, b"{\"x\":1}\n");
        assert_eq!((read[1].status, &read[1].body[..]), (200, &b"body\n"[..]));
        let plain = answers(b"{\"error\":{}}");
        assert_eq!((plain.len(), plain[0].status), (1, 200));
    }

    #[test]
    #[should_panic(expected = "shows the secret marked mwsecret0x")]
    fn a_marked_secret_that_shows_fails_the_check() {
        let mut value: Value =
            serde_json::from_str(r#"{"username": "u", "password": "pw"}"#).unwrap();
        let secrets = mark_credentials_secrets(&mut value);
        assert_eq!(value["password"], "mwsecret0xpw");
        secrets.check("an error", "credentials.password mwsecret0xpw is wrong");
    }

    #[test]
    fn an_input_that_holds_the_mark_is_not_checked() {
        let mut value: Value = serde_json::from_str(r#"{"password": "MWSECRET0x"}"#).unwrap();
        let secrets = mark_credentials_secrets(&mut value);
        secrets.check("an error", &value.to_string());
    }

    #[test]
    fn a_proxy_password_is_marked_where_the_url_stays_valid() {
        let mut config: Value =
            serde_json::from_str(r#"{"proxy": "http://user:pw@proxy:3128", "oauth2_token": ""}"#)
                .unwrap();
        mark_config_secrets(&mut config);
        assert_eq!(config["proxy"], "http://mwsecret0xuser:pw@proxy:3128");
        assert_eq!(config["oauth2_token"], "", "an empty value stays empty");
    }
}
