//! A session with one wiki: what the C functions call. It decides when to log in (and again),
//! what each request must assert, and applies what the flows return to its state.
//!
//! Locks: the gate (`gate`) is held shared by each attempt of a request and exclusively by a
//! login, a logout or an AuthManager step, so they never interleave with requests that would
//! send half-changed cookies; retry waits happen between attempts, with no lock held. `state`
//! (`state.rs`) and the client's cookies and tokens (`client.rs`) are short-lived locks around
//! data. Identity changes made from a request's answer happen under the shared gate, so no login
//! can come between the answer and its record.

use crate::client::{Attempt, Client};
use crate::config::{Assert, Config};
use crate::cookies::StoredCookie;
use crate::credentials::Credentials;
use crate::error::{Code, Error, ErrorKind, Result};
use crate::flows::auth::{
    self, Answer, AuthRequest, ClientLoginRequest, FieldsOptions, FormValues, MessageFormat,
    Outcome, Purpose,
};
use crate::flows::botlogin;
use crate::flows::upload::{self, UploadRequest};
use crate::gate::{Exclusive, Gate, poisoned};
use crate::http::Body;
use crate::log::{Gated, LogLevel, Logger};
use crate::oauth::OAuth;
use crate::params::{ApiRequest, Method, form_encode};
use crate::response::ApiBody;
use crate::rest::{self, RestRequest};
use crate::state::{AuthKind, IdentityHint, RELOGIN_PAUSE, Start, State};
use serde_json::{Map, Value, json};
use std::fmt;
use std::sync::{Mutex, MutexGuard};
use std::time::Instant;
use zeroize::Zeroizing;

/// How often a request refreshes its token on `badtoken`. More than once: concurrent requests
/// of a new wiki session can each save it with a token secret of their own (MediaWiki creates
/// the secret on first use), so a token fetched meanwhile may be refused once more.
const TOKEN_REFRESHES: u32 = 3;

pub struct Session {
    client: Client,
    gate: Gate,
    state: Mutex<State>,
    /// The wiki's `minuploadchunksize`, once asked.
    min_chunk: Mutex<Option<u64>>,
}

/// The members of an answer object.
fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("api_url", &self.client.config().api.url)
            .finish_non_exhaustive()
    }
}

impl Session {
    /// A session for `config`. Loads `cookie_file` when it exists (a file that cannot be parsed
    /// is an error naming the line, and is left untouched). Makes no request.
    pub fn new(config: Config) -> Result<Self> {
        let asserting = config.assert != Assert::None;
        let bot_password = config.bot_password.clone();
        let oauth = config.oauth.as_ref().map(|oauth| match oauth {
            OAuth::Bearer(_) => AuthKind::OAuth2,
            OAuth::OAuth1(_) => AuthKind::OAuth1,
        });
        let client = Client::new(config)?;
        let start = match (oauth, bot_password) {
            (Some(kind), _) => Start::OAuth(kind),
            (None, bot) if client.holds_wiki_session()? => Start::Resumed(bot),
            (None, Some(bot)) => Start::BotPassword(bot),
            (None, None) => Start::Anonymous,
        };
        Ok(Session {
            client,
            gate: Gate::default(),
            state: Mutex::new(State::new(start, asserting)),
            min_chunk: Mutex::new(None),
        })
    }

    pub fn config(&self) -> &Config {
        self.client.config()
    }

    /// Replaces the logger without waiting for a callback of the old one that is running.
    pub fn set_logger(&self, logger: Option<Logger>) -> Result<()> {
        self.client.set_logger(logger);
        Ok(())
    }

    fn log(&self, level: LogLevel, line: impl FnOnce() -> String) {
        self.client.log(level, line);
    }

    fn state(&self) -> Result<Gated<MutexGuard<'_, State>>> {
        self.state.lock().map(Gated::new).map_err(poisoned)
    }

    /// The session's cookies, for programs that keep them elsewhere (values included: handle
    /// with care).
    pub fn cookies(&self) -> Result<Vec<StoredCookie>> {
        self.client.cookies()
    }

    /// What the session knows now, without asking the wiki.
    pub fn info(&self) -> Result<Value> {
        Ok(self.state()?.info(&self.config().api.url))
    }

    /// OAuth sessions are authorized request by request: there is nothing to log in or out of.
    fn refuse_if_oauth(&self, what: &str) -> Result<()> {
        if self.config().oauth.is_some() {
            return Err(Error::of(
                Code::OAuthSession,
                format!("an OAuth session cannot {what}: every request is already authorized"),
            ));
        }
        Ok(())
    }

    // --- bot-password login --------------------------------------------------------------------

    /// `mw_login`: logs in with a bot password (or, deprecated, a main-account password).
    pub fn login(&self, credentials: &Credentials) -> Result<Value> {
        self.refuse_if_oauth("log in")?;
        self.config().check_credentials_may_be_sent()?;
        let exclusive = self.gate.exclusive()?;
        self.state()?.explicit_login_started(&exclusive);
        self.log_in(&exclusive, credentials).inspect_err(|_| {
            if let Ok(mut state) = self.state() {
                state.login_failed(&exclusive);
            }
        })
    }

    /// The login itself, from a fresh wiki session (the wiki answers Aborted to action=login
    /// inside a live bot-password session, and a login gets new cookies anyway).
    fn log_in(&self, exclusive: &Exclusive<'_>, credentials: &Credentials) -> Result<Value> {
        self.config().check_credentials_may_be_sent()?;
        self.client.start_fresh(exclusive)?;
        self.state()?.fresh_session(exclusive);
        let logged_in = botlogin::log_in(&self.client, credentials)?;
        // The wiki reset the session id and every token secret.
        let generation = self.client.logged_in(exclusive)?;
        self.state()?.logged_in_as(
            exclusive,
            generation,
            Some(&logged_in.username),
            logged_in.userid,
            AuthKind::BotPassword,
            Some(credentials),
        );
        self.log(LogLevel::Info, || {
            format!("logged in as {}", logged_in.username)
        });
        let mut out =
            json!({"status": "PASS", "username": logged_in.username, "userid": logged_in.userid});
        if let Some(warnings) = logged_in.warnings {
            out["warnings"] = warnings;
        }
        Ok(out)
    }

    /// A new session configured with `bot_password` (not resumed from a cookie file) logs in
    /// before its first request; many threads doing so cause one login. A login that failed for
    /// want of an answer is tried again with the next request.
    fn login_if_needed(&self) -> Result<()> {
        if self.state()?.pending_login().is_none() {
            return Ok(());
        }
        let generation = self.client.generation()?;
        self.relogin(generation, None)
    }

    /// Logs in again with the stored credentials, unless another thread already did since
    /// `seen_generation`: many threads that find the session dead cause one login.
    fn relogin(&self, seen_generation: u64, dropped_because: Option<&str>) -> Result<()> {
        let exclusive = self.gate.exclusive()?;
        if self.client.generation()? != seen_generation {
            return Ok(());
        }
        let credentials = self.state()?.credentials().cloned();
        if let Some(code) = dropped_because {
            self.log(LogLevel::Warning, || {
                format!("the wiki dropped the session ({code})")
            });
        }
        let Some(credentials) = credentials else {
            return Err(Error::of(
                Code::NotLoggedIn,
                "no credentials to log in again with",
            ));
        };
        self.log(LogLevel::Info, || {
            format!("logging in as {}", credentials.username())
        });
        self.log_in(&exclusive, &credentials)
            .map(|_| ())
            .inspect_err(|error| {
                if error.kind() == ErrorKind::Login {
                    self.log(LogLevel::Warning, || {
                        format!(
                            "the wiki refused the credentials of {} ({})",
                            credentials.username(),
                            error.code()
                        )
                    });
                    if let Ok(mut state) = self.state() {
                        state.credentials_refused(&exclusive);
                    }
                }
            })
    }

    // --- requests ------------------------------------------------------------------------------

    /// Any Action API call, authenticated: the session's `assert`, tokens fetched and refreshed,
    /// and one re-login when the wiki has dropped the session.
    pub fn request(&self, request: &ApiRequest) -> Result<Value> {
        match request.continue_batches {
            Some(max) => self.request_batches(request, max),
            None => Ok(Value::Object(self.request_body(request)?.parse()?)),
        }
    }

    /// `request`, with the answer as the text the wiki sent (what `mw_request` hands to C,
    /// without building and re-serializing the object).
    pub fn request_text(&self, request: &ApiRequest) -> Result<String> {
        match request.continue_batches {
            Some(max) => Ok(self.request_batches(request, max)?.to_string()),
            None => Ok(self.request_body(request)?.into_text()),
        }
    }

    /// MediaWiki's `continue` protocol: the request again with each answer's `continue` members
    /// (replacing the last ones), until an answer has none or `max` answers are in.
    /// Out: `{"batches": [answer, ...]}`; the last answer keeps its `continue`, to resume from.
    fn request_batches(&self, request: &ApiRequest, max: u32) -> Result<Value> {
        let mut next = request.clone();
        next.continue_batches = None;
        let mut continued: Vec<String> = Vec::new();
        let mut batches = Vec::new();
        loop {
            let answer = self.request_body(&next)?.parse()?;
            let more = answer.get("continue").and_then(Value::as_object).cloned();
            batches.push(Value::Object(answer));
            let Some(more) = more.filter(|_| batches.len() < max as usize) else {
                break;
            };
            next.params
                .retain(|(k, _)| !continued.contains(k) && !more.contains_key(k));
            continued.clear();
            for (name, value) in more {
                let value = match value {
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                continued.push(name.clone());
                next.params.push((name, value));
            }
        }
        Ok(json!({"batches": batches}))
    }

    // --- uploads and REST ----------------------------------------------------------------------

    /// `mw_upload`: a file in one request, or in chunks through the upload stash and then
    /// published. A `Warning` on any request ends the upload and is returned as it is.
    pub fn upload(&self, request: &UploadRequest) -> Result<Value> {
        if !request.is_chunked() {
            let (upload, _) = upload::read_answer(object(self.request(&request.whole())?))?;
            return Ok(Value::Object(upload));
        }
        let min = self.min_upload_chunk_size()?;
        if request.chunk_bytes < min {
            return Err(Error::of(
                Code::InvalidValue,
                format!(
                    "request.chunk_bytes is {}, below the wiki's minuploadchunksize of {min}",
                    request.chunk_bytes
                ),
            ));
        }
        let chunks = request.length.div_ceil(request.chunk_bytes);
        let mut offset = 0;
        let mut filekey: Option<String> = None;
        for chunk in 1.. {
            let answer = self.request(&request.chunk(offset, filekey.as_deref()))?;
            let (upload, step) = upload::read_answer(object(answer))?;
            self.log(LogLevel::Info, || {
                format!(
                    "upload {}: chunk {chunk} of {chunks} in ({} of {} bytes)",
                    request.filename,
                    (offset + request.chunk_bytes).min(request.length),
                    request.length
                )
            });
            match step {
                upload::Step::Warning => return Ok(Value::Object(upload)),
                upload::Step::Continue {
                    offset: next,
                    filekey: key,
                } if next > offset && next < request.length => {
                    offset = next;
                    filekey = Some(key);
                }
                upload::Step::Success { filekey: Some(key) } => {
                    filekey = Some(key);
                    break;
                }
                _ => {
                    return Err(Error::of(
                        Code::NotJson,
                        format!(
                            "the wiki's answer to chunk {chunk} of the upload does not fit the chunks sent"
                        ),
                    ));
                }
            }
        }
        let filekey = filekey.expect("the loop ends with the last chunk's key");
        let (upload, _) = upload::read_answer(object(self.request(&request.publish(&filekey))?))?;
        Ok(Value::Object(upload))
    }

    /// The wiki's `minuploadchunksize` (siteinfo), asked once per session.
    fn min_upload_chunk_size(&self) -> Result<u64> {
        if let Some(size) = *self.min_chunk.lock().map_err(poisoned)? {
            return Ok(size);
        }
        let info = self.request(&ApiRequest::get(&[
            ("action", "query"),
            ("meta", "siteinfo"),
            ("siprop", "general"),
        ]))?;
        let size = info["query"]["general"]["minuploadchunksize"]
            .as_u64()
            .unwrap_or(1024);
        *self.min_chunk.lock().map_err(poisoned)? = Some(size);
        Ok(size)
    }

    /// `mw_rest`: one REST API call with the session's cookies or OAuth header. A write from a
    /// cookie session carries the Action API's csrf token as the body's `token` (refreshed once
    /// when refused); an OAuth session never sends one.
    pub fn rest(&self, request: &RestRequest) -> Result<Value> {
        let Some(rest_api) = self.config().rest.as_ref() else {
            return Err(Error::of(
                Code::InvalidValue,
                "no rest_url in the config, and api_url does not end in api.php to find rest.php beside it",
            ));
        };
        let with_token = request.writes() && self.config().oauth.is_none();
        let mut body = request.body.clone();
        if with_token {
            match &body {
                None => body = Some(json!({})),
                Some(Value::Object(_)) => {}
                Some(_) => {
                    return Err(Error::of(
                        Code::InvalidValue,
                        "request.body of a write must be a JSON object: the csrf token goes in it",
                    ));
                }
            }
        }
        let caller_token = body.as_ref().is_some_and(|b| b.get("token").is_some());
        self.login_if_needed()?;
        let mut url = format!("{}{}", rest_api.url, request.path);
        if !request.query.is_empty() {
            url.push('?');
            url.push_str(&form_encode(
                request.query.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            ));
        }
        let mut refreshed = false;
        loop {
            let result = self.client.with_retries(|| {
                let _shared = self.gate.shared()?;
                let mut body = body.clone();
                let token = match with_token && !caller_token {
                    true => Some(self.client.token_once("csrf")?),
                    false => None,
                };
                if let (Some(Value::Object(object)), Some(token)) = (&mut body, &token) {
                    object.insert("token".into(), Value::String(token.to_string()));
                }
                let text = body.as_ref().map(|b| Zeroizing::new(b.to_string()));
                let http_body = match &text {
                    Some(text) => Body::Bytes {
                        content_type: "application/json",
                        bytes: text.as_bytes(),
                    },
                    None => Body::None,
                };
                let response = self.client.send(
                    request.method,
                    &url,
                    &rest_api.origin(),
                    http_body,
                    &[],
                    || format!("{} {}{}", request.method, rest_api.url, request.path),
                )?;
                rest::interpret(response).inspect_err(|failure| {
                    // Refused as a bad token: forget it, so a retry fetches another.
                    if let Some(token) = &token
                        && failure.error.code() == "rest-badtoken"
                    {
                        let _ = self.client.forget_refused_token("csrf", token);
                    }
                })
            });
            match result {
                Err(e)
                    if e.code() == "rest-badtoken" && with_token && !caller_token && !refreshed =>
                {
                    refreshed = true;
                    self.log(LogLevel::Info, || {
                        "rest-badtoken: fetching a new csrf token".into()
                    });
                }
                other => return other,
            }
        }
    }

    fn request_body(&self, request: &ApiRequest) -> Result<ApiBody> {
        self.login_if_needed()?;
        let caller_sent = |name: &str| request.params.iter().any(|(k, _)| k == name);
        let mut relogin_tried = false;
        loop {
            // Of the last attempt: the wiki session it went out in, and whether the library
            // added its own `assertuser`.
            let mut generation = 0;
            let mut own_assertuser = false;
            let result = self.client.with_retries(|| {
                let shared = self.gate.shared()?;
                generation = self.client.generation()?;
                let (assert, assertuser) = {
                    let state = self.state()?;
                    let assert = match state.asserting() && !caller_sent("assert") {
                        true => self.config().assert.as_param(),
                        false => None,
                    };
                    let asserts_a_user = assert.is_some()
                        || request
                            .params
                            .iter()
                            .any(|(k, v)| k == "assert" && (v == "user" || v == "bot"));
                    let assertuser = state
                        .expected_user()
                        .filter(|_| asserts_a_user && !caller_sent("assertuser"))
                        .map(str::to_string);
                    (assert, assertuser)
                };
                own_assertuser = assertuser.is_some();
                let mut extra: Vec<(&str, &str)> = Vec::with_capacity(2);
                extra.extend(assert.map(|a| ("assert", a)));
                extra.extend(assertuser.as_deref().map(|name| ("assertuser", name)));
                let body = self.request_once(request, &extra)?;
                let hint = IdentityHint::of(&body);
                if assert.is_some() || hint.is_some() {
                    self.state()?.answered(&shared, assert.is_some(), hint);
                }
                Ok(body)
            });
            let error = match result {
                Ok(body) => return Ok(body),
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
                        || self.client.generation()? != generation
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
                let paused = {
                    let mut state = self.state()?;
                    let paused = state.logged_in_generation() == Some(generation);
                    if paused {
                        state.pause_relogins(Instant::now());
                    }
                    paused
                };
                if paused {
                    self.log(LogLevel::Warning, || {
                        format!(
                            "the wiki dropped the session again right after a new login ({}); no re-logins for {} s (does the wiki set Secure cookies that cannot travel over http?)",
                            error.code(),
                            RELOGIN_PAUSE.as_secs()
                        )
                    });
                }
            } else if self.config().relogin && self.state()?.relogins_allowed(Instant::now()) {
                relogin_tried = true;
                if self.relogin(generation, Some(error.code())).is_ok() {
                    continue;
                }
                return Err(error);
            }
            let shared = self.gate.shared()?;
            if self.client.generation()? == generation {
                self.state()?.found_logged_out(&shared);
            }
            return Err(error);
        }
    }

    /// One attempt of the caller's request with `extra` parameters (the library's `assert` and
    /// `assertuser`), its token fetched, and refreshed on `badtoken` up to `TOKEN_REFRESHES`
    /// times. Under the shared gate.
    fn request_once(&self, request: &ApiRequest, extra: &[(&str, &str)]) -> Attempt<ApiBody> {
        let params: Vec<(&str, &str)> = request
            .params
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .chain(extra.iter().copied())
            .collect();
        let call = |params: &[(&str, &str)]| match request.files.as_slice() {
            [] => self.client.call_once(request.method, params),
            files => self.client.call_once_with_files(params, files),
        };
        let Some(kind) = &request.token else {
            return call(&params);
        };
        let mut refreshes = 0;
        loop {
            let token = self.client.token_once(kind)?;
            let mut with_token = params.clone();
            with_token.push((request.token_param.as_str(), token.as_str()));
            match call(&with_token) {
                Err(e) if e.error.code() == "badtoken" && refreshes < TOKEN_REFRESHES => {
                    refreshes += 1;
                    self.log(LogLevel::Info, || {
                        format!("badtoken: fetching a new {kind} token")
                    });
                    self.client.forget_refused_token(kind, &token)?;
                }
                other => return other,
            }
        }
    }

    /// Asks the wiki (without `assert`) whether this session now belongs to someone other than
    /// its user: nobody, a temporary account, or (when the session knows its user) another name.
    fn is_someone_else_now(&self) -> Result<bool> {
        let _shared = self.gate.shared()?;
        let info = self
            .client
            .call_object(Method::Get, &[("action", "query"), ("meta", "userinfo")])?;
        let hint = info
            .get("query")
            .and_then(|q| q.get("userinfo"))
            .and_then(IdentityHint::of_userinfo);
        let state = self.state()?;
        Ok(match hint {
            Some(IdentityHint::Anonymous | IdentityHint::Temporary) => true,
            Some(IdentityHint::User(name)) => state.expected_user().is_some_and(|e| e != name),
            None => false,
        })
    }

    /// `POST action=logout` with a csrf token, then the session forgets its cookies, tokens and
    /// credentials, whatever the wiki answered.
    pub fn logout(&self) -> Result<Value> {
        self.refuse_if_oauth("log out")?;
        let exclusive = self.gate.exclusive()?;
        let logout = ApiRequest {
            params: vec![("action".into(), "logout".into())],
            method: Method::Post,
            token: Some("csrf".into()),
            token_param: "token".into(),
            files: Vec::new(),
            continue_batches: None,
        };
        let result = self.client.with_retries(|| self.request_once(&logout, &[]));
        self.client.start_fresh(&exclusive)?;
        self.client.save_cookies()?;
        self.state()?.logged_out(&exclusive);
        self.log(LogLevel::Info, || "logged out".to_string());
        result.map(|_| json!({}))
    }

    // --- AuthManager ---------------------------------------------------------------------------

    /// A login flow starts from a session that is not logged in: a logged-in one is dropped
    /// first. An anonymous one is kept, with what the wiki stored in it (a captcha demanded after
    /// a bad attempt, a form's login token).
    fn prepare_login_flow(&self, exclusive: &Exclusive<'_>) -> Result<()> {
        self.refuse_if_oauth("log in")?;
        let logged_in = {
            let mut state = self.state()?;
            state.flow_login_started(exclusive);
            state.logged_in() != Some(false)
        };
        if logged_in {
            self.client.start_fresh(exclusive)?;
            self.state()?.fresh_session(exclusive);
        }
        Ok(())
    }

    /// Refuses, before any request, a purpose the session's state cannot do. A pending
    /// `bot_password` login happens first (a bot-password session counts as logged in), except
    /// for a login flow, which starts from a fresh wiki session anyway.
    fn check_purpose(&self, purpose: Purpose) -> Result<()> {
        if purpose != Purpose::Login {
            self.login_if_needed()?;
        }
        if purpose.needs_login() && self.state()?.logged_in() == Some(false) {
            return Err(Error::of(
                Code::NotLoggedIn,
                format!("{} needs a logged-in session: log in first", purpose.word()),
            ));
        }
        Ok(())
    }

    /// `mw_auth_fields` (and `mw_clientlogin_fields`): what the purpose's form must ask, and
    /// its token kept for the next first step. One request.
    pub fn auth_fields(&self, options: FieldsOptions) -> Result<Value> {
        self.check_purpose(options.purpose)?;
        let exclusive = self.gate.exclusive()?;
        if options.purpose == Purpose::Login {
            self.prepare_login_flow(&exclusive)?;
        }
        let generation = self.client.generation()?;
        let (info, form) = auth::fetch_form(&self.client, options.purpose, options.format)?;
        self.state()?.form_fetched(&exclusive, generation, form);
        Ok(Value::Object(info))
    }

    /// `mw_clientlogin_fields`.
    pub fn clientlogin_fields(&self, format: MessageFormat) -> Result<Value> {
        self.auth_fields(FieldsOptions {
            purpose: Purpose::Login,
            format,
        })
    }

    /// `mw_auth_begin` (and `mw_clientlogin`): the first step of an operation. Ends the flow in
    /// progress, if any.
    pub fn auth_begin(&self, request: &AuthRequest) -> Result<Value> {
        self.config().check_credentials_may_be_sent()?;
        self.check_purpose(request.purpose)?;
        let exclusive = self.gate.exclusive()?;
        if request.purpose == Purpose::Login {
            self.prepare_login_flow(&exclusive)?;
        }
        let generation = self.client.generation()?;
        let form = self
            .state()?
            .take_form(&exclusive, request.purpose, generation);
        let answer = auth::begin(&self.client, request, form, &self.config().api.url);
        self.apply(&exclusive, generation, answer)
    }

    /// `mw_clientlogin`.
    pub fn clientlogin(&self, request: &ClientLoginRequest) -> Result<Value> {
        self.auth_begin(&request.0)
    }

    /// `mw_auth_continue`: the next step of the flow in progress, after UI or REDIRECT.
    pub fn auth_continue(&self, fields: &FormValues) -> Result<Value> {
        self.continue_flow(fields, None)
    }

    /// `mw_clientlogin_step`: `auth_continue` for a login flow only.
    pub fn clientlogin_step(&self, fields: &FormValues) -> Result<Value> {
        self.continue_flow(fields, Some(Purpose::Login))
    }

    fn continue_flow(&self, fields: &FormValues, only: Option<Purpose>) -> Result<Value> {
        self.config().check_credentials_may_be_sent()?;
        let exclusive = self.gate.exclusive()?;
        let generation = self.client.generation()?;
        let step = self
            .state()?
            .step(generation)
            .filter(|step| only.is_none_or(|purpose| step.purpose == purpose))
            .cloned();
        let Some(step) = step else {
            return Err(Error::of(
                Code::NoFlow,
                match only {
                    Some(_) => "no clientlogin is in progress: call mw_clientlogin first",
                    None => "no AuthManager flow is in progress: call mw_auth_begin first",
                },
            ));
        };
        let answer = auth::continue_step(&self.client, step, fields);
        self.apply(&exclusive, generation, answer)
    }

    /// Applies what a step came to, and hands its output back.
    fn apply(
        &self,
        exclusive: &Exclusive<'_>,
        generation: u64,
        answer: Result<Answer>,
    ) -> Result<Value> {
        let answer = match answer {
            Ok(answer) => answer,
            Err(error) => {
                self.state()?.flow_ended(exclusive, generation, None);
                return Err(error);
            }
        };
        match &answer.outcome {
            Outcome::Done { username } if answer.purpose == Purpose::Login => {
                // The wiki reset the session id and every token secret.
                let generation = self.client.logged_in(exclusive)?;
                self.state()?.logged_in_as(
                    exclusive,
                    generation,
                    username.as_deref(),
                    None,
                    AuthKind::ClientLogin,
                    None,
                );
                self.log(LogLevel::Info, || {
                    format!(
                        "logged in as {} (clientlogin)",
                        username.as_deref().unwrap_or("?")
                    )
                });
            }
            Outcome::Done { username } => {
                let purpose = answer.purpose;
                self.state()?.flow_ended(exclusive, generation, None);
                self.log(LogLevel::Info, || match username {
                    Some(name) => format!("{}: done for {name}", purpose.word()),
                    None => format!("{}: done", purpose.word()),
                });
            }
            Outcome::Continues(step) => {
                self.state()?
                    .flow_continues(exclusive, generation, step.clone());
            }
            Outcome::Refused { form, .. } => {
                self.state()?
                    .flow_ended(exclusive, generation, form.clone());
            }
        }
        answer.into_result()
    }
}
