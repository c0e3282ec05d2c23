//! A user name and its password, as `mw_login` and `config.bot_password` take them.

use crate::error::{Code, Error, Result};
use crate::json::{Fields, expect_object};
use serde_json::Value;
use std::fmt;
use zeroize::Zeroizing;

/// A user name (`User@appid` for a bot password) and its password. `Debug` hides the password and
/// the memory is wiped when dropped.
#[derive(Clone)]
pub struct Credentials {
    username: String,
    password: Zeroizing<String>,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &"<hidden>")
            .finish()
    }
}

impl Credentials {
    pub fn new(username: &str, password: &str) -> Self {
        Credentials {
            username: username.to_string(),
            password: Zeroizing::new(password.to_string()),
        }
    }

    /// `mw_login`'s credentials object: `{"username", "password"}`.
    pub fn from_json(value: &Value) -> Result<Self> {
        Self::from_json_named(value, "credentials")
    }

    /// The same, named `what` in error messages (`config.bot_password`).
    pub fn from_json_named(value: &Value, what: &str) -> Result<Self> {
        let mut fields = Fields::new(expect_object(value, what)?, what);
        let username = fields.required_str("username")?;
        let password = fields.required_str("password")?;
        fields.finish()?;
        if username.trim().is_empty() {
            return Err(Error::of(
                Code::InvalidValue,
                "credentials.username is empty",
            ));
        }
        if password.is_empty() {
            return Err(Error::of(
                Code::InvalidValue,
                "credentials.password is empty",
            ));
        }
        Ok(Credentials::new(username, password))
    }

    pub fn username(&self) -> &str {
        &self.username
    }

    pub(crate) fn password(&self) -> &str {
        &self.password
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn credentials_never_show_the_password() {
        let c = Credentials::new("Bot@app", "0123456789abcdefghijklmnopqrstuv");
        assert!(!format!("{c:?}").contains("0123456789"));
    }

    #[test]
    fn credential_objects_are_strict() {
        for (value, code) in [
            (json!({"username": "a"}), "missing_field"),
            (json!({"username": "a", "password": 5}), "wrong_type"),
            (
                json!({"username": "a", "password": "p", "extra": 1}),
                "unknown_key",
            ),
            (json!({"username": "", "password": "p"}), "invalid_value"),
            (json!(null), "wrong_type"),
        ] {
            assert_eq!(
                Credentials::from_json(&value).unwrap_err().code(),
                code,
                "{value}"
            );
        }
    }
}
