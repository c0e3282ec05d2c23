//! A session with one wiki: its cookies, tokens and identity, and the API calls made with them.
//!
//! Concurrency: `gate` is held shared by every request for its whole exchange and exclusively by
//! login and logout, so a login never interleaves with requests that would send half-changed
//! cookies. `state` is a short-lived lock around the data itself. `generation` counts logins and
//! logouts: a response only updates the jar when the session is still the one it was sent in, so a
//! late answer to a dead session can never undo a re-login.

use crate::clientlogin::ClientLoginFlow;
use crate::config::{Assert, Config};
use crate::cookie_file;
use crate::cookies::{CookieJar, Origin, StoredCookie, unix_now};
use crate::error::{Error, ErrorKind, Result};
use crate::http::{self, AgentKey, HttpRequest};
use crate::login::Credentials;
use crate::oauth::OAuth;
use crate::params::{ApiRequest, Method, form_encode, redacted};
use crate::response::{ApiBody, Failure, interpret};
use serde_json::{Map, Value, json};
use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};
use zeroize::Zeroizing;

/// Log levels, numbered as Python's `logging` numbers them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogLevel {
    /// Each HTTP exchange.
    Debug = 10,
    /// Retries, waits, re-logins.
    Info = 20,
    /// Dropped sessions, refused credentials.
    Warning = 30,
}

/// Receives the session's log lines. Lines never hold a password, token or cookie value.
pub type Logger = Arc<dyn Fn(LogLevel, &str) + Send + Sync>;

/// How the session is authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthKind {
    BotPassword,
    ClientLogin,
    OAuth1,
    OAuth2,
    /// Resumed from a cookie file: whoever the cookies belong to.
    Cookies,
}

impl AuthKind {
    fn as_str(self) -> &'static str {
        match self {
            AuthKind::BotPassword => "botpassword",
            AuthKind::ClientLogin => "clientlogin",
            AuthKind::OAuth1 => "oauth1",
            AuthKind::OAuth2 => "oauth2",
            AuthKind::Cookies => "cookies",
        }
    }
}

/// What the session knows about who it is.
#[derive(Debug, Clone, Default)]
pub(crate) struct Identity {
    /// `None` when only the wiki could tell.
    pub(crate) logged_in: Option<bool>,
    username: Option<String>,
    userid: Option<u64>,
    auth: Option<AuthKind>,
    /// Whether the caller's requests carry `assert`: from a login until logout, so that a session
    /// the wiki dropped fails loudly instead of carrying on anonymously.
    pub(crate) asserting: bool,
    /// The wiki said the session's user is a temporary account (MediaWiki 1.42+): an answer with
    /// `tempusercreated`, or a `meta=userinfo` with `temp`. Such a user is never taken as the
    /// session's identity.
    temp: bool,
}

/// What an answer to a caller's request says about whose session it went out in.
#[derive(Debug, PartialEq, Eq)]
enum IdentityHint {
    /// `meta=userinfo` of a registered, permanent user.
    User(String),
    /// A temporary account: `meta=userinfo` with `temp`, or an edit that created one.
    Temporary,
}

impl IdentityHint {
    /// Looks for `query.userinfo` and `tempusercreated` only in answers that can hold them, so
    /// an ordinary answer is never parsed twice.
    fn of(body: &ApiBody) -> Option<IdentityHint> {
        let text = body.text();
        if !text.contains("\"userinfo\"") && !text.contains("\"tempusercreated\"") {
            return None;
        }
        let answer = body.parse().ok()?;
        let created_temp = answer
            .values()
            .any(|module| module.get("tempusercreated").is_some_and(is_true));
        if created_temp {
            return Some(IdentityHint::Temporary);
        }
        let userinfo = answer.get("query")?.get("userinfo")?;
        if userinfo.get("anon").is_some_and(is_true) {
            return None;
        }
        if userinfo.get("temp").is_some_and(is_true) {
            return Some(IdentityHint::Temporary);
        }
        Some(IdentityHint::User(
            userinfo.get("name")?.as_str()?.to_string(),
        ))
    }
}

/// MediaWiki's flags: `true` in formatversion 2, `""` in the older format.
fn is_true(value: &Value) -> bool {
    value != &Value::Bool(false) && !value.is_null()
}

pub(crate) struct State {
    jar: CookieJar,
    pub(crate) generation: u64,
    tokens: HashMap<String, Zeroizing<String>>,
    pub(crate) identity: Identity,
    /// What re-logins use: the credentials of the last successful `login`, or `bot_password`.
    credentials: Option<Credentials>,
    /// `bot_password` is to log in before the next request: set for a new session that is not
    /// resumed from a cookie file, cleared by any login or logout. A re-login, by contrast,
    /// happens only when the wiki says the session is gone, and only with `relogin`.
    login_pending: bool,
    /// Set when the wiki dropped a session right after a re-login: no more until then.
    relogins_paused_until: Option<Instant>,
    /// The generation the last successful login created.
    logged_in_generation: Option<u64>,
    /// The clientlogin flow in progress, if any.
    pub(crate) flow: ClientLoginFlow,
}

impl State {
    /// The user this session's requests must be made as, once it knows: the name a login
    /// answered, or the part of `bot_password`'s (or the last login's) username before the `@`.
    /// Sent as `assertuser`, so a session whose cookies became another account's (a temporary
    /// one, on MediaWiki 1.42+, passes `assert=user`) fails instead of acting as that account.
    fn expected_user(&self) -> Option<&str> {
        self.identity.username.as_deref().or_else(|| {
            let username = self.credentials.as_ref()?.username();
            Some(username.split_once('@').map_or(username, |(user, _)| user))
        })
    }
}

pub struct Session {
    config: Config,
    /// Shared with the other live sessions of the same transport settings.
    agent: Arc<ureq::Agent>,
    gate: RwLock<()>,
    state: Mutex<State>,
    /// Locked only to take a copy of the logger, never while it runs, so `set_logger` does not
    /// wait for a running callback; an `Arc` so that lines held back (`Gated`) reach the logger
    /// that is current when they are delivered.
    logger: Arc<LoggerSlot>,
    /// A Secure cookie over http is worth one warning, not one a response.
    warned_secure_over_http: AtomicBool,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("api_url", &self.config.api.url)
            .finish_non_exhaustive()
    }
}

type LoggerSlot = Mutex<Option<Logger>>;

/// The logger `slot` holds now, if any (a copy, so no lock is held while it runs).
fn current_logger(slot: &LoggerSlot) -> Option<Logger> {
    slot.lock().ok().and_then(|logger| logger.clone())
}

/// Calls the logger `slot` holds now, if any.
fn deliver(slot: &LoggerSlot, level: LogLevel, line: &str) {
    if let Some(logger) = current_logger(slot) {
        logger(level, line);
    }
}

/// Log lines this thread raised while holding a session's gate, to deliver once it lets go.
#[derive(Default)]
struct HeldLines {
    /// How many gates this thread holds (a request's re-login takes one inside another).
    depth: usize,
    lines: Vec<(Arc<LoggerSlot>, LogLevel, String)>,
}

thread_local! {
    static HELD_LINES: RefCell<HeldLines> = RefCell::new(HeldLines::default());
}

/// A guard of one of a session's locks (its gate, its state). While one is alive its thread's
/// log lines wait; when the last one goes, the lock is released first and the lines are
/// delivered after. So no log callback ever runs while the library holds a lock of a session.
pub(crate) struct Gated<G> {
    guard: Option<G>,
}

impl<G> Gated<G> {
    fn new(guard: G) -> Self {
        HELD_LINES.with(|held| held.borrow_mut().depth += 1);
        Gated { guard: Some(guard) }
    }
}

impl<G> std::ops::Deref for Gated<G> {
    type Target = G;
    fn deref(&self) -> &G {
        self.guard
            .as_ref()
            .expect("a Gated guard holds its lock until dropped")
    }
}

impl<G> std::ops::DerefMut for Gated<G> {
    fn deref_mut(&mut self) -> &mut G {
        self.guard
            .as_mut()
            .expect("a Gated guard holds its lock until dropped")
    }
}

impl<G> Drop for Gated<G> {
    fn drop(&mut self) {
        drop(self.guard.take());
        let lines = HELD_LINES.with(|held| {
            let mut held = held.borrow_mut();
            held.depth -= 1;
            if held.depth == 0 {
                std::mem::take(&mut held.lines)
            } else {
                Vec::new()
            }
        });
        // Outside the RefCell borrow: a callback may log through another session.
        for (logger, level, line) in lines {
            deliver(&logger, level, &line);
        }
    }
}

/// How long re-logins pause after the wiki dropped a session right after one.
const RELOGIN_PAUSE: Duration = Duration::from_secs(300);

fn check_folder_exists(path: &std::path::Path) -> Result<()> {
    let folder = path.parent().filter(|p| !p.as_os_str().is_empty());
    if folder.is_some_and(|f| !f.is_dir()) {
        return Err(Error::argument(
            "invalid_value",
            format!(
                "config.cookie_file {}: its folder does not exist",
                path.display()
            ),
        ));
    }
    Ok(())
}

fn poisoned<T>(_: T) -> Error {
    Error::internal(
        "poisoned",
        "a previous call on this session panicked while holding its lock",
    )
}

impl Session {
    /// A session for `config`. Loads `cookie_file` when it exists (a file that cannot be parsed
    /// is an error naming the line, and is left untouched). Makes no request.
    pub fn new(config: Config) -> Result<Self> {
        let extra_roots_pem = match &config.ca_file {
            None => None,
            Some(path) => {
                let pem = std::fs::read(path).map_err(|e| {
                    Error::argument(
                        "invalid_value",
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
        let mut identity = Identity {
            logged_in: Some(false),
            ..Identity::default()
        };
        let mut jar = CookieJar::new();
        if let Some(path) = &config.cookie_file {
            match cookie_file::load(path, unix_now())? {
                Some(loaded) => jar = loaded,
                None => check_folder_exists(path)?,
            }
        }
        match &config.oauth {
            Some(oauth) => {
                identity = Identity {
                    logged_in: None,
                    auth: Some(match oauth {
                        OAuth::Bearer(_) => AuthKind::OAuth2,
                        OAuth::OAuth1(_) => AuthKind::OAuth1,
                    }),
                    asserting: config.assert != Assert::None,
                    ..Identity::default()
                }
            }
            // Only the wiki can tell whether the saved session is still alive.
            None if cookie_file::holds_wiki_session(&jar, &config.api.origin(), unix_now()) => {
                identity = Identity {
                    logged_in: None,
                    auth: Some(AuthKind::Cookies),
                    asserting: config.assert != Assert::None,
                    ..Identity::default()
                }
            }
            // Meant to be logged in from the first request: never let it read or edit anonymously.
            None if config.bot_password.is_some() => {
                identity.asserting = config.assert != Assert::None;
            }
            None => {}
        }
        Ok(Session {
            state: Mutex::new(State {
                jar,
                generation: 0,
                tokens: HashMap::new(),
                credentials: config.bot_password.clone(),
                login_pending: config.bot_password.is_some() && identity.logged_in == Some(false),
                relogins_paused_until: None,
                logged_in_generation: None,
                identity,
                flow: ClientLoginFlow::default(),
            }),
            config,
            agent,
            gate: RwLock::new(()),
            logger: Arc::default(),
            warned_secure_over_http: AtomicBool::new(false),
        })
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Replaces the logger without waiting for a callback of the old one that is running (it
    /// may be blocked on work of the caller's thread).
    pub fn set_logger(&self, logger: Option<Logger>) -> Result<()> {
        let replaced = std::mem::replace(&mut *self.logger.lock().map_err(poisoned)?, logger);
        drop(replaced); // outside the lock: the last copy of a callback may go here
        Ok(())
    }

    /// Hands a line to the session's logger: at once, or, while this thread holds a session's
    /// gate, once it lets go of it (`Gated`), so a callback that waits for another thread's call
    /// on the session can never deadlock with it.
    pub(crate) fn log(&self, level: LogLevel, line: impl FnOnce() -> String) {
        if !self.logger.lock().is_ok_and(|logger| logger.is_some()) {
            return; // no line is even formatted
        }
        let holding_a_lock = HELD_LINES.with(|held| held.borrow().depth > 0);
        let line = line();
        if holding_a_lock {
            HELD_LINES.with(|held| {
                held.borrow_mut()
                    .lines
                    .push((self.logger.clone(), level, line))
            });
        } else {
            deliver(&self.logger, level, &line);
        }
    }

    pub(crate) fn state(&self) -> Result<Gated<MutexGuard<'_, State>>> {
        self.state.lock().map(Gated::new).map_err(poisoned)
    }

    pub(crate) fn shared_gate(&self) -> Result<Gated<RwLockReadGuard<'_, ()>>> {
        self.gate.read().map(Gated::new).map_err(poisoned)
    }

    pub(crate) fn exclusive_gate(&self) -> Result<Gated<RwLockWriteGuard<'_, ()>>> {
        self.gate.write().map(Gated::new).map_err(poisoned)
    }

    /// The session's cookies, for programs that keep them elsewhere (values included: handle
    /// with care).
    pub fn cookies(&self) -> Result<Vec<StoredCookie>> {
        Ok(self.state()?.jar.cookies().to_vec())
    }

    fn origin(&self) -> Origin<'_> {
        self.config.api.origin()
    }

    /// One API call with the retry policy: `maxlag`, 429 and 503 are retried up to
    /// `max_retries` times, waiting what `Retry-After` says (1 s, 2 s, 4 s, ... without one).
    pub(crate) fn call(&self, method: Method, params: &[(&str, &str)]) -> Result<ApiBody> {
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
        let mut retries = 0;
        loop {
            let failure = match self.exchange(method, &full) {
                Ok(body) => return Ok(body),
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

    /// `call`, for the library's own requests whose answers it reads.
    pub(crate) fn call_object(
        &self,
        method: Method,
        params: &[(&str, &str)],
    ) -> Result<Map<String, Value>> {
        self.call(method, params)?.parse()
    }

    /// One HTTP exchange: cookies out, cookies in (when still the same generation), the answer read.
    fn exchange(&self, method: Method, params: &[(&str, &str)]) -> Result<ApiBody, Failure> {
        let (generation, cookie_header) = {
            let state = self.state()?;
            (
                state.generation,
                state.jar.header_for(&self.origin(), unix_now()),
            )
        };
        let encoded = Zeroizing::new(form_encode(params.iter().copied()));
        let url;
        let (url, form_body) = match method {
            Method::Get => {
                url = format!("{}?{}", self.config.api.url, encoded.as_str());
                (url.as_str(), None)
            }
            Method::Post => (self.config.api.url.as_str(), Some(encoded.as_str())),
        };
        let authorization = match &self.config.oauth {
            Some(oauth) => {
                Some(oauth.authorization(method.as_str(), &self.config.api.url, params)?)
            }
            None => None,
        };
        let started = Instant::now();
        let result = http::exchange(
            &self.agent,
            &HttpRequest {
                method: method.as_str(),
                url,
                form_body,
                cookie_header: cookie_header.as_deref().map(String::as_str),
                authorization: authorization.as_deref().map(String::as_str),
                user_agent: &self.config.user_agent,
                max_response_bytes: self.config.max_response_bytes,
            },
        );
        self.log(LogLevel::Debug, || {
            let what = match method {
                Method::Get => format!(
                    "GET {}?{}",
                    self.config.api.url,
                    redacted(params.iter().copied())
                ),
                Method::Post => {
                    let action = params
                        .iter()
                        .find(|(k, _)| *k == "action")
                        .map_or("", |(_, v)| v);
                    format!("POST {} (action={action})", self.config.api.url)
                }
            };
            let outcome = match &result {
                Ok(response) => response.status.to_string(),
                Err(e) => e.code().to_string(),
            };
            format!(
                "{what} -> {outcome} in {} ms",
                started.elapsed().as_millis()
            )
        });
        let response = result?;
        if !response.set_cookies.is_empty() {
            if !self.config.api.https
                && !self.warned_secure_over_http.swap(true, Ordering::Relaxed)
                && response.set_cookies.iter().any(|h| {
                    cookie::Cookie::parse(h.as_str()).is_ok_and(|c| c.secure() == Some(true))
                })
            {
                self.log(LogLevel::Warning, || {
                    "the wiki set a Secure cookie, which never travels over http: use its https URL"
                        .to_string()
                });
            }
            let unsaved = {
                let mut state = self.state()?;
                let mut changed = false;
                if state.generation == generation {
                    let now = unix_now();
                    for header in &response.set_cookies {
                        changed |= state.jar.apply_set_cookie(header, &self.origin(), now);
                    }
                }
                if changed {
                    self.save_cookies(&state)
                } else {
                    None
                }
            };
            self.log_unsaved(unsaved);
        }
        interpret(response)
    }

    /// Rewrites `cookie_file`, if the session has one. Called with the state locked, so that
    /// writes happen in the order of the changes. A failure is not fatal (the session itself
    /// still works): it comes back to be logged once the lock is released.
    fn save_cookies(&self, state: &State) -> Option<std::io::Error> {
        let path = self.config.cookie_file.as_ref()?;
        cookie_file::save(path, &state.jar).err()
    }

    fn log_unsaved(&self, unsaved: Option<std::io::Error>) {
        if let (Some(e), Some(path)) = (unsaved, &self.config.cookie_file) {
            self.log(LogLevel::Warning, || {
                format!("could not write the cookie file {}: {e}", path.display())
            });
        }
    }

    /// A token of `kind`, from the cache or fetched (and cached) now.
    pub(crate) fn token(&self, kind: &str) -> Result<Zeroizing<String>> {
        let generation = {
            let state = self.state()?;
            if let Some(token) = state.tokens.get(kind) {
                return Ok(token.clone());
            }
            state.generation
        };
        let token = self.fetch_token(kind)?;
        let mut state = self.state()?;
        if state.generation == generation {
            state.tokens.insert(kind.to_string(), token.clone());
        }
        Ok(token)
    }

    /// Fetches a token of `kind` without touching the cache.
    pub(crate) fn fetch_token(&self, kind: &str) -> Result<Zeroizing<String>> {
        let response = self.call_object(
            Method::Get,
            &[("action", "query"), ("meta", "tokens"), ("type", kind)],
        )?;
        let key = format!("{kind}token");
        response
            .get("query")
            .and_then(|q| q.get("tokens"))
            .and_then(|t| t.get(&key))
            .and_then(Value::as_str)
            .map(|t| Zeroizing::new(t.to_string()))
            .ok_or_else(|| {
                let mut error = Error::new(
                    ErrorKind::Api,
                    "notoken",
                    format!("the wiki returned no \"{kind}\" token"),
                );
                if let Some(warnings) = response.get("warnings") {
                    error = error.with("warnings", warnings.clone());
                }
                error
            })
    }

    fn forget_token(&self, kind: &str) -> Result<()> {
        self.state()?.tokens.remove(kind);
        Ok(())
    }

    /// Any Action API call, authenticated: the session's `assert`, tokens fetched and refreshed,
    /// and one re-login when the wiki has dropped the session.
    pub fn request(&self, request: &ApiRequest) -> Result<Value> {
        Ok(Value::Object(self.request_body(request)?.parse()?))
    }

    /// `request`, with the answer as the text the wiki sent (what `mw_request` hands to C,
    /// without building and re-serializing the object).
    pub fn request_text(&self, request: &ApiRequest) -> Result<String> {
        Ok(self.request_body(request)?.into_text())
    }

    fn request_body(&self, request: &ApiRequest) -> Result<ApiBody> {
        self.login_if_needed()?;
        let caller_sent = |name: &str| request.params.iter().any(|(k, _)| k == name);
        let mut relogin_tried = false;
        loop {
            let (generation, asserted, own_assertuser, result) = {
                let _shared = self.shared_gate()?;
                let (generation, assert, assertuser) = {
                    let state = self.state()?;
                    let assert = if state.identity.asserting && !caller_sent("assert") {
                        self.config.assert.as_param()
                    } else {
                        None
                    };
                    let sends_user_assert = match assert {
                        Some(_) => true,
                        None => request
                            .params
                            .iter()
                            .any(|(k, v)| k == "assert" && (v == "user" || v == "bot")),
                    };
                    let assertuser = match state.expected_user() {
                        Some(name) if sends_user_assert && !caller_sent("assertuser") => {
                            Some(name.to_string())
                        }
                        _ => None,
                    };
                    (state.generation, assert, assertuser)
                };
                let mut extra: Vec<(&str, &str)> = Vec::with_capacity(2);
                extra.extend(assert.map(|a| ("assert", a)));
                extra.extend(assertuser.as_deref().map(|name| ("assertuser", name)));
                let result = self.request_once(request, &extra);
                (generation, assert, assertuser.is_some(), result)
            };
            let error = match result {
                Ok(body) => {
                    self.settle_identity(generation, asserted.is_some(), &body)?;
                    return Ok(body);
                }
                Err(error) => error,
            };
            let session_gone = match error.code() {
                "assertuserfailed" => true,
                // The library's own `assertuser`: the session is no longer its user's (a
                // temporary account's, another account's, or nobody's).
                "assertnameduserfailed" if own_assertuser => true,
                // A user without the bot right, or not the user a caller's own `assertuser`
                // names: gone only if the wiki now takes us for someone else, or if another thread
                // has logged in again since this request went out (asked in that order, as the
                // check may itself wait for that re-login). A failed check is no evidence.
                "assertbotfailed" | "assertnameduserfailed" => {
                    self.is_someone_else_now().unwrap_or(false)
                        || self.state()?.generation != generation
                }
                _ => false,
            };
            if !session_gone {
                return Err(error);
            }
            if relogin_tried {
                // Dropped again right after a fresh login: logging in once more per request
                // would be a storm the wiki's operators notice. Pause re-logins for a while, but
                // only if a login really created the session this retry went out in (another
                // thread's re-login may have failed for want of an answer).
                if self.state()?.logged_in_generation == Some(generation) {
                    self.suspend_relogins(&error)?;
                }
            } else if self.config.relogin && self.relogins_allowed()? {
                relogin_tried = true;
                if self.relogin(generation, Some(error.code())).is_ok() {
                    continue;
                }
                return Err(error);
            }
            self.settle_logged_in(generation, false)?;
            return Err(error);
        }
    }

    /// Records what a successful answer says of the session, unless a login or logout has
    /// started a new generation since it went out: an asserted request proves the login; a
    /// `meta=userinfo` names the user of a session resumed from its cookies; a temporary
    /// account is recorded as such and never as the session's user.
    fn settle_identity(&self, generation: u64, asserted: bool, body: &ApiBody) -> Result<()> {
        let hint = IdentityHint::of(body);
        if !asserted && hint.is_none() {
            return Ok(());
        }
        let mut state = self.state()?;
        if state.generation != generation {
            return Ok(());
        }
        match hint {
            Some(IdentityHint::Temporary) => state.identity.temp = true,
            Some(IdentityHint::User(name))
                if asserted
                    && state.identity.username.is_none()
                    && state
                        .expected_user()
                        .is_none_or(|expected| expected == name) =>
            {
                state.identity.username = Some(name);
            }
            _ => {}
        }
        if asserted && !state.identity.temp {
            state.identity.logged_in = Some(true);
        }
        Ok(())
    }

    /// Records what a request's answer says of the login, unless a login or logout has
    /// started a new generation since it went out.
    fn settle_logged_in(&self, generation: u64, logged_in: bool) -> Result<()> {
        let mut state = self.state()?;
        if state.generation == generation {
            state.identity.logged_in = Some(logged_in);
        }
        Ok(())
    }

    /// Whether a re-login may happen now: credentials are known and re-logins are not paused.
    fn relogins_allowed(&self) -> Result<bool> {
        let state = self.state()?;
        Ok(state.credentials.is_some()
            && state
                .relogins_paused_until
                .is_none_or(|until| Instant::now() >= until))
    }

    fn suspend_relogins(&self, error: &Error) -> Result<()> {
        self.state()?.relogins_paused_until = Some(Instant::now() + RELOGIN_PAUSE);
        self.log(LogLevel::Warning, || {
            format!(
                "the wiki dropped the session again right after a new login ({}); no re-logins for {} s (does the wiki set Secure cookies that cannot travel over http?)",
                error.code(),
                RELOGIN_PAUSE.as_secs()
            )
        });
        Ok(())
    }

    /// The caller's request with `extra` parameters (the library's `assert` and `assertuser`).
    fn request_once(&self, request: &ApiRequest, extra: &[(&str, &str)]) -> Result<ApiBody> {
        let params: Vec<(&str, &str)> = request
            .params
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .chain(extra.iter().copied())
            .collect();
        let Some(kind) = &request.token else {
            return self.call(request.method, &params);
        };
        let mut refreshed = false;
        loop {
            let token = self.token(kind)?;
            let mut with_token = params.clone();
            with_token.push((request.token_param.as_str(), token.as_str()));
            match self.call(request.method, &with_token) {
                Err(e) if e.code() == "badtoken" && !refreshed => {
                    refreshed = true;
                    self.log(LogLevel::Info, || {
                        format!("badtoken: fetching a new {kind} token")
                    });
                    self.forget_token(kind)?;
                }
                other => return other,
            }
        }
    }

    /// A new session configured with `bot_password` (not resumed from a cookie file) logs in
    /// before its first request; many threads doing so cause one login. A login that failed for
    /// want of an answer is tried again with the next request.
    fn login_if_needed(&self) -> Result<()> {
        let generation = {
            let state = self.state()?;
            if !state.login_pending || state.credentials.is_none() {
                return Ok(());
            }
            state.generation
        };
        self.relogin(generation, None)
    }

    /// Asks the wiki (without `assert`) whether this session now belongs to someone other than
    /// its user: nobody, a temporary account, or (when the session knows its user) another name.
    fn is_someone_else_now(&self) -> Result<bool> {
        let _shared = self.shared_gate()?;
        let info = self.call_object(Method::Get, &[("action", "query"), ("meta", "userinfo")])?;
        let Some(userinfo) = info.get("query").and_then(|q| q.get("userinfo")) else {
            return Ok(false);
        };
        if ["anon", "temp"]
            .iter()
            .any(|flag| userinfo.get(flag).is_some_and(is_true))
        {
            return Ok(true);
        }
        let name = userinfo.get("name").and_then(Value::as_str);
        let state = self.state()?;
        Ok(
            matches!((state.expected_user(), name), (Some(expected), Some(name)) if expected != name),
        )
    }

    /// Logs in again with the stored credentials, unless another thread already did since
    /// `seen_generation`: many threads that find the session dead cause one login.
    fn relogin(&self, seen_generation: u64, dropped_because: Option<&str>) -> Result<()> {
        let _exclusive = self.exclusive_gate()?;
        let credentials = {
            let state = self.state()?;
            if state.generation != seen_generation {
                return Ok(());
            }
            state.credentials.clone()
        };
        if let Some(code) = dropped_because {
            self.log(LogLevel::Warning, || {
                format!("the wiki dropped the session ({code})")
            });
        }
        let Some(credentials) = credentials else {
            return Err(Error::state(
                "not_logged_in",
                "no credentials to log in again with",
            ));
        };
        self.log(LogLevel::Info, || {
            format!("logging in as {}", credentials.username())
        });
        match self.login_locked(&credentials) {
            Ok(_) => Ok(()),
            Err(error) => {
                if error.kind() == ErrorKind::Login {
                    self.log(LogLevel::Warning, || {
                        format!(
                            "the wiki refused the credentials of {} ({})",
                            credentials.username(),
                            error.code()
                        )
                    });
                    let mut state = self.state()?;
                    state.credentials = None;
                    state.login_pending = false;
                }
                Err(error)
            }
        }
    }

    /// Starts a new generation with a fresh wiki session: no cookies, no tokens, nobody logged in.
    /// The caller holds the gate exclusively.
    pub(crate) fn start_fresh_session(&self) -> Result<()> {
        let unsaved = {
            let mut state = self.state()?;
            let had_cookies = !state.jar.is_empty();
            Self::reset_to_anonymous(&mut state);
            if had_cookies {
                self.save_cookies(&state)
            } else {
                None
            }
        };
        self.log_unsaved(unsaved);
        Ok(())
    }

    /// OAuth sessions are authorized request by request: there is nothing to log in or out of.
    pub(crate) fn refuse_if_oauth(&self, what: &str) -> Result<()> {
        if self.config.oauth.is_some() {
            return Err(Error::state(
                "oauth_session",
                format!("an OAuth session cannot {what}: every request is already authorized"),
            ));
        }
        Ok(())
    }

    fn reset_to_anonymous(state: &mut State) {
        state.jar.clear();
        state.tokens.clear();
        state.flow = ClientLoginFlow::default();
        state.generation += 1;
        let asserting = state.identity.asserting;
        state.identity = Identity {
            logged_in: Some(false),
            asserting,
            ..Identity::default()
        };
    }

    /// Records a successful login: a new generation (the wiki reset every token secret, so the
    /// cache goes too), the identity, and the credentials for re-logins (none for a clientlogin:
    /// such a session is never silently logged in again, perhaps as another account).
    pub(crate) fn logged_in_as(
        &self,
        username: Option<&str>,
        userid: Option<u64>,
        auth: AuthKind,
        credentials: Option<&Credentials>,
    ) -> Result<()> {
        let mut state = self.state()?;
        state.tokens.clear();
        state.flow = ClientLoginFlow::default();
        state.generation += 1;
        state.logged_in_generation = Some(state.generation);
        state.identity = Identity {
            logged_in: Some(true),
            username: username.map(str::to_string),
            userid,
            auth: Some(auth),
            asserting: self.config.assert != Assert::None,
            temp: false,
        };
        state.credentials = credentials.cloned();
        state.login_pending = false;
        Ok(())
    }

    /// A caller's own login ends a pause of re-logins and any pending `bot_password` login.
    pub(crate) fn explicit_login_started(&self) -> Result<()> {
        let mut state = self.state()?;
        state.relogins_paused_until = None;
        state.login_pending = false;
        Ok(())
    }

    /// A clientlogin flow makes the session another account's: the stored credentials must not
    /// log it in again (as the bot) while the flow waits for a step, nor after it.
    pub(crate) fn forget_credentials(&self) -> Result<()> {
        let mut state = self.state()?;
        state.credentials = None;
        state.login_pending = false;
        Ok(())
    }

    /// A failed explicit login leaves the session anonymous and without credentials. It keeps
    /// asserting if it did: other threads' requests must fail, not go out anonymously.
    pub(crate) fn forget_login(&self) -> Result<()> {
        let mut state = self.state()?;
        state.identity = Identity {
            logged_in: Some(false),
            asserting: state.identity.asserting,
            ..Identity::default()
        };
        state.credentials = None;
        state.login_pending = false;
        Ok(())
    }

    /// `POST action=logout` with a csrf token, then the session forgets its cookies, tokens and
    /// credentials, whatever the wiki answered.
    pub fn logout(&self) -> Result<Value> {
        self.refuse_if_oauth("log out")?;
        let _exclusive = self.exclusive_gate()?;
        let result = self.request_once(
            &ApiRequest {
                params: vec![("action".into(), "logout".into())],
                method: Method::Post,
                token: Some("csrf".into()),
                token_param: "token".into(),
            },
            &[],
        );
        let unsaved = {
            let mut state = self.state()?;
            Self::reset_to_anonymous(&mut state);
            state.identity.asserting = false;
            state.credentials = None;
            state.login_pending = false;
            self.save_cookies(&state)
        };
        self.log_unsaved(unsaved);
        self.log(LogLevel::Info, || "logged out".to_string());
        result.map(|_| json!({}))
    }

    /// What the session knows now, without asking the wiki.
    pub fn info(&self) -> Result<Value> {
        let state = self.state()?;
        let identity = &state.identity;
        Ok(json!({
            "api_url": self.config.api.url,
            "logged_in": identity.logged_in,
            "username": identity.username,
            "userid": identity.userid,
            "auth": identity.auth.map(AuthKind::as_str),
            "temp": identity.temp,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hint(text: &str) -> Option<IdentityHint> {
        IdentityHint::of(&ApiBody::for_tests(text))
    }

    #[test]
    fn userinfo_of_a_user_names_it() {
        let text = r#"{"batchcomplete":true,"query":{"userinfo":{"id":3,"name":"MwBot"}}}"#;
        assert_eq!(hint(text), Some(IdentityHint::User("MwBot".into())));
        // formatversion 1 spells flags as empty strings
        let text = r#"{"query":{"userinfo":{"id":0,"name":"127.0.0.1","anon":""}}}"#;
        assert_eq!(hint(text), None);
    }

    #[test]
    fn a_temporary_account_is_never_a_name() {
        let text = r#"{"query":{"userinfo":{"id":13,"name":"~2026-1","temp":true}}}"#;
        assert_eq!(hint(text), Some(IdentityHint::Temporary));
        let text = r#"{"edit":{"result":"Success","title":"A","tempusercreated":true}}"#;
        assert_eq!(hint(text), Some(IdentityHint::Temporary));
        let text = r#"{"query":{"userinfo":{"id":3,"name":"MwBot","temp":false}}}"#;
        assert_eq!(hint(text), Some(IdentityHint::User("MwBot".into())));
    }

    #[test]
    fn answers_without_userinfo_say_nothing() {
        assert_eq!(hint(r#"{"query":{"general":{"sitename":"W"}}}"#), None);
        // The word in a page's text is no userinfo.
        assert_eq!(
            hint(r#"{"parse":{"text":"\"userinfo\" and \"tempusercreated\""}}"#),
            None
        );
        assert_eq!(hint(r#"{"query":{"userinfo":"odd"}}"#), None);
    }
}
