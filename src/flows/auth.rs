//! MediaWiki's AuthManager, driven step by step, for each of its purposes: `clientlogin`,
//! `createaccount`, `linkaccount`, `changeauthenticationdata`, `removeauthenticationdata` and
//! `unlinkaccount`.
//!
//! The wiki describes what it wants (`meta=authmanagerinfo`: username, password, a captcha, ...);
//! the caller answers; the wiki says `PASS`, `FAIL`, `UI` (ask for more: a two-factor code),
//! `REDIRECT` (a third party) or `RESTART`, or, for change, remove and unlink, just success.
//! Everything lives in the wiki's session, so every step goes out with the same cookies and, for
//! login and create, the same token.

use crate::error::{Code, Error, ErrorKind, Result};
use crate::flows::Wiki;
use crate::json::{Fields, expect_object, type_name};
use crate::log::LogLevel;
use crate::params::Method;
use serde_json::{Map, Value};
use zeroize::Zeroizing;

/// What an AuthManager operation is for: MediaWiki's own `amirequestsfor` words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Purpose {
    #[default]
    Login,
    Create,
    Link,
    Change,
    Remove,
    Unlink,
}

impl Purpose {
    pub fn from_word(word: &str) -> Option<Self> {
        Some(match word {
            "login" => Purpose::Login,
            "create" => Purpose::Create,
            "link" => Purpose::Link,
            "change" => Purpose::Change,
            "remove" => Purpose::Remove,
            "unlink" => Purpose::Unlink,
            _ => return None,
        })
    }

    pub fn word(self) -> &'static str {
        match self {
            Purpose::Login => "login",
            Purpose::Create => "create",
            Purpose::Link => "link",
            Purpose::Change => "change",
            Purpose::Remove => "remove",
            Purpose::Unlink => "unlink",
        }
    }

    /// The API module, which is also the key of its answer.
    fn module(self) -> &'static str {
        match self {
            Purpose::Login => "clientlogin",
            Purpose::Create => "createaccount",
            Purpose::Link => "linkaccount",
            Purpose::Change => "changeauthenticationdata",
            Purpose::Remove => "removeauthenticationdata",
            Purpose::Unlink => "unlinkaccount",
        }
    }

    /// The module's parameter prefix (`ApiBase`'s), which every parameter of its own carries.
    fn prefix(self) -> &'static str {
        match self {
            Purpose::Login => "login",
            Purpose::Create => "create",
            Purpose::Link => "link",
            Purpose::Change => "changeauth",
            Purpose::Remove | Purpose::Unlink => "",
        }
    }

    /// `meta=tokens`'s type for the module's token.
    pub(crate) fn token_type(self) -> &'static str {
        match self {
            Purpose::Login => "login",
            Purpose::Create => "createaccount",
            _ => "csrf",
        }
    }

    /// Whether the module answers with AuthManager's statuses (and so may continue).
    pub(crate) fn has_steps(self) -> bool {
        matches!(self, Purpose::Login | Purpose::Create | Purpose::Link)
    }

    /// Whether the wiki refuses it to a session that is not logged in (`notloggedin`).
    pub(crate) fn needs_login(self) -> bool {
        matches!(
            self,
            Purpose::Link | Purpose::Change | Purpose::Remove | Purpose::Unlink
        )
    }

    /// Whether it names one AuthenticationRequest (`changeauthrequest`, `request`).
    fn takes_request_id(self) -> bool {
        matches!(self, Purpose::Change | Purpose::Remove | Purpose::Unlink)
    }

    fn takes_preservestate(self) -> bool {
        matches!(self, Purpose::Login | Purpose::Create)
    }

    fn param(self, name: &str) -> String {
        format!("{}{name}", self.prefix())
    }
}

/// How `meta=authmanagerinfo` writes labels and help texts.
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
        let format = Self::take(&mut fields)?;
        fields.finish()?;
        Ok(format)
    }

    fn take(fields: &mut Fields<'_>) -> Result<Self> {
        Ok(match fields.optional_str("messageformat")? {
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
        })
    }
}

/// `mw_auth_fields`'s options: `{"purpose": ..., "messageformat": ...}`, or NULL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FieldsOptions {
    pub purpose: Purpose,
    pub format: MessageFormat,
}

impl FieldsOptions {
    pub fn from_json(options: Option<&Value>) -> Result<Self> {
        let Some(value) = options.filter(|v| !v.is_null()) else {
            return Ok(FieldsOptions::default());
        };
        let mut fields = Fields::new(expect_object(value, "options")?, "options");
        let purpose = take_purpose(&mut fields)?;
        let format = MessageFormat::take(&mut fields)?;
        fields.finish()?;
        Ok(FieldsOptions { purpose, format })
    }
}

fn take_purpose(fields: &mut Fields<'_>) -> Result<Purpose> {
    match fields.optional_str("purpose")? {
        None => Ok(Purpose::Login),
        Some(word) => Purpose::from_word(word).ok_or_else(|| {
            fields.invalid(
                "purpose",
                "must be \"login\", \"create\", \"link\", \"change\", \"remove\" or \"unlink\"",
            )
        }),
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

/// Parameters the library sets itself: the API's own, and every AuthManager module's (each
/// module's prefix with `token`, `continue`, ...), so that no form field can clash with one.
fn is_reserved(name: &str) -> bool {
    const OWN: &[&str] = &[
        "action",
        "format",
        "formatversion",
        "errorformat",
        "maxlag",
        "assert",
        "assertuser",
        "token",
        "request",
    ];
    const MODULE_PARAMS: &[&str] = &[
        "token",
        "continue",
        "returnurl",
        "preservestate",
        "mergerequestfields",
        "messageformat",
        "requests",
        "request",
    ];
    OWN.contains(&name)
        || ["login", "create", "link", "changeauth"]
            .iter()
            .any(|prefix| {
                name.strip_prefix(prefix)
                    .is_some_and(|rest| MODULE_PARAMS.contains(&rest))
            })
}

impl FormValues {
    /// Reads field values from a JSON object; `skip` names keys that are not fields.
    fn from_object(object: &Map<String, Value>, what: &str, skip: &[&str]) -> Result<Self> {
        let mut values = Vec::new();
        for (name, value) in object {
            if skip.contains(&name.as_str()) {
                continue;
            }
            if is_reserved(name) {
                return Err(Error::of(
                    Code::InvalidValue,
                    format!("{what}.{name} is set by mwauth, not a form field"),
                ));
            }
            match value {
                // MediaWiki takes any present checkbox as checked: false is left out.
                Value::Bool(false) | Value::Null => {}
                Value::Bool(true) => values.push((name.clone(), Zeroizing::new("1".to_string()))),
                Value::String(s) => values.push((name.clone(), Zeroizing::new(s.clone()))),
                // A multiselect (ConfirmLink's confirmedLinkIDs): PHP's NAME[] for each value.
                Value::Array(items) if items.iter().all(Value::is_string) => {
                    for item in items {
                        let item = item.as_str().unwrap_or_default();
                        values.push((format!("{name}[]"), Zeroizing::new(item.to_string())));
                    }
                }
                other => {
                    return Err(Error::of(
                        Code::WrongType,
                        format!(
                            "{what}.{name} must be a string, a boolean or an array of strings, not {}",
                            type_name(other)
                        ),
                    ));
                }
            }
        }
        Ok(FormValues { values })
    }

    /// `mw_clientlogin_step`'s and `mw_auth_continue`'s fields: any name not reserved.
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
        self.values
            .iter()
            .any(|(k, _)| k == name || k.strip_suffix("[]") == Some(name))
    }
}

/// The first step of an operation: `mw_auth_begin`'s request, or `mw_clientlogin`'s.
#[derive(Debug, Clone, Default)]
pub struct AuthRequest {
    pub purpose: Purpose,
    pub fields: FormValues,
    pub returnurl: Option<String>,
    pub preservestate: bool,
    /// The AuthenticationRequest id for change, remove and unlink.
    pub request: Option<String>,
}

/// `mw_clientlogin`'s request: the login case of `AuthRequest`, its fields at the top level.
#[derive(Debug, Clone, Default)]
pub struct ClientLoginRequest(pub AuthRequest);

impl ClientLoginRequest {
    /// `{"username": ..., "password": ..., "returnurl"?, "preservestate"?}`.
    pub fn from_json(value: &Value) -> Result<Self> {
        AuthRequest::from_clientlogin_json(value).map(ClientLoginRequest)
    }
}

impl AuthRequest {
    /// `mw_clientlogin`'s request: the form's fields, plus `returnurl` and `preservestate`.
    pub fn from_clientlogin_json(value: &Value) -> Result<Self> {
        let object = expect_object(value, "request")?;
        let mut reserved = Fields::new(object, "request");
        let returnurl = reserved.optional_str("returnurl")?.map(str::to_string);
        let preservestate = reserved.bool("preservestate", false)?;
        Ok(AuthRequest {
            purpose: Purpose::Login,
            fields: FormValues::from_object(object, "request", &["returnurl", "preservestate"])?,
            returnurl,
            preservestate,
            request: None,
        })
    }

    /// `mw_auth_begin`'s request: `{"purpose", "fields": {...}, "returnurl", "preservestate",
    /// "request"}`, each key checked against what the purpose's module takes.
    pub fn from_json(value: &Value) -> Result<Self> {
        let mut fields = Fields::new(expect_object(value, "request")?, "request");
        let purpose = take_purpose(&mut fields)?;
        let form = match fields.take_non_null("fields") {
            None => FormValues::default(),
            Some(object) => {
                FormValues::from_object(expect_object(object, "request.fields")?, "fields", &[])?
            }
        };
        let returnurl = fields.optional_str("returnurl")?.map(str::to_string);
        let preservestate = fields.bool("preservestate", false)?;
        let request = fields.optional_str("request")?.map(str::to_string);
        let wrong = |key: &str, why: String| Err(fields.invalid(key, &why));
        if returnurl.is_some() && !purpose.has_steps() {
            return wrong("returnurl", format!("is not taken by {}", purpose.word()));
        }
        if preservestate && !purpose.takes_preservestate() {
            return wrong(
                "preservestate",
                format!("is only for login and create, not {}", purpose.word()),
            );
        }
        match (&request, purpose.takes_request_id()) {
            (None, true) => {
                return wrong(
                    "request",
                    format!(
                        "is required for {}: the id of an AuthenticationRequest (see mw_auth_fields)",
                        purpose.word()
                    ),
                );
            }
            (Some(id), true) if id.is_empty() => {
                return wrong("request", "is empty".to_string());
            }
            (Some(_), false) => {
                return wrong(
                    "request",
                    format!(
                        "is only for change, remove and unlink, not {}",
                        purpose.word()
                    ),
                );
            }
            _ => {}
        }
        fields.finish()?;
        Ok(AuthRequest {
            purpose,
            fields: form,
            returnurl,
            preservestate,
            request,
        })
    }
}

/// What the session keeps of a form it fetched, for the first step of the same purpose.
#[derive(Default, Clone)]
pub(crate) struct Form {
    pub(crate) purpose: Purpose,
    /// The purpose's token that came with the form.
    pub(crate) token: Option<Zeroizing<String>>,
    /// Hidden fields (a captcha id), echoed once.
    pub(crate) hidden: Vec<(String, String)>,
}

/// What the session keeps of a flow that may continue (after UI or REDIRECT).
#[derive(Default, Clone)]
pub(crate) struct Step {
    pub(crate) purpose: Purpose,
    pub(crate) token: Zeroizing<String>,
    pub(crate) hidden: Vec<(String, String)>,
}

/// What one step came to.
pub(crate) enum Outcome {
    /// PASS (`username`: the account logged in as, or created), or change/remove/unlink done.
    Done { username: Option<String> },
    /// UI or REDIRECT: the flow continues with `Step`.
    Continues(Step),
    /// FAIL (with the form as the wiki now wants it, when it could be fetched) or RESTART.
    Refused { error: Error, form: Option<Form> },
}

/// One step's answer and outcome.
pub(crate) struct Answer {
    pub(crate) purpose: Purpose,
    pub(crate) object: Map<String, Value>,
    pub(crate) outcome: Outcome,
}

impl Answer {
    /// The output `mw_auth_*` hands back: the module's object, or the error built from it.
    pub(crate) fn into_result(self) -> Result<Value> {
        match self.outcome {
            Outcome::Refused { error, .. } => Err(error),
            _ => Ok(Value::Object(self.object)),
        }
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

/// One `GET meta=authmanagerinfo|tokens`: the form for `purpose`, merged, and the purpose's
/// token. Out: MediaWiki's authmanagerinfo object plus `canpreservestate`.
pub(crate) fn fetch_form(
    wiki: &impl Wiki,
    purpose: Purpose,
    format: MessageFormat,
) -> Result<(Map<String, Value>, Form)> {
    let mut response = wiki.call_object(
        Method::Get,
        &[
            ("action", "query"),
            ("meta", "authmanagerinfo|tokens"),
            ("type", purpose.token_type()),
            ("amirequestsfor", purpose.word()),
            ("amimergerequestfields", "1"),
            ("amimessageformat", format.as_param()),
        ],
    )?;
    let key = format!("{}token", purpose.token_type());
    let query = response.get_mut("query").and_then(Value::as_object_mut);
    let token = query
        .as_ref()
        .and_then(|q| q.get("tokens"))
        .and_then(|t| t.get(&key))
        .and_then(Value::as_str)
        .map(|t| Zeroizing::new(t.to_string()));
    let info = query
        .and_then(|q| q.remove("authmanagerinfo"))
        .and_then(|i| match i {
            Value::Object(info) => Some(info),
            _ => None,
        });
    let (Some(token), Some(mut info)) = (token, info) else {
        return Err(Error::of(
            Code::NotJson,
            "the wiki's answer to meta=authmanagerinfo|tokens lacks the form or the token",
        ));
    };
    // What the purpose's preservestate would add: the state a FAIL or RESTART kept.
    let preserved = info
        .get("haspreservedstate")
        .is_some_and(|v| v != &Value::Bool(false) && !v.is_null());
    info.insert("canpreservestate".into(), Value::Bool(preserved));
    let form = Form {
        purpose,
        token: Some(token),
        hidden: hidden_fields(info.get("fields")),
    };
    Ok((info, form))
}

/// The first step of `request.purpose`, with the form's hidden fields and token when `form` is
/// of the same purpose (a token of a wiki session the session has since left is not passed).
pub(crate) fn begin(
    wiki: &impl Wiki,
    request: &AuthRequest,
    form: Option<Form>,
    api_url: &str,
) -> Result<Answer> {
    let purpose = request.purpose;
    let form = form.filter(|f| f.purpose == purpose).unwrap_or_default();
    let returnurl = request.returnurl.as_deref().unwrap_or(api_url);
    let mut params: Vec<(String, String)> = Vec::new();
    let mut set = |name: String, value: &str| params.push((name, value.to_string()));
    if purpose.has_steps() {
        set(purpose.param("returnurl"), returnurl);
        set(purpose.param("mergerequestfields"), "1");
    }
    if request.preservestate {
        set(purpose.param("preservestate"), "1");
    }
    if let Some(id) = &request.request {
        set(purpose.param("request"), id);
    }
    let fields = with_hidden(&request.fields, &form.hidden);
    post(wiki, purpose, &params, &fields, form.token)
}

/// The next step of a flow after UI or REDIRECT.
pub(crate) fn continue_step(wiki: &impl Wiki, step: Step, fields: &FormValues) -> Result<Answer> {
    let purpose = step.purpose;
    let params = vec![
        (purpose.param("continue"), "1".to_string()),
        (purpose.param("mergerequestfields"), "1".to_string()),
    ];
    let fields = with_hidden(fields, &step.hidden);
    post(wiki, purpose, &params, &fields, Some(step.token))
}

/// The caller's fields, and the hidden ones it did not set itself.
fn with_hidden(
    fields: &FormValues,
    hidden: &[(String, String)],
) -> Vec<(String, Zeroizing<String>)> {
    hidden
        .iter()
        .filter(|(name, _)| !fields.has(name))
        .map(|(name, value)| (name.clone(), Zeroizing::new(value.clone())))
        .chain(fields.values.iter().cloned())
        .collect()
}

/// The module's POST, with its token (once refreshed on `badtoken`), and its answer read.
fn post(
    wiki: &impl Wiki,
    purpose: Purpose,
    params: &[(String, String)],
    fields: &[(String, Zeroizing<String>)],
    token: Option<Zeroizing<String>>,
) -> Result<Answer> {
    let token_param = purpose.param("token");
    let mut token = token;
    let mut refetched = false;
    loop {
        let current = match token.take() {
            Some(t) => t,
            // A login or create token is good for the wiki session it came from; csrf is cached.
            None if purpose.has_steps() && purpose != Purpose::Link => {
                wiki.fresh_token(purpose.token_type())?
            }
            None => wiki.token(purpose.token_type())?,
        };
        let mut all: Vec<(&str, &str)> = vec![("action", purpose.module())];
        all.extend(params.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        all.extend(fields.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        all.push((&token_param, &current));
        match wiki.call_object(Method::Post, &all) {
            // The token died with its wiki session (expired while the form was shown).
            Err(e) if e.code() == "badtoken" && !refetched => {
                refetched = true;
                if purpose.token_type() == "csrf" {
                    wiki.forget_token("csrf")?;
                }
            }
            Err(e) => return Err(e),
            Ok(response) => return read_answer(wiki, purpose, response, current),
        }
    }
}

/// Reads a module's answer into what the flow turned into.
fn read_answer(
    wiki: &impl Wiki,
    purpose: Purpose,
    response: Map<String, Value>,
    token: Zeroizing<String>,
) -> Result<Answer> {
    let module = purpose.module();
    let Some(Value::Object(mut object)) = response.get(module).cloned() else {
        return Err(Error::of(
            Code::NotJson,
            format!("the wiki's answer to action={module} has no \"{module}\" object"),
        ));
    };
    if let Some(warnings) = response.get("warnings") {
        object.insert("warnings".into(), warnings.clone());
    }
    let status = object.get("status").and_then(Value::as_str).unwrap_or("");
    let outcome = match (status, purpose.has_steps()) {
        ("success", false) => Outcome::Done { username: None },
        ("PASS", true) => Outcome::Done {
            username: object
                .get("username")
                .and_then(Value::as_str)
                .map(str::to_string),
        },
        ("UI" | "REDIRECT", true) => Outcome::Continues(Step {
            purpose,
            token,
            hidden: hidden_fields(object.get("fields")),
        }),
        ("FAIL" | "RESTART", true) => {
            let code = object
                .get("messagecode")
                .and_then(Value::as_str)
                .unwrap_or(status)
                .to_string();
            let info = object
                .get("message")
                .and_then(Value::as_str)
                .map(str::to_string)
                .unwrap_or_else(|| format!("The wiki refused it ({code})."));
            wiki.log(LogLevel::Warning, &|| {
                format!("the wiki refused the {module} ({code})")
            });
            let mut form = None;
            if status == "FAIL" {
                // A captcha may be demanded only now: show the form as the wiki wants it.
                if let Ok((info, fresh)) = fetch_form(wiki, purpose, MessageFormat::default()) {
                    for key in ["requests", "fields"] {
                        if let Some(v) = info.get(key) {
                            object.insert(key.into(), v.clone());
                        }
                    }
                    form = Some(fresh);
                }
            }
            let error = Error::new(ErrorKind::Login, &code, info).with_output(object.clone());
            Outcome::Refused { error, form }
        }
        _ => {
            return Err(Error::of(
                Code::NotJson,
                format!(
                    "the wiki's {module} answer has no status that MediaWiki sends for it (\"{status}\")"
                ),
            ));
        }
    };
    Ok(Answer {
        purpose,
        object,
        outcome,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flows::scripted::{ScriptedWiki, tokens};
    use serde_json::json;

    #[test]
    fn clientlogin_requests_take_fields_and_the_reserved_keys() {
        let r = AuthRequest::from_clientlogin_json(&json!({
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
            (
                json!({"createcontinue": "1"}),
                "invalid_value",
                "createcontinue",
            ),
            (json!([]), "wrong_type", "request"),
        ] {
            let e = AuthRequest::from_clientlogin_json(&value).unwrap_err();
            assert_eq!(e.code(), code, "{value}");
            assert!(e.info().contains(named), "{}", e.info());
        }
        let e = FormValues::from_json(&json!({"OATHToken": 123456})).unwrap_err();
        assert_eq!(e.code(), "wrong_type");
        assert!(e.info().contains("fields.OATHToken"));
    }

    #[test]
    fn begin_requests_fit_their_purpose() {
        let ok = |v: Value| AuthRequest::from_json(&v).unwrap();
        assert_eq!(ok(json!({})).purpose, Purpose::Login);
        let r = ok(json!({"purpose": "change", "request": "X", "fields": {"password": "p"}}));
        assert_eq!(
            (r.purpose, r.request.as_deref()),
            (Purpose::Change, Some("X"))
        );
        assert!(ok(json!({"purpose": "create", "preservestate": true})).preservestate);
        for (value, code) in [
            (json!({"purpose": "delete"}), "invalid_value"),
            (json!({"purpose": "change"}), "invalid_value"),
            (json!({"purpose": "unlink", "request": ""}), "invalid_value"),
            (json!({"purpose": "login", "request": "X"}), "invalid_value"),
            (
                json!({"purpose": "link", "preservestate": true}),
                "invalid_value",
            ),
            (
                json!({"purpose": "remove", "request": "X", "returnurl": "https://x/"}),
                "invalid_value",
            ),
            (
                json!({"purpose": "create", "fields": {"createtoken": "x"}}),
                "invalid_value",
            ),
            (json!({"purpose": "create", "fields": []}), "wrong_type"),
            (json!({"purpose": "create", "username": "x"}), "unknown_key"),
            (json!({"purpose": 3}), "wrong_type"),
        ] {
            assert_eq!(
                AuthRequest::from_json(&value).unwrap_err().code(),
                code,
                "{value}"
            );
        }
    }

    #[test]
    fn options_choose_the_purpose_and_message_format() {
        assert_eq!(
            FieldsOptions::from_json(None).unwrap(),
            FieldsOptions::default()
        );
        let o =
            FieldsOptions::from_json(Some(&json!({"purpose": "create", "messageformat": "raw"})))
                .unwrap();
        assert_eq!((o.purpose, o.format), (Purpose::Create, MessageFormat::Raw));
        for bad in [json!({"purpose": "x"}), json!({"format": "raw"}), json!(3)] {
            assert_eq!(
                FieldsOptions::from_json(Some(&bad)).unwrap_err().kind(),
                ErrorKind::Argument
            );
        }
        assert_eq!(
            MessageFormat::from_options(Some(&json!({"messageformat": "raw"}))).unwrap(),
            MessageFormat::Raw
        );
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

    fn form_answer(kind: &str, preserved: bool) -> Value {
        json!({"query": {
            "tokens": {format!("{kind}token"): format!("{kind}-form+\\")},
            "authmanagerinfo": {"haspreservedstate": preserved, "requests": [],
                "fields": {"captchaId": {"type": "hidden", "value": "7"}, "username": {"type": "string"}}}
        }})
    }

    #[test]
    fn each_purpose_spells_its_module_s_parameters() {
        // create: createtoken from the form, createreturnurl, createpreservestate, the captcha id
        let wiki = ScriptedWiki::new(vec![
            form_answer("createaccount", true),
            json!({"createaccount": {"status": "PASS", "username": "New"}}),
        ]);
        let (info, form) = fetch_form(&wiki, Purpose::Create, MessageFormat::Wikitext).unwrap();
        assert_eq!(info["canpreservestate"], true);
        assert_eq!(wiki.param(0, "type").as_deref(), Some("createaccount"));
        assert_eq!(wiki.param(0, "amirequestsfor").as_deref(), Some("create"));
        let request = AuthRequest::from_json(&json!({
            "purpose": "create", "preservestate": true, "fields": {"username": "New"}
        }))
        .unwrap();
        let answer = begin(&wiki, &request, Some(form), "http://w/api.php").unwrap();
        assert!(matches!(answer.outcome, Outcome::Done { username: Some(ref u) } if u == "New"));
        for (name, value) in [
            ("action", "createaccount"),
            ("createtoken", "createaccount-form+\\"),
            ("createreturnurl", "http://w/api.php"),
            ("createpreservestate", "1"),
            ("createmergerequestfields", "1"),
            ("captchaId", "7"),
            ("username", "New"),
        ] {
            assert_eq!(wiki.param(1, name).as_deref(), Some(value), "{name}");
        }

        // change: changeauthrequest and changeauthtoken (csrf), no returnurl
        let wiki = ScriptedWiki::new(vec![
            json!({"changeauthenticationdata": {"status": "success"}}),
        ]);
        let request = AuthRequest::from_json(&json!({
            "purpose": "change", "request": "MediaWiki\\Auth\\PasswordAuthenticationRequest",
            "fields": {"password": "n", "retype": "n"}
        }))
        .unwrap();
        let answer = begin(&wiki, &request, None, "http://w/api.php").unwrap();
        assert!(matches!(answer.outcome, Outcome::Done { .. }));
        assert_eq!(
            wiki.param(0, "changeauthrequest").as_deref(),
            Some("MediaWiki\\Auth\\PasswordAuthenticationRequest")
        );
        assert_eq!(
            wiki.param(0, "changeauthtoken").as_deref(),
            Some("csrf-cached+\\")
        );
        assert_eq!(wiki.param(0, "changeauthreturnurl"), None);

        // remove and unlink: plain request and token
        for (word, module) in [
            ("remove", "removeauthenticationdata"),
            ("unlink", "unlinkaccount"),
        ] {
            let wiki = ScriptedWiki::new(vec![json!({module: {"status": "success"}})]);
            let request =
                AuthRequest::from_json(&json!({"purpose": word, "request": "R"})).unwrap();
            begin(&wiki, &request, None, "http://w/api.php").unwrap();
            assert_eq!(wiki.param(0, "action").as_deref(), Some(module));
            assert_eq!(wiki.param(0, "request").as_deref(), Some("R"));
            assert_eq!(wiki.param(0, "token").as_deref(), Some("csrf-cached+\\"));
        }

        // link: REDIRECT, then linkcontinue with the same csrf token
        let wiki = ScriptedWiki::new(vec![
            json!({"linkaccount": {"status": "REDIRECT", "redirecttarget": "https://idp/"}}),
            json!({"linkaccount": {"status": "PASS"}}),
        ]);
        let request =
            AuthRequest::from_json(&json!({"purpose": "link", "fields": {"x": "1"}})).unwrap();
        let Outcome::Continues(step) = begin(&wiki, &request, None, "http://w/api.php")
            .unwrap()
            .outcome
        else {
            panic!("REDIRECT continues");
        };
        continue_step(&wiki, step, &FormValues::new(&[("code", "c")])).unwrap();
        assert_eq!(
            wiki.param(0, "linkreturnurl").as_deref(),
            Some("http://w/api.php")
        );
        assert_eq!(wiki.param(1, "linkcontinue").as_deref(), Some("1"));
        assert_eq!(
            wiki.param(1, "linktoken").as_deref(),
            Some("csrf-cached+\\")
        );
        assert_eq!(wiki.param(1, "code").as_deref(), Some("c"));
    }

    #[test]
    fn a_fail_brings_the_form_again_and_a_restart_does_not() {
        let wiki = ScriptedWiki::new(vec![
            tokens("login"),
            json!({"clientlogin": {"status": "FAIL", "message": "Wrong.", "messagecode": "wrongpassword"}}),
            form_answer("login", false),
        ]);
        let request =
            AuthRequest::from_clientlogin_json(&json!({"username": "U", "password": "p"})).unwrap();
        let answer = begin(&wiki, &request, None, "http://w/api.php").unwrap();
        let Outcome::Refused { error, form } = answer.outcome else {
            panic!("FAIL refuses");
        };
        assert_eq!(
            (error.code(), error.kind()),
            ("wrongpassword", ErrorKind::Login)
        );
        assert!(error.to_json().get("fields").is_some());
        assert_eq!(
            form.unwrap().hidden,
            vec![("captchaId".to_string(), "7".to_string())]
        );

        let wiki = ScriptedWiki::new(vec![
            tokens("login"),
            json!({"clientlogin": {"status": "RESTART", "message": "No account.", "messagecode": "authmanager-authn-no-local-user-link"}}),
        ]);
        let answer = begin(&wiki, &request, None, "http://w/api.php").unwrap();
        assert!(matches!(
            answer.outcome,
            Outcome::Refused { form: None, .. }
        ));
        assert_eq!(wiki.calls.borrow().len(), 2);
    }

    #[test]
    fn answers_without_a_known_status_are_not_taken() {
        let wiki = ScriptedWiki::new(vec![json!({"unlinkaccount": {"status": "PASS"}})]);
        let request =
            AuthRequest::from_json(&json!({"purpose": "unlink", "request": "R"})).unwrap();
        assert_eq!(
            begin(&wiki, &request, None, "u").err().unwrap().code(),
            "not_json"
        );
    }
}
