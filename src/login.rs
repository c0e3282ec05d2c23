//! Bot-password login with `action=login`: a login token, then one POST.

use crate::error::{Error, ErrorKind, Result};
use crate::json::{Fields, expect_object};
use crate::params::Method;
use crate::response::message_text;
use crate::session::{AuthKind, LogLevel, Session};
use serde_json::{Map, Value, json};
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
            return Err(Error::argument(
                "invalid_value",
                "credentials.username is empty",
            ));
        }
        if password.is_empty() {
            return Err(Error::argument(
                "invalid_value",
                "credentials.password is empty",
            ));
        }
        Ok(Credentials::new(username, password))
    }

    pub fn username(&self) -> &str {
        &self.username
    }
}

/// What one `action=login` POST came to.
enum Attempt {
    Success(Map<String, Value>),
    /// The login token died with its session: worth one more try with a fresh token.
    TokenLost(Error),
    Refused(Error),
}

impl Session {
    /// `mw_login`: logs in with a bot password (or, deprecated, a main-account password).
    pub fn login(&self, credentials: &Credentials) -> Result<Value> {
        self.refuse_if_oauth("log in")?;
        self.config().check_credentials_may_be_sent()?;
        let _exclusive = self.exclusive_gate()?;
        self.explicit_login_started()?;
        match self.login_locked(credentials) {
            Ok(out) => Ok(out),
            Err(error) => {
                self.forget_login()?;
                Err(error)
            }
        }
    }

    /// The login itself; the caller holds the session's gate exclusively.
    pub(crate) fn login_locked(&self, credentials: &Credentials) -> Result<Value> {
        self.config().check_credentials_may_be_sent()?;
        // The wiki answers Aborted to action=login inside a live bot-password session, and a
        // new login gets new cookies anyway: start from a fresh wiki session.
        self.start_fresh_session()?;
        let mut retried = false;
        loop {
            let token = self.fetch_token("login")?;
            let response = self.call_object(
                Method::Post,
                &[
                    ("action", "login"),
                    ("lgname", credentials.username()),
                    ("lgpassword", &credentials.password),
                    ("lgtoken", &token),
                    // Gives the reason as a code (wrongpassword, login-throttled, ...) and text.
                    ("errorformat", "plaintext"),
                ],
            )?;
            match read_login_result(&response) {
                Attempt::Success(login) => {
                    let username = login
                        .get("lgusername")
                        .and_then(Value::as_str)
                        .unwrap_or(credentials.username());
                    let userid = login.get("lguserid").and_then(Value::as_u64);
                    self.logged_in_as(
                        Some(username),
                        userid,
                        AuthKind::BotPassword,
                        Some(credentials),
                    )?;
                    self.log(LogLevel::Info, || format!("logged in as {username}"));
                    let mut out = json!({"status": "PASS", "username": username, "userid": userid});
                    if let Some(warnings) = response.get("warnings") {
                        out["warnings"] = warnings.clone();
                    }
                    return Ok(out);
                }
                Attempt::TokenLost(_) if !retried => {
                    retried = true;
                    self.log(LogLevel::Info, || {
                        "the login token was lost; fetching a new one".into()
                    });
                }
                Attempt::TokenLost(error) | Attempt::Refused(error) => {
                    self.log(LogLevel::Warning, || {
                        format!(
                            "the wiki refused the login of {} ({})",
                            credentials.username(),
                            error.code()
                        )
                    });
                    return Err(error);
                }
            }
        }
    }
}

fn read_login_result(response: &Map<String, Value>) -> Attempt {
    let Some(login) = response.get("login").and_then(Value::as_object) else {
        return Attempt::Refused(Error::new(
            ErrorKind::Http,
            "not_json",
            "the wiki's answer to action=login has no \"login\" object",
        ));
    };
    let result = login.get("result").and_then(Value::as_str).unwrap_or("");
    if result == "Success" {
        return Attempt::Success(login.clone());
    }
    // With errorformat=plaintext the reason is {"code", "text"}; a bc-format string still works.
    let (reason_code, reason_text) = match login.get("reason") {
        Some(Value::Object(reason)) => (
            reason
                .get("code")
                .and_then(Value::as_str)
                .map(str::to_string),
            message_text(reason).map(str::to_string),
        ),
        Some(Value::String(text)) => (None, Some(text.clone())),
        _ => (None, None),
    };
    let info = reason_text.unwrap_or_else(|| match result {
        "WrongToken" => "The login token did not match the session.".into(),
        "NeedToken" => "The wiki asked for a login token.".into(),
        _ => format!("The wiki refused the login ({result})."),
    });
    let mut error = Error::new(
        ErrorKind::Login,
        if result.is_empty() { "Failed" } else { result },
        info,
    );
    if let Some(code) = &reason_code {
        error = error.with("reason", code.as_str());
    }
    if result == "WrongToken" || reason_code.as_deref() == Some("sessionlost") {
        Attempt::TokenLost(error)
    } else {
        Attempt::Refused(error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn login_results_are_read() {
        let failed = json!({"login": {"result": "Failed", "reason": {"code": "wrongpassword", "text": "Incorrect username or password entered."}}});
        match read_login_result(failed.as_object().unwrap()) {
            Attempt::Refused(e) => {
                assert_eq!(e.code(), "Failed");
                assert_eq!(e.object()["reason"], "wrongpassword");
                assert_eq!(e.info(), "Incorrect username or password entered.");
            }
            _ => panic!("expected a refusal"),
        }
        let lost =
            json!({"login": {"result": "Failed", "reason": {"code": "sessionlost", "text": "x"}}});
        assert!(matches!(
            read_login_result(lost.as_object().unwrap()),
            Attempt::TokenLost(_)
        ));
        let wrong = json!({"login": {"result": "WrongToken"}});
        assert!(matches!(
            read_login_result(wrong.as_object().unwrap()),
            Attempt::TokenLost(_)
        ));
        let ok = json!({"login": {"result": "Success", "lguserid": 2, "lgusername": "Bot"}});
        assert!(matches!(
            read_login_result(ok.as_object().unwrap()),
            Attempt::Success(_)
        ));
    }
}
