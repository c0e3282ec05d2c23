//! Strict reading of the JSON objects callers pass in: every problem is an `MW_ERR_ARGUMENT`
//! whose message names the field (`config.timeout_ms`, `credentials.password`, ...).

use crate::error::{Code, Error, Result};
use serde_json::{Map, Value};

pub fn expect_object<'a>(value: &'a Value, what: &str) -> Result<&'a Map<String, Value>> {
    value
        .as_object()
        .ok_or_else(|| Error::of(Code::WrongType, format!("{what} must be a JSON object")))
}

pub fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Takes the members of an object one by one; `finish` then rejects whatever is left.
pub struct Fields<'a> {
    what: &'a str,
    rest: Vec<(&'a str, &'a Value)>,
}

impl<'a> Fields<'a> {
    pub fn new(object: &'a Map<String, Value>, what: &'a str) -> Self {
        Fields {
            what,
            rest: object.iter().map(|(k, v)| (k.as_str(), v)).collect(),
        }
    }

    /// Removes `key` and returns its value, `None` when absent.
    pub fn take(&mut self, key: &str) -> Option<&'a Value> {
        let at = self.rest.iter().position(|(k, _)| *k == key)?;
        Some(self.rest.swap_remove(at).1)
    }

    /// Removes `key`; `None` when absent or null.
    pub fn take_non_null(&mut self, key: &str) -> Option<&'a Value> {
        self.take(key).filter(|v| !v.is_null())
    }

    pub fn wrong_type(&self, key: &str, wanted: &str, got: &Value) -> Error {
        Error::of(
            Code::WrongType,
            format!(
                "{}.{key} must be {wanted}, not {}",
                self.what,
                type_name(got)
            ),
        )
    }

    pub fn invalid(&self, key: &str, why: &str) -> Error {
        Error::of(Code::InvalidValue, format!("{}.{key} {why}", self.what))
    }

    pub fn required_str(&mut self, key: &str) -> Result<&'a str> {
        match self.take(key) {
            None | Some(Value::Null) => Err(Error::of(
                Code::MissingField,
                format!("{}.{key} is required", self.what),
            )),
            Some(Value::String(s)) => Ok(s),
            Some(other) => Err(self.wrong_type(key, "a string", other)),
        }
    }

    pub fn optional_str(&mut self, key: &str) -> Result<Option<&'a str>> {
        match self.take_non_null(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(other) => Err(self.wrong_type(key, "a string", other)),
        }
    }

    pub fn bool(&mut self, key: &str, default: bool) -> Result<bool> {
        match self.take_non_null(key) {
            None => Ok(default),
            Some(Value::Bool(b)) => Ok(*b),
            Some(other) => Err(self.wrong_type(key, "a boolean", other)),
        }
    }

    pub fn optional_i64(&mut self, key: &str) -> Result<Option<i64>> {
        match self.take_non_null(key) {
            None => Ok(None),
            Some(Value::Number(n)) => n
                .as_i64()
                .map(Some)
                .ok_or_else(|| self.invalid(key, "must be a whole number")),
            Some(other) => Err(self.wrong_type(key, "an integer", other)),
        }
    }

    pub fn u64(&mut self, key: &str, default: u64) -> Result<u64> {
        match self.take_non_null(key) {
            None => Ok(default),
            Some(Value::Number(n)) => n
                .as_u64()
                .ok_or_else(|| self.invalid(key, "must be a whole number, 0 or more")),
            Some(other) => Err(self.wrong_type(key, "an integer", other)),
        }
    }

    pub fn positive_u64(&mut self, key: &str, default: u64) -> Result<u64> {
        match self.u64(key, default)? {
            0 => Err(self.invalid(key, "must be more than 0")),
            n => Ok(n),
        }
    }

    pub fn u32(&mut self, key: &str, default: u32) -> Result<u32> {
        let n = self.u64(key, u64::from(default))?;
        u32::try_from(n).map_err(|_| self.invalid(key, "is too large"))
    }

    /// Fails with `unknown_key` naming the first member nobody took.
    pub fn finish(self) -> Result<()> {
        match self.rest.first() {
            None => Ok(()),
            Some((key, _)) => Err(Error::of(
                Code::UnknownKey,
                format!("{}.{key} is not a known key", self.what),
            )),
        }
    }
}
