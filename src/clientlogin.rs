//! `action=clientlogin`: MediaWiki's AuthManager login, driven step by step.
//!
//! The wiki describes what it wants (`meta=authmanagerinfo`: username, password, a captcha, ...);
//! the caller answers; the wiki says `PASS`, `FAIL`, `UI` (ask for more: a two-factor code),
//! `REDIRECT` (a third party) or `RESTART`. Everything lives in the wiki's session, so every step
//! goes out with the same cookies and the same login token.

use crate::error::{Error, ErrorKind, Result};
use crate::json::{Fields, expect_object, type_name};
use crate::params::Method;
use crate::session::{AuthKind, LogLevel, Session};
use serde_json::{Map, Value};
use zeroize::Zeroizing;

/// What the session remembers of a clientlogin between calls.
#[derive(Default)]
pub(crate) struct ClientLoginFlow {
    /// The login token of the wiki session the flow runs in, and that session's generation.
    token: Option<(u64, Zeroizing<String>)>,
    /// Hidden fields of the last form fetched (authmanagerinfo), sent with the next first step.
    form_hidden: Vec<(String, String)>,
    /// Set after `UI` or `REDIRECT`: a step may continue the flow.
    continuing: bool,
    /// Hidden fields of the last `UI`/`REDIRECT` answer, sent with the next step.
    step_hidden: Vec<(String, String)>,
}

/// How `mw_clientlogin_fields` asks for labels and help texts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MessageFormat {
    Html,
    #[default]
    Wikitext,
    Raw,
    None,
}

impl MessageFormat {
    fn as_param(self) -> &'static str {
        match self {
            MessageFormat::Html => "html",
            MessageFormat::Wikitext => "wikitext",
            MessageFormat::Raw => "raw",
            MessageFormat::None => "none",
        }
    }

    /// `mw_clientlogin_fields`'s options: NULL/`null`, or `{"messageformat": ...}`.
    pub fn from_options(options: Option<&Value>) -> Result<Self> {
        let Some(value) = options.filter(|v| !v.is_null()) else {
            return Ok(MessageFormat::default());
        };
        let mut fields = Fields::new(expect_object(value, "options")?, "options");
        let format = match fields.optional_str("messageformat")? {
            None | Some("wikitext") => MessageFormat::Wikitext,
            Some("html") => MessageFormat::Html,
            Some("raw") => MessageFormat::Raw,
            Some("none") => MessageFormat::None,
            Some(_) => {
                return Err(fields.invalid(
                    "messageformat",
                    "must be \"html\", \"wikitext\", \"raw\" or \"none\"",
                ));
            }
        };
        fields.finish()?;
        Ok(format)
    }
}

/// Form fields as the caller gives them, in MediaWiki's wire form (`false` left out).
#[derive(Clone, Default)]
pub struct FormValues {
    values: Vec<(String, Zeroizing<String>)>,
}

impl std::fmt::Debug for FormValues {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.values.iter().map(|(k, _)| k.as_str()).collect();
        write!(f, "FormValues({names:?})")
    }
}

/// Parameters the library sets itself; a form field of the same name would clash.
const RESERVED_PARAMS: &[&str] = &[
    "action",
    "format",
    "formatversion",
    "errorformat",
    "maxlag",
    "assert",
    "logintoken",
    "logincontinue",
    "loginreturnurl",
    "loginpreservestate",
    "loginmergerequestfields",
    "loginmessageformat",
    "loginrequests",
];

impl FormValues {
    /// Reads field values from a JSON object; `skip` names keys that are not fields.
    fn from_object(object: &Map<String, Value>, what: &str, skip: &[&str]) -> Result<Self> {
        let mut values = Vec::new();
        for (name, value) in object {
            if skip.contains(&name.as_str()) {
                continue;
            }
            if RESERVED_PARAMS.contains(&name.as_str()) {
                return Err(Error::argument(
                    "invalid_value",
                    format!("{what}.{name} is set by mwauth, not a form field"),
                ));
            }
            match value {
                // MediaWiki takes any present checkbox as checked: false is left out.
                Value::Bool(false) | Value::Null => {}
                Value::Bool(true) => values.push((name.clone(), Zeroizing::new("1".to_string()))),
                Value::String(s) => values.push((name.clone(), Zeroizing::new(s.clone()))),
                other => {
                    return Err(Error::argument(
                        "wrong_type",
                        format!(
                            "{what}.{name} must be a string or a boolean, not {}",
                            type_name(other)
                        ),
                    ));
                }
            }
        }
        Ok(FormValues { values })
    }

    /// `mw_clientlogin_step`'s fields: any name.
    pub fn from_json(value: &Value) -> Result<Self> {
        Self::from_object(expect_object(value, "fields")?, "fields", &[])
    }

    pub fn new(values: &[(&str, &str)]) -> Self {
        FormValues {
            values: values
                .iter()
                .map(|(k, v)| (k.to_string(), Zeroizing::new(v.to_string())))
                .collect(),
        }
    }

    fn has(&self, name: &str) -> bool {
        self.values.iter().any(|(k, _)| k == name)
    }
}

/// `mw_clientlogin`'s request: the form's fields, plus `returnurl` and `preservestate`.
#[derive(Debug, Clone, Default)]
pub struct ClientLoginRequest {
    pub fields: FormValues,
    pub returnurl: Option<String>,
    pub preservestate: bool,
}

impl ClientLoginRequest {
    pub fn from_json(value: &Value) -> Result<Self> {
        let object = expect_object(value, "request")?;
        let mut reserved = Fields::new(object, "request");
        let returnurl = reserved.optional_str("returnurl")?.map(str::to_string);
        let preservestate = reserved.bool("preservestate", false)?;
        Ok(ClientLoginRequest {
            fields: FormValues::from_object(object, "request", &["returnurl", "preservestate"])?,
            returnurl,
            preservestate,
        })
    }
}

/// Hidden fields (name and value) of a merged `fields` object.
fn hidden_fields(fields: Option<&Value>) -> Vec<(String, String)> {
    let Some(Value::Object(fields)) = fields else {
        return Vec::new();
    };
    fields
        .iter()
        .filter(|(_, f)| f.get("type").and_then(Value::as_str) == Some("hidden"))
        .filter_map(|(name, f)| Some((name.clone(), f.get("value")?.as_str()?.to_string())))
        .collect()
}

/// What the flow turned into after one clientlogin POST.
enum Status {
    Pass(Option<String>),
    Continue,
    Fail,
    Restart,
}

impl Session {
    /// `mw_clientlogin_fields`: what a login form must ask, and a login token kept for the next
    /// `clientlogin`. One request.
    pub fn clientlogin_fields(&self, format: MessageFormat) -> Result<Value> {
        self.refuse_if_oauth("log in")?;
        let _exclusive = self.exclusive_gate()?;
        self.start_flow_session()?;
        let info = self.fetch_form(format)?;
        Ok(Value::Object(info))
    }

    /// `mw_clientlogin`: the first step, with the form's fields.
    pub fn clientlogin(&self, request: &ClientLoginRequest) -> Result<Value> {
        self.refuse_if_oauth("log in")?;
        self.config().check_credentials_may_be_sent()?;
        let _exclusive = self.exclusive_gate()?;
        self.start_flow_session()?;
        let (mut token, form_hidden) = {
            let mut state = self.state()?;
            let generation = state.generation;
            let flow = &mut state.flow;
            flow.continuing = false;
            flow.step_hidden.clear();
            let token = flow
                .token
                .as_ref()
                .filter(|(g, _)| *g == generation)
                .map(|(_, t)| t.clone());
            // A form's hidden fields (a captcha id) are good for one attempt.
            (token, std::mem::take(&mut flow.form_hidden))
        };
        let returnurl = request
            .returnurl
            .clone()
            .unwrap_or_else(|| self.config().api.url.clone());
        let mut refetched = false;
        loop {
            let login_token = match token.take() {
                Some(t) => t,
                None => self.flow_token()?,
            };
            let mut params: Vec<(&str, &str)> = vec![
                ("action", "clientlogin"),
                ("loginreturnurl", &returnurl),
                ("loginmergerequestfields", "1"),
                ("logintoken", &login_token),
            ];
            if request.preservestate {
                params.push(("loginpreservestate", "1"));
            }
            for (name, value) in &form_hidden {
                if !request.fields.has(name) {
                    params.push((name, value));
                }
            }
            for (name, value) in &request.fields.values {
                params.push((name, value));
            }
            match self.call_object(Method::Post, &params) {
                // The token died with its wiki session (expired while the form was shown).
                Err(e) if e.code() == "badtoken" && !refetched => {
                    refetched = true;
                    self.state()?.flow.token = None;
                }
                Err(e) => return Err(e),
                Ok(response) => return self.flow_answer(response),
            }
        }
    }

    /// `mw_clientlogin_step`: continues a flow after `UI` or `REDIRECT`.
    pub fn clientlogin_step(&self, fields: &FormValues) -> Result<Value> {
        self.config().check_credentials_may_be_sent()?;
        let _exclusive = self.exclusive_gate()?;
        let (token, step_hidden) = {
            let state = self.state()?;
            let flow = &state.flow;
            match (&flow.token, flow.continuing) {
                (Some((generation, token)), true) if *generation == state.generation => {
                    (token.clone(), flow.step_hidden.clone())
                }
                _ => {
                    return Err(Error::state(
                        "no_flow",
                        "no clientlogin is in progress: call mw_clientlogin first",
                    ));
                }
            }
        };
        let mut params: Vec<(&str, &str)> = vec![
            ("action", "clientlogin"),
            ("logincontinue", "1"),
            ("loginmergerequestfields", "1"),
            ("logintoken", &token),
        ];
        for (name, value) in &step_hidden {
            if !fields.has(name) {
                params.push((name, value));
            }
        }
        for (name, value) in &fields.values {
            params.push((name, value));
        }
        let response = self.call_object(Method::Post, &params)?;
        self.flow_answer(response)
    }

    /// A flow needs an anonymous wiki session to log in from: a logged-in one is dropped first.
    /// An anonymous one is kept, with what the wiki stored in it (a captcha demanded after a bad
    /// attempt, a form's login token).
    fn start_flow_session(&self) -> Result<()> {
        self.forget_credentials()?;
        let logged_in = {
            let state = self.state()?;
            state.identity.logged_in != Some(false)
        };
        if logged_in {
            self.start_fresh_session()?;
        }
        Ok(())
    }

    /// A login token for this wiki session, kept for the flow.
    fn flow_token(&self) -> Result<Zeroizing<String>> {
        let token = self.fetch_token("login")?;
        let mut state = self.state()?;
        let generation = state.generation;
        state.flow.token = Some((generation, token.clone()));
        Ok(token)
    }

    /// One `GET meta=authmanagerinfo|tokens`: the form, and a login token kept for the flow.
    fn fetch_form(&self, format: MessageFormat) -> Result<Map<String, Value>> {
        let mut response = self.call_object(
            Method::Get,
            &[
                ("action", "query"),
                ("meta", "authmanagerinfo|tokens"),
                ("type", "login"),
                ("amirequestsfor", "login"),
                ("amimergerequestfields", "1"),
                ("amimessageformat", format.as_param()),
            ],
        )?;
        let query = response.get_mut("query").and_then(Value::as_object_mut);
        let token = query
            .as_ref()
            .and_then(|q| q.get("tokens"))
            .and_then(|t| t.get("logintoken"))
            .and_then(Value::as_str)
            .map(|t| Zeroizing::new(t.to_string()));
        let info = query
            .and_then(|q| q.remove("authmanagerinfo"))
            .and_then(|i| match i {
                Value::Object(info) => Some(info),
                _ => None,
            });
        let (Some(token), Some(info)) = (token, info) else {
            return Err(Error::new(
                ErrorKind::Http,
                "not_json",
                "the wiki's answer to meta=authmanagerinfo|tokens lacks the form or the login token",
            ));
        };
        let mut state = self.state()?;
        let generation = state.generation;
        state.flow.token = Some((generation, token));
        state.flow.form_hidden = hidden_fields(info.get("fields"));
        Ok(info)
    }

    /// Reads a clientlogin answer and moves the flow on.
    fn flow_answer(&self, response: Map<String, Value>) -> Result<Value> {
        let Some(Value::Object(mut answer)) = response.get("clientlogin").cloned() else {
            return Err(Error::new(
                ErrorKind::Http,
                "not_json",
                "the wiki's answer to action=clientlogin has no \"clientlogin\" object",
            ));
        };
        if let Some(warnings) = response.get("warnings") {
            answer.insert("warnings".into(), warnings.clone());
        }
        let status = match answer.get("status").and_then(Value::as_str) {
            Some("PASS") => Status::Pass(
                answer
                    .get("username")
                    .and_then(Value::as_str)
                    .map(str::to_string),
            ),
            Some("UI") | Some("REDIRECT") => Status::Continue,
            Some("RESTART") => Status::Restart,
            Some("FAIL") => Status::Fail,
            _ => {
                return Err(Error::new(
                    ErrorKind::Http,
                    "not_json",
                    "the wiki's clientlogin answer has no status that MediaWiki sends (PASS, FAIL, UI, REDIRECT, RESTART)",
                ));
            }
        };
        match status {
            Status::Pass(username) => {
                // The wiki reset the session id and every token secret.
                self.logged_in_as(username.as_deref(), None, AuthKind::ClientLogin, None)?;
                self.log(LogLevel::Info, || {
                    format!(
                        "logged in as {} (clientlogin)",
                        username.as_deref().unwrap_or("?")
                    )
                });
                Ok(Value::Object(answer))
            }
            Status::Continue => {
                let mut state = self.state()?;
                state.flow.continuing = true;
                state.flow.step_hidden = hidden_fields(answer.get("fields"));
                Ok(Value::Object(answer))
            }
            Status::Fail | Status::Restart => {
                {
                    let mut state = self.state()?;
                    state.flow.continuing = false;
                    state.flow.step_hidden.clear();
                }
                let code = answer
                    .get("messagecode")
                    .and_then(Value::as_str)
                    .unwrap_or("FAIL")
                    .to_string();
                let info = answer
                    .get("message")
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .unwrap_or_else(|| format!("The wiki refused the login ({code})."));
                self.log(LogLevel::Warning, || {
                    format!("the wiki refused the clientlogin ({code})")
                });
                if matches!(status, Status::Fail) {
                    // A captcha may be demanded only now: show the form as the wiki wants it.
                    if let Ok(form) = self.fetch_form(MessageFormat::default()) {
                        for key in ["requests", "fields"] {
                            if let Some(v) = form.get(key) {
                                answer.insert(key.into(), v.clone());
                            }
                        }
                    }
                }
                Err(Error::new(ErrorKind::Login, &code, info).with_output(answer))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn requests_take_fields_and_the_reserved_keys() {
        let r = ClientLoginRequest::from_json(&json!({
            "username": "Bob", "password": "pw", "rememberMe": true, "skip": false,
            "returnurl": "https://example.org/back", "preservestate": true
        }))
        .unwrap();
        assert_eq!(r.returnurl.as_deref(), Some("https://example.org/back"));
        assert!(r.preservestate);
        let mut names: Vec<&str> = r.fields.values.iter().map(|(k, _)| k.as_str()).collect();
        names.sort();
        assert_eq!(names, ["password", "rememberMe", "username"]);
        assert!(!format!("{r:?}").contains("pw\""));
    }

    #[test]
    fn bad_requests_name_the_problem() {
        for (value, code, named) in [
            (json!({"username": 5}), "wrong_type", "request.username"),
            (json!({"returnurl": 5}), "wrong_type", "returnurl"),
            (
                json!({"preservestate": "yes"}),
                "wrong_type",
                "preservestate",
            ),
            (json!({"logintoken": "x"}), "invalid_value", "logintoken"),
            (json!([]), "wrong_type", "request"),
        ] {
            let e = ClientLoginRequest::from_json(&value).unwrap_err();
            assert_eq!(e.code(), code, "{value}");
            assert!(e.info().contains(named), "{}", e.info());
        }
        let e = FormValues::from_json(&json!({"OATHToken": 123456})).unwrap_err();
        assert_eq!(e.code(), "wrong_type");
        assert!(e.info().contains("fields.OATHToken"));
    }

    #[test]
    fn options_choose_the_message_format() {
        assert_eq!(
            MessageFormat::from_options(None).unwrap(),
            MessageFormat::Wikitext
        );
        assert_eq!(
            MessageFormat::from_options(Some(&Value::Null)).unwrap(),
            MessageFormat::Wikitext
        );
        assert_eq!(
            MessageFormat::from_options(Some(&json!({"messageformat": "raw"}))).unwrap(),
            MessageFormat::Raw
        );
        for bad in [
            json!({"messageformat": "xml"}),
            json!({"format": "raw"}),
            json!(3),
        ] {
            assert_eq!(
                MessageFormat::from_options(Some(&bad)).unwrap_err().kind(),
                ErrorKind::Argument
            );
        }
    }

    #[test]
    fn hidden_fields_are_found() {
        let fields = json!({
            "captchaId": {"type": "hidden", "value": "123"},
            "captchaWord": {"type": "string"},
            "captchaInfo": {"type": "null", "value": "2+2"}
        });
        assert_eq!(
            hidden_fields(Some(&fields)),
            vec![("captchaId".to_string(), "123".to_string())]
        );
    }
}
