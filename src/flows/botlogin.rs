//! Bot-password login with `action=login`: a login token, then one POST.

use crate::credentials::Credentials;
use crate::error::{Code, Error, ErrorKind, Result};
use crate::flows::Wiki;
use crate::log::LogLevel;
use crate::params::Method;
use crate::response::message_text;
use serde_json::{Map, Value};

/// What one `action=login` POST came to.
enum Attempt {
    Success(Map<String, Value>),
    /// The login token died with its session: worth one more try with a fresh token.
    TokenLost(Error),
    Refused(Error),
}

/// What a successful bot-password login says.
#[derive(Debug)]
pub(crate) struct LoggedIn {
    pub(crate) username: String,
    pub(crate) userid: Option<u64>,
    pub(crate) warnings: Option<Value>,
}

/// `action=login` with a bot password (or, deprecated, a main-account password): a login token,
/// then one POST, from the fresh wiki session the caller started. One more try with a new
/// token when the token died with its wiki session.
pub(crate) fn log_in(wiki: &impl Wiki, credentials: &Credentials) -> Result<LoggedIn> {
    let mut retried = false;
    loop {
        let token = wiki.fresh_token("login")?;
        let response = wiki.call_object(
            Method::Post,
            &[
                ("action", "login"),
                ("lgname", credentials.username()),
                ("lgpassword", credentials.password()),
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
                    .unwrap_or(credentials.username())
                    .to_string();
                return Ok(LoggedIn {
                    username,
                    userid: login.get("lguserid").and_then(Value::as_u64),
                    warnings: response.get("warnings").cloned(),
                });
            }
            Attempt::TokenLost(_) if !retried => {
                retried = true;
                wiki.log(LogLevel::Info, &|| {
                    "the login token was lost; fetching a new one".into()
                });
            }
            Attempt::TokenLost(error) | Attempt::Refused(error) => {
                wiki.log(LogLevel::Warning, &|| {
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

fn read_login_result(response: &Map<String, Value>) -> Attempt {
    let Some(login) = response.get("login").and_then(Value::as_object) else {
        return Attempt::Refused(Error::of(
            Code::NotJson,
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
    use serde_json::json;

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

    #[test]
    fn a_lost_token_is_fetched_again_once() {
        use crate::flows::scripted::{ScriptedWiki, tokens};
        let lost = json!({"login": {"result": "WrongToken"}});
        let ok = json!({"login": {"result": "Success", "lguserid": 7, "lgusername": "Bot"}});
        let wiki = ScriptedWiki::new(vec![tokens("login"), lost, tokens("login"), ok]);
        let logged_in = log_in(&wiki, &Credentials::new("Bot@app", "secret")).unwrap();
        assert_eq!(
            (logged_in.username.as_str(), logged_in.userid),
            ("Bot", Some(7))
        );
        assert_eq!(wiki.calls.borrow().len(), 4);
        assert_eq!(wiki.param(1, "lgtoken").as_deref(), Some("login-fresh+\\"));
        assert_eq!(wiki.calls.borrow()[1].0, Method::Post);

        let refused = json!({"login": {"result": "Failed", "reason": {"code": "wrongpassword", "text": "x"}}});
        let wiki = ScriptedWiki::new(vec![tokens("login"), refused]);
        let error = log_in(&wiki, &Credentials::new("Bot@app", "secret")).unwrap_err();
        assert_eq!((error.code(), error.kind()), ("Failed", ErrorKind::Login));
    }
}
