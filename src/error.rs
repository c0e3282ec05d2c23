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
    /// An error of the library's own, with a code from the ABI's table.
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

    pub fn argument(code: &str, info: impl Into<String>) -> Self {
        Self::new(ErrorKind::Argument, code, info)
    }

    pub fn state(code: &str, info: impl Into<String>) -> Self {
        Self::new(ErrorKind::State, code, info)
    }

    pub fn internal(code: &str, info: impl Into<String>) -> Self {
        Self::new(ErrorKind::Internal, code, info)
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
