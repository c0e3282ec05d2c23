//! The HTTP client of one session: the Action API's wire conventions, cookies in and out, the
//! token cache, OAuth signing and the retry policy. It knows nothing of logins or identities;
//! `session` decides those.
//!
//! `generation` counts fresh wiki sessions (each login and logout starts one): an answer only
//! updates the cookie jar when the session is still the one it was sent in, and a token only
//! enters the cache under the generation it was fetched in, so a late answer to a dead session
//! can never undo a re-login. A new generation starts only under the session's exclusive gate.

use crate::config::Config;
use crate::cookie_file;
use crate::cookies::{CookieJar, Origin, StoredCookie, unix_now};
use crate::error::{Code, Error, Result};
use crate::gate::{Exclusive, poisoned};
use crate::http::{self, AgentKey, Body, HttpRequest, HttpResponse};
use crate::log::{Gated, Log, LogLevel, Logger};
use crate::multipart::{FilePart, Multipart};
use crate::params::{Method, form_encode, redacted};
use crate::response::{ApiBody, Failure, interpret};
use crate::slots::Slots;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use zeroize::Zeroizing;

/// One attempt's outcome, as the retry policy sees it.
pub(crate) type Attempt<T> = std::result::Result<T, Failure>;

pub(crate) struct Client {
    config: Config,
    /// Shared with the other live sessions of the same transport settings.
    agent: Arc<ureq::Agent>,
    transport: Mutex<Transport>,
    /// The version of the jar the cookie file last got. Held while the file is written (an
    /// fsync), which the transport lock never is.
    cookie_file_version: Mutex<u64>,
    /// Held while a token is fetched, so threads that all find the cache empty make one fetch:
    /// MediaWiki creates a session's token secret on the first token request, and concurrent
    /// first requests each create one, all but the last one's tokens then failing as badtoken.
    token_fetch: Mutex<()>,
    /// `max_concurrent_requests`.
    slots: Option<Slots>,
    log: Log,
    /// A Secure cookie over http is worth one warning, not one a response.
    warned_secure_over_http: AtomicBool,
}

struct Transport {
    jar: CookieJar,
    /// Counts changes of the jar, so the cookie file is written in their order.
    jar_version: u64,
    generation: u64,
    tokens: HashMap<String, Zeroizing<String>>,
}

/// The jar as the cookie file should now hold it.
struct CookieFileText {
    version: u64,
    text: Zeroizing<String>,
}

fn check_folder_exists(path: &std::path::Path) -> Result<()> {
    let folder = path.parent().filter(|p| !p.as_os_str().is_empty());
    if folder.is_some_and(|f| !f.is_dir()) {
        return Err(Error::of(
            Code::InvalidValue,
            format!(
                "config.cookie_file {}: its folder does not exist",
                path.display()
            ),
        ));
    }
    Ok(())
}

impl Client {
    /// Loads `ca_file` and `cookie_file` (a file that cannot be parsed is an error naming the
    /// line, and is left untouched). Makes no request.
    pub(crate) fn new(config: Config) -> Result<Self> {
        let extra_roots_pem = match &config.ca_file {
            None => None,
            Some(path) => {
                let pem = std::fs::read(path).map_err(|e| {
                    Error::of(
                        Code::InvalidValue,
                        format!("config.ca_file {} cannot be read: {e}", path.display()),
                    )
                })?;
                http::parse_certificates(&pem, &format!("config.ca_file {}", path.display()))?;
                Some(pem)
            }
        };
        let agent = http::shared_agent(&AgentKey {
            timeout_ms: config.timeout_ms,
            proxy: config.proxy.clone(),
            extra_roots_pem,
        });
        let mut jar = CookieJar::new();
        if let Some(path) = &config.cookie_file {
            match cookie_file::load(path, unix_now())? {
                Some(loaded) => jar = loaded,
                None => check_folder_exists(path)?,
            }
        }
        Ok(Client {
            slots: config
                .max_concurrent_requests
                .map(|n| Slots::new(n as usize)),
            config,
            agent,
            transport: Mutex::new(Transport {
                jar,
                jar_version: 0,
                generation: 0,
                tokens: HashMap::new(),
            }),
            cookie_file_version: Mutex::new(0),
            token_fetch: Mutex::new(()),
            log: Log::default(),
            warned_secure_over_http: AtomicBool::new(false),
        })
    }

    pub(crate) fn config(&self) -> &Config {
        &self.config
    }

    pub(crate) fn set_logger(&self, logger: Option<Logger>) {
        self.log.set(logger);
    }

    pub(crate) fn log(&self, level: LogLevel, line: impl FnOnce() -> String) {
        self.log.log(level, line);
    }

    fn transport(&self) -> Result<Gated<MutexGuard<'_, Transport>>> {
        self.transport.lock().map(Gated::new).map_err(poisoned)
    }

    fn origin(&self) -> Origin<'_> {
        self.config.api.origin()
    }

    /// The wiki session the cookies belong to now.
    pub(crate) fn generation(&self) -> Result<u64> {
        Ok(self.transport()?.generation)
    }

    /// Whether the jar (as loaded from the cookie file) holds a login to the wiki.
    pub(crate) fn holds_wiki_session(&self) -> Result<bool> {
        let transport = self.transport()?;
        Ok(cookie_file::holds_wiki_session(
            &transport.jar,
            &self.origin(),
            unix_now(),
        ))
    }

    pub(crate) fn cookies(&self) -> Result<Vec<StoredCookie>> {
        Ok(self.transport()?.jar.cookies().to_vec())
    }

    /// A fresh wiki session: no cookies, no tokens. Returns the new generation.
    pub(crate) fn start_fresh(&self, _exclusive: &Exclusive<'_>) -> Result<u64> {
        let (generation, save) = {
            let mut transport = self.transport()?;
            let had_cookies = !transport.jar.is_empty();
            transport.jar.clear();
            transport.tokens.clear();
            transport.generation += 1;
            let save = had_cookies.then(|| self.cookie_file_text(&mut transport));
            (transport.generation, save.flatten())
        };
        self.write_cookie_file(save);
        Ok(generation)
    }

    /// A login changed the wiki session in place (new session id, new token secrets): a new
    /// generation with the cookies kept and the token cache emptied. Returns it.
    pub(crate) fn logged_in(&self, _exclusive: &Exclusive<'_>) -> Result<u64> {
        let mut transport = self.transport()?;
        transport.tokens.clear();
        transport.generation += 1;
        Ok(transport.generation)
    }

    /// One HTTP exchange with the Action API: cookies out, cookies in (when still the same
    /// generation), the answer read. `params` go as they are (the wire conventions are
    /// `call_once`'s); with `files`, as a multipart POST.
    fn exchange(
        &self,
        method: Method,
        params: &[(&str, &str)],
        files: &[FilePart],
    ) -> Attempt<ApiBody> {
        let api = &self.config.api.url;
        let encoded;
        let url;
        let multipart;
        let (url, body, signed): (&str, Body<'_>, &[(&str, &str)]) = match (method, files) {
            (Method::Get, _) => {
                encoded = Zeroizing::new(form_encode(params.iter().copied()));
                url = format!("{api}?{}", encoded.as_str());
                (url.as_str(), Body::None, params)
            }
            (Method::Post, []) => {
                encoded = Zeroizing::new(form_encode(params.iter().copied()));
                let body = Body::Bytes {
                    content_type: "application/x-www-form-urlencoded",
                    bytes: encoded.as_bytes(),
                };
                (api.as_str(), body, params)
            }
            (Method::Post, files) => {
                multipart = Multipart::new(params, files);
                let reader = multipart.reader().map_err(|e| {
                    Error::of(
                        Code::InvalidValue,
                        format!("a file of the request cannot be read: {e}"),
                    )
                })?;
                let body = Body::Stream {
                    content_type: multipart.content_type(),
                    length: multipart.length(),
                    reader: Box::new(reader),
                };
                // OAuth 1.0a signs form-encoded body parameters only (RFC 5849, 3.4.1.3.1), and
                // MediaWiki's OAuth extension checks what it signs: none for a multipart body.
                (api.as_str(), body, &[][..])
            }
        };
        let response =
            self.send(
                method.as_str(),
                url,
                &self.origin(),
                body,
                signed,
                || match method {
                    Method::Get => format!("GET {api}?{}", redacted(params.iter().copied())),
                    Method::Post => {
                        let action = params
                            .iter()
                            .find(|(k, _)| *k == "action")
                            .map_or("", |(_, v)| v);
                        match files {
                            [] => format!("POST {api} (action={action})"),
                            _ => format!("POST {api} (action={action}, multipart)"),
                        }
                    }
                },
            )?;
        interpret(response)
    }

    /// Sends one request with the session's cookies and OAuth header (over `signed`), within the
    /// concurrency cap, logs it (`what`: the request without secrets), and takes in the cookies
    /// the answer sets (when still the same generation).
    pub(crate) fn send(
        &self,
        method: &'static str,
        url: &str,
        origin: &Origin<'_>,
        body: Body<'_>,
        signed: &[(&str, &str)],
        what: impl FnOnce() -> String,
    ) -> Attempt<HttpResponse> {
        let (generation, cookie_header) = {
            let transport = self.transport()?;
            (
                transport.generation,
                transport.jar.header_for(origin, unix_now()),
            )
        };
        let authorization = match &self.config.oauth {
            Some(oauth) => {
                let (base, _) = url.split_once('?').unwrap_or((url, ""));
                let query: Vec<(String, String)> = url
                    .split_once('?')
                    .map(|(_, q)| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
                    .unwrap_or_default();
                let mut all: Vec<(&str, &str)> = query
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect();
                if method != "GET" {
                    all.extend_from_slice(signed);
                }
                Some(oauth.authorization(method, base, &all)?)
            }
            None => None,
        };
        let slot = self.slots.as_ref().map(Slots::acquire);
        let started = Instant::now();
        let result = http::exchange(
            &self.agent,
            HttpRequest {
                method,
                url,
                body,
                cookie_header: cookie_header.as_deref().map(String::as_str),
                authorization: authorization.as_deref().map(String::as_str),
                user_agent: &self.config.user_agent,
                max_response_bytes: self.config.max_response_bytes,
            },
        );
        drop(slot);
        self.log(LogLevel::Debug, || {
            let outcome = match &result {
                Ok(response) => response.status.to_string(),
                Err(e) => e.code().to_string(),
            };
            format!(
                "{} -> {outcome} in {} ms",
                what(),
                started.elapsed().as_millis()
            )
        });
        let response = result?;
        if !response.set_cookies.is_empty() {
            self.warn_of_secure_cookies_over_http(&response.set_cookies);
            let save = {
                let mut transport = self.transport()?;
                let mut changed = false;
                if transport.generation == generation {
                    let now = unix_now();
                    for header in &response.set_cookies {
                        changed |= transport.jar.apply_set_cookie(header, origin, now);
                    }
                }
                if changed {
                    self.cookie_file_text(&mut transport)
                } else {
                    None
                }
            };
            self.write_cookie_file(save);
        }
        Ok(response)
    }

    fn warn_of_secure_cookies_over_http(&self, set_cookies: &[String]) {
        if !self.config.api.https
            && !self.warned_secure_over_http.load(Ordering::Relaxed)
            && set_cookies
                .iter()
                .any(|h| cookie::Cookie::parse(h.as_str()).is_ok_and(|c| c.secure() == Some(true)))
            && !self.warned_secure_over_http.swap(true, Ordering::Relaxed)
        {
            self.log(LogLevel::Warning, || {
                "the wiki set a Secure cookie, which never travels over http: use its https URL"
                    .to_string()
            });
        }
    }

    /// The jar as the cookie file should hold it, taken under the transport lock so that
    /// versions follow the changes; written later, outside it.
    fn cookie_file_text(&self, transport: &mut Transport) -> Option<CookieFileText> {
        self.config.cookie_file.as_ref()?;
        transport.jar_version += 1;
        Some(CookieFileText {
            version: transport.jar_version,
            text: cookie_file::render(&transport.jar),
        })
    }

    /// Writes `save` unless a later version was written meanwhile. A failure is not fatal (the
    /// session itself still works): it is logged.
    fn write_cookie_file(&self, save: Option<CookieFileText>) {
        let (Some(save), Some(path)) = (save, &self.config.cookie_file) else {
            return;
        };
        let written = {
            let mut last = self
                .cookie_file_version
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if *last >= save.version {
                return;
            }
            *last = save.version;
            cookie_file::write(path, &save.text)
        };
        if let Err(e) = written {
            self.log(LogLevel::Warning, || {
                format!("could not write the cookie file {}: {e}", path.display())
            });
        }
    }

    /// Rewrites the cookie file with the jar as it is (after a logout, whatever changed).
    pub(crate) fn save_cookies(&self) -> Result<()> {
        let save = self.cookie_file_text(&mut *self.transport()?);
        self.write_cookie_file(save);
        Ok(())
    }

    /// One API call, the Action API's conventions added: `format=json`, `formatversion=2`, the
    /// configured `maxlag` unless the caller sent one. No retries: see `with_retries`.
    pub(crate) fn call_once(&self, method: Method, params: &[(&str, &str)]) -> Attempt<ApiBody> {
        let maxlag = self.config.maxlag.map(|m| m.to_string());
        let mut full: Vec<(&str, &str)> = Vec::with_capacity(params.len() + 3);
        full.extend_from_slice(params);
        full.push(("format", "json"));
        full.push(("formatversion", "2"));
        if let Some(maxlag) = &maxlag
            && !params.iter().any(|(k, _)| *k == "maxlag")
        {
            full.push(("maxlag", maxlag));
        }
        self.exchange(method, &full, &[])
    }

    /// `call_once` as a multipart POST with `files`.
    pub(crate) fn call_once_with_files(
        &self,
        params: &[(&str, &str)],
        files: &[FilePart],
    ) -> Attempt<ApiBody> {
        let mut full: Vec<(&str, &str)> = Vec::with_capacity(params.len() + 2);
        full.extend_from_slice(params);
        full.push(("format", "json"));
        full.push(("formatversion", "2"));
        self.exchange(Method::Post, &full, files)
    }

    /// Runs `attempt` with the retry policy: `maxlag`, 429 and 503 are retried up to
    /// `max_retries` times, waiting what `Retry-After` says (1 s, 2 s, 4 s, ... without one).
    /// The wait happens between attempts, so a caller that takes the gate inside `attempt`
    /// never holds it while waiting.
    pub(crate) fn with_retries<T>(&self, mut attempt: impl FnMut() -> Attempt<T>) -> Result<T> {
        let mut retries = 0;
        loop {
            let failure = match attempt() {
                Ok(value) => return Ok(value),
                Err(failure) if failure.retryable => failure,
                Err(failure) => return Err(failure.error),
            };
            let wait_ms = match failure.retry_after {
                Some(seconds) => seconds.saturating_mul(1000),
                None => 1000u64 << retries.min(20),
            };
            let mut error = failure.error;
            if retries >= self.config.max_retries {
                if let Some(seconds) = failure.retry_after {
                    error = error.with("retry_after", seconds);
                }
                return Err(error);
            }
            if wait_ms > self.config.max_retry_wait_ms {
                return Err(error.with("retry_after", wait_ms.div_ceil(1000)));
            }
            retries += 1;
            self.log(LogLevel::Info, || {
                format!(
                    "{}: waiting {} ms, then retry {retries} of {}",
                    error.code(),
                    wait_ms,
                    self.config.max_retries
                )
            });
            std::thread::sleep(Duration::from_millis(wait_ms));
        }
    }

    /// `call_once` with the retry policy.
    pub(crate) fn call(&self, method: Method, params: &[(&str, &str)]) -> Result<ApiBody> {
        self.with_retries(|| self.call_once(method, params))
    }

    /// `call`, for the library's own requests whose answers it reads.
    pub(crate) fn call_object(
        &self,
        method: Method,
        params: &[(&str, &str)],
    ) -> Result<Map<String, Value>> {
        self.call(method, params)?.parse()
    }

    /// The cached token of `kind`, if any, and the generation the cache is of.
    fn cached_token(&self, kind: &str) -> Result<(Option<Zeroizing<String>>, u64)> {
        let transport = self.transport()?;
        Ok((transport.tokens.get(kind).cloned(), transport.generation))
    }

    /// A token of `kind`, from the cache or fetched (and cached) now. One attempt.
    pub(crate) fn token_once(&self, kind: &str) -> Attempt<Zeroizing<String>> {
        if let (Some(token), _) = self.cached_token(kind)? {
            return Ok(token);
        }
        let _one_fetch = self.token_fetch.lock().map_err(poisoned)?;
        let (cached, generation) = self.cached_token(kind)?;
        if let Some(token) = cached {
            return Ok(token); // another thread fetched it meanwhile
        }
        let body = self.call_once(
            Method::Get,
            &[("action", "query"), ("meta", "tokens"), ("type", kind)],
        )?;
        let token = read_token(&body.parse()?, kind)?;
        let mut transport = self.transport()?;
        if transport.generation == generation {
            transport.tokens.insert(kind.to_string(), token.clone());
        }
        Ok(token)
    }

    /// `token_once` with the retry policy.
    pub(crate) fn token(&self, kind: &str) -> Result<Zeroizing<String>> {
        self.with_retries(|| self.token_once(kind))
    }

    /// Fetches a token of `kind` without the cache (a login token lives and dies with one
    /// wiki session, and is only good for one attempt).
    pub(crate) fn fresh_token(&self, kind: &str) -> Result<Zeroizing<String>> {
        let response = self.call_object(
            Method::Get,
            &[("action", "query"), ("meta", "tokens"), ("type", kind)],
        )?;
        read_token(&response, kind)
    }

    pub(crate) fn forget_token(&self, kind: &str) -> Result<()> {
        self.transport()?.tokens.remove(kind);
        Ok(())
    }

    /// Forgets the cached token of `kind` if it is still `refused`: when several threads get
    /// badtoken with one token, the first to refresh it must not lose the new one to the others.
    pub(crate) fn forget_refused_token(&self, kind: &str, refused: &str) -> Result<()> {
        let mut transport = self.transport()?;
        if transport
            .tokens
            .get(kind)
            .is_some_and(|t| t.as_str() == refused)
        {
            transport.tokens.remove(kind);
        }
        Ok(())
    }
}

/// `query.tokens.KINDtoken` of a `meta=tokens` answer.
pub(crate) fn read_token(response: &Map<String, Value>, kind: &str) -> Result<Zeroizing<String>> {
    let key = format!("{kind}token");
    response
        .get("query")
        .and_then(|q| q.get("tokens"))
        .and_then(|t| t.get(&key))
        .and_then(Value::as_str)
        .map(|t| Zeroizing::new(t.to_string()))
        .ok_or_else(|| {
            let mut error = Error::of(
                Code::NoToken,
                format!("the wiki returned no \"{kind}\" token"),
            );
            if let Some(warnings) = response.get("warnings") {
                error = error.with("warnings", warnings.clone());
            }
            error
        })
}
