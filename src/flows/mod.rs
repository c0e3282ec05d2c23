//! The wiki's login and account flows, as code over a `Wiki` (the session's HTTP client, or a
//! scripted one in the tests) that returns what happened. The session applies the outcome to
//! its state; a flow writes no state of its own.

pub mod auth;
pub(crate) mod botlogin;
pub mod upload;

use crate::client::Client;
use crate::error::Result;
use crate::log::LogLevel;
use crate::params::Method;
use serde_json::{Map, Value};
use zeroize::Zeroizing;

/// What a flow needs of the wiki.
pub(crate) trait Wiki {
    /// One API call (with the retry policy) whose answer the flow reads.
    fn call_object(&self, method: Method, params: &[(&str, &str)]) -> Result<Map<String, Value>>;
    /// A token of `kind` from the session's cache (fetched when missing).
    fn token(&self, kind: &str) -> Result<Zeroizing<String>>;
    /// A token of `kind` fetched now, bypassing the cache.
    fn fresh_token(&self, kind: &str) -> Result<Zeroizing<String>>;
    fn forget_token(&self, kind: &str) -> Result<()>;
    fn log(&self, level: LogLevel, line: &dyn Fn() -> String);
}

impl Wiki for Client {
    fn call_object(&self, method: Method, params: &[(&str, &str)]) -> Result<Map<String, Value>> {
        Client::call_object(self, method, params)
    }
    fn token(&self, kind: &str) -> Result<Zeroizing<String>> {
        Client::token(self, kind)
    }
    fn fresh_token(&self, kind: &str) -> Result<Zeroizing<String>> {
        Client::fresh_token(self, kind)
    }
    fn forget_token(&self, kind: &str) -> Result<()> {
        Client::forget_token(self, kind)
    }
    fn log(&self, level: LogLevel, line: &dyn Fn() -> String) {
        Client::log(self, level, line);
    }
}

/// A scripted wiki for the flows' tests: answers in order, and every call it was asked.
#[cfg(test)]
pub(crate) mod scripted {
    use super::*;
    use serde_json::json;
    use std::cell::RefCell;
    use std::collections::VecDeque;

    /// A call's method and parameters.
    pub(crate) type Call = (Method, Vec<(String, String)>);

    #[derive(Default)]
    pub(crate) struct ScriptedWiki {
        pub(crate) answers: RefCell<VecDeque<Result<Value>>>,
        /// Each call: its method and parameters.
        pub(crate) calls: RefCell<Vec<Call>>,
    }

    impl ScriptedWiki {
        pub(crate) fn new(answers: Vec<Value>) -> Self {
            ScriptedWiki {
                answers: RefCell::new(answers.into_iter().map(Ok).collect()),
                ..ScriptedWiki::default()
            }
        }

        /// The value of `name` in call number `index`.
        pub(crate) fn param(&self, index: usize, name: &str) -> Option<String> {
            self.calls.borrow()[index]
                .1
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        }
    }

    impl Wiki for ScriptedWiki {
        fn call_object(
            &self,
            method: Method,
            params: &[(&str, &str)],
        ) -> Result<Map<String, Value>> {
            self.calls.borrow_mut().push((
                method,
                params
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            ));
            let answer = self
                .answers
                .borrow_mut()
                .pop_front()
                .expect("the script has an answer for every call")?;
            Ok(answer.as_object().cloned().unwrap_or_default())
        }
        fn token(&self, kind: &str) -> Result<Zeroizing<String>> {
            Ok(Zeroizing::new(format!("{kind}-cached+\\")))
        }
        fn fresh_token(&self, kind: &str) -> Result<Zeroizing<String>> {
            let answer = self.call_object(
                Method::Get,
                &[("action", "query"), ("meta", "tokens"), ("type", kind)],
            )?;
            crate::client::read_token(&answer, kind)
        }
        fn forget_token(&self, _kind: &str) -> Result<()> {
            Ok(())
        }
        fn log(&self, _level: LogLevel, _line: &dyn Fn() -> String) {}
    }

    pub(crate) fn tokens(kind: &str) -> Value {
        json!({"query": {"tokens": {format!("{kind}token"): format!("{kind}-fresh+\\")}}})
    }
}
