//! Errors as the C ABI reports them: a result class (`mw_result`) and an `"error"` object with
//! at least `code` and `info`.
//!
//! Nothing here ever holds a password, a token or a cookie value: messages are written by the
//! library from fixed text and the names of things, or passed through from the wiki, which does not
//! echo secrets either.

use serde_json::{Map, Value, json};
use std::fmt;

/// The class of a failure; the numbers are the C ABI's `mw_result` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The caller's input is unusable.
    Argument = 1,
    /// The call does not fit the session's state.
    State = 2,
    /// No HTTP answer.
    Transport = 3,
    /// An HTTP answer that is not an API response.
    Http = 4,
    /// The API answered with an error.
    Api = 5,
    /// The wiki refused a login.
    Login = 6,
    /// A bug in the library.
    Internal = 99,
}

/// The codes of errors the library makes itself (every other code comes from the wiki). Each
/// belongs to one `ErrorKind`; `include/mwauth.h` documents them all (a test checks it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    /// Argument: a pointer argument is NULL.
    NullArgument,
    /// Argument: a string argument is not UTF-8.
    InvalidUtf8,
    /// Argument: a JSON argument does not parse.
    InvalidJson,
    /// Argument: a member has the wrong JSON type.
    WrongType,
    /// Argument: a required member is missing.
    MissingField,
    /// Argument: a member the function does not take.
    UnknownKey,
    /// Argument: a member's value is unusable.
    InvalidValue,
    /// Argument: credentials would travel over plain http.
    InsecureHttp,
    /// State: no AuthManager flow to continue.
    NoFlow,
    /// State: the call needs a logged-in session.
    NotLoggedIn,
    /// State: an OAuth session has nothing to log in or out of.
    OAuthSession,
    /// State: the session is being freed.
    Closed,
    /// Transport: the wiki's host name did not resolve.
    Dns,
    /// Transport: no connection.
    Connect,
    /// Transport: TLS failed.
    Tls,
    /// Transport: the request timed out.
    Timeout,
    /// Transport: a reset connection, a truncated or invalid answer.
    Io,
    /// Http: an error status without an API error body.
    HttpStatus,
    /// Http: a body that is not the API's JSON.
    NotJson,
    /// Http: a body or headers over the limits.
    TooLarge,
    /// Api: the wiki returned no token of the type asked.
    NoToken,
    /// Api: an error member the library cannot read.
    UnknownError,
    /// Internal: a bug: a Rust panic caught at the C boundary.
    Panic,
    /// Internal: a bug: a lock poisoned by an earlier panic.
    Poisoned,
    /// Internal: no thread could be started for an asynchronous call.
    Thread,
}

impl Code {
    pub const ALL: &[Code] = &[
        Code::NullArgument,
        Code::InvalidUtf8,
        Code::InvalidJson,
        Code::WrongType,
        Code::MissingField,
        Code::UnknownKey,
        Code::InvalidValue,
        Code::InsecureHttp,
        Code::NoFlow,
        Code::NotLoggedIn,
        Code::OAuthSession,
        Code::Closed,
        Code::Dns,
        Code::Connect,
        Code::Tls,
        Code::Timeout,
        Code::Io,
        Code::HttpStatus,
        Code::NotJson,
        Code::TooLarge,
        Code::NoToken,
        Code::UnknownError,
        Code::Panic,
        Code::Poisoned,
        Code::Thread,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Code::NullArgument => "null_argument",
            Code::InvalidUtf8 => "invalid_utf8",
            Code::InvalidJson => "invalid_json",
            Code::WrongType => "wrong_type",
            Code::MissingField => "missing_field",
            Code::UnknownKey => "unknown_key",
            Code::InvalidValue => "invalid_value",
            Code::InsecureHttp => "insecure_http",
            Code::NoFlow => "no_flow",
            Code::NotLoggedIn => "not_logged_in",
            Code::OAuthSession => "oauth_session",
            Code::Closed => "closed",
            Code::Dns => "dns",
            Code::Connect => "connect",
            Code::Tls => "tls",
            Code::Timeout => "timeout",
            Code::Io => "io",
            Code::HttpStatus => "http_status",
            Code::NotJson => "not_json",
            Code::TooLarge => "too_large",
            Code::NoToken => "notoken",
            Code::UnknownError => "unknown_error",
            Code::Panic => "panic",
            Code::Poisoned => "poisoned",
            Code::Thread => "thread",
        }
    }

    pub fn kind(self) -> ErrorKind {
        match self {
            Code::NullArgument
            | Code::InvalidUtf8
            | Code::InvalidJson
            | Code::WrongType
            | Code::MissingField
            | Code::UnknownKey
            | Code::InvalidValue
            | Code::InsecureHttp => ErrorKind::Argument,
            Code::NoFlow | Code::NotLoggedIn | Code::OAuthSession | Code::Closed => {
                ErrorKind::State
            }
            Code::Dns | Code::Connect | Code::Tls | Code::Timeout | Code::Io => {
                ErrorKind::Transport
            }
            Code::HttpStatus | Code::NotJson | Code::TooLarge => ErrorKind::Http,
            Code::NoToken | Code::UnknownError => ErrorKind::Api,
            Code::Panic | Code::Poisoned | Code::Thread => ErrorKind::Internal,
        }
    }
}

/// A failure with the JSON the C ABI hands back for it. Boxed, so that `Result`s stay small on
/// the happy path.
#[derive(Clone, PartialEq)]
pub struct Error(Box<Inner>);

#[derive(Clone, PartialEq)]
struct Inner {
    kind: ErrorKind,
    /// The `"error"` object: `code`, `info`, and whatever else is known (`http_status`,
    /// `retry_after`, MediaWiki's own members).
    object: Map<String, Value>,
    /// Further top-level members of the output beside `"error"` (a clientlogin `FAIL` returns the
    /// whole clientlogin object).
    output: Map<String, Value>,
}

impl Error {
    /// An error of the library's own.
    pub fn of(code: Code, info: impl Into<String>) -> Self {
        Self::new(code.kind(), code.as_str(), info)
    }

    /// An error with a code the wiki gave (an action=login result, a clientlogin messagecode).
    pub fn new(kind: ErrorKind, code: &str, info: impl Into<String>) -> Self {
        let mut object = Map::new();
        object.insert("code".into(), code.into());
        object.insert("info".into(), Value::String(info.into()));
        Error(Box::new(Inner {
            kind,
            object,
            output: Map::new(),
        }))
    }

    /// An error whose object the wiki wrote; `code` and `info` are made sure of (a missing or
    /// empty one is filled in: an error always says what and why).
    pub fn from_wiki(kind: ErrorKind, mut object: Map<String, Value>) -> Self {
        let usable =
            |value: Option<&Value>| value.and_then(Value::as_str).is_some_and(|s| !s.is_empty());
        if !usable(object.get("code")) {
            object.insert("code".into(), "unknown".into());
        }
        if !usable(object.get("info")) {
            object.insert("info".into(), "The wiki gave no description.".into());
        }
        Error(Box::new(Inner {
            kind,
            object,
            output: Map::new(),
        }))
    }

    /// Adds a member to the `"error"` object.
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.0.object.insert(key.into(), value.into());
        self
    }

    /// Adds the members of `output` beside `"error"` in the output object.
    pub fn with_output(mut self, output: Map<String, Value>) -> Self {
        self.0.output = output;
        self
    }

    pub fn kind(&self) -> ErrorKind {
        self.0.kind
    }

    pub fn code(&self) -> &str {
        self.0
            .object
            .get("code")
            .and_then(Value::as_str)
            .unwrap_or("")
    }

    pub fn info(&self) -> &str {
        self.0
            .object
            .get("info")
            .and_then(Value::as_str)
            .unwrap_or("")
    }

    /// The `"error"` object.
    pub fn object(&self) -> &Map<String, Value> {
        &self.0.object
    }

    /// The output object the C ABI returns: `{"error": {...}}` plus any other members.
    pub fn to_json(&self) -> Value {
        let mut out = self.0.output.clone();
        out.insert("error".into(), Value::Object(self.0.object.clone()));
        Value::Object(out)
    }

    /// The same with `"result"` (the `mw_result` value), as `mw_session_new` reports failures.
    pub fn to_json_with_result(&self) -> Value {
        let mut out = self.to_json();
        out["result"] = json!(self.0.kind as i32);
        out
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?}: {}",
            self.0.kind,
            Value::Object(self.0.object.clone())
        )
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.info(), self.code())
    }
}

impl std::error::Error for Error {}

pub type Result<T, E = Error> = std::result::Result<T, E>;
