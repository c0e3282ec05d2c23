//! What a session knows of itself beyond its cookies: who it is, how to log in again, and the
//! AuthManager flow in progress. This module is the only writer of that state: each change is a
//! method named for what happened, and one that may only happen under the session's exclusive
//! gate (a login, a logout) takes its guard as a witness.

use crate::credentials::Credentials;
use crate::flows::auth::{Form, Purpose, Step};
use crate::gate::{Exclusive, Shared};
use crate::response::ApiBody;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// How long re-logins pause after the wiki dropped a session right after one.
pub(crate) const RELOGIN_PAUSE: Duration = Duration::from_secs(300);

/// How the session is authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthKind {
    BotPassword,
    ClientLogin,
    OAuth1,
    OAuth2,
    /// Resumed from a cookie file: whoever the cookies belong to.
    Cookies,
}

impl AuthKind {
    fn as_str(self) -> &'static str {
        match self {
            AuthKind::BotPassword => "botpassword",
            AuthKind::ClientLogin => "clientlogin",
            AuthKind::OAuth1 => "oauth1",
            AuthKind::OAuth2 => "oauth2",
            AuthKind::Cookies => "cookies",
        }
    }
}

/// What the session knows about who it is.
#[derive(Debug, Clone, Default)]
struct Identity {
    /// `None` when only the wiki could tell.
    logged_in: Option<bool>,
    username: Option<String>,
    userid: Option<u64>,
    auth: Option<AuthKind>,
    /// Whether the caller's requests carry `assert`: from a login until logout, so that a session
    /// the wiki dropped fails loudly instead of carrying on anonymously.
    asserting: bool,
    /// The wiki said the session's user is a temporary account (MediaWiki 1.42+): an answer with
    /// `tempusercreated`, or a `meta=userinfo` with `temp`. Such a user is never taken as the
    /// session's identity.
    temp: bool,
}

/// What an answer to a caller's request says about whose session it went out in.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum IdentityHint {
    /// `meta=userinfo` of a registered, permanent user.
    User(String),
    /// A temporary account: `meta=userinfo` with `temp`, or an edit that created one.
    Temporary,
    /// `meta=userinfo` of nobody.
    Anonymous,
}

impl IdentityHint {
    /// Looks for `query.userinfo` and `tempusercreated` only in answers that can hold them, so
    /// an ordinary answer is never parsed twice.
    pub(crate) fn of(body: &ApiBody) -> Option<IdentityHint> {
        let text = body.text();
        if !text.contains("\"userinfo\"") && !text.contains("\"tempusercreated\"") {
            return None;
        }
        let answer = body.parse().ok()?;
        let created_temp = answer
            .values()
            .any(|module| module.get("tempusercreated").is_some_and(is_true));
        if created_temp {
            return Some(IdentityHint::Temporary);
        }
        Self::of_userinfo(answer.get("query")?.get("userinfo")?)
    }

    pub(crate) fn of_userinfo(userinfo: &Value) -> Option<IdentityHint> {
        if userinfo.get("anon").is_some_and(is_true) {
            return Some(IdentityHint::Anonymous);
        }
        if userinfo.get("temp").is_some_and(is_true) {
            return Some(IdentityHint::Temporary);
        }
        Some(IdentityHint::User(
            userinfo.get("name")?.as_str()?.to_string(),
        ))
    }
}

/// MediaWiki's flags: `true` in formatversion 2, `""` in the older format.
fn is_true(value: &Value) -> bool {
    value != &Value::Bool(false) && !value.is_null()
}

/// The AuthManager side of the session, each part with the wiki session (generation) it
/// belongs to.
#[derive(Default)]
struct Flow {
    /// The last form fetched: its token and hidden fields go with the next first step of its
    /// purpose. Fetching one does not end a flow in progress.
    form: Option<(u64, Form)>,
    /// The flow in progress, after UI or REDIRECT.
    step: Option<(u64, Step)>,
}

/// How a new session starts.
pub(crate) enum Start {
    Anonymous,
    /// With `bot_password`, to log in before the first request.
    BotPassword(Credentials),
    /// Resumed from a cookie file that holds a wiki session (with `bot_password`, if set, for
    /// when it turns out to be gone).
    Resumed(Option<Credentials>),
    OAuth(AuthKind),
}

pub(crate) struct State {
    identity: Identity,
    /// What re-logins use: the credentials of the last successful `login`, or `bot_password`.
    credentials: Option<Credentials>,
    /// `bot_password` is to log in before the next request: set for a new session that is not
    /// resumed from a cookie file, cleared by any login or logout. A re-login, by contrast,
    /// happens only when the wiki says the session is gone, and only with `relogin`.
    login_pending: bool,
    /// Set when the wiki dropped a session right after a re-login: no more until then.
    relogins_paused_until: Option<Instant>,
    /// The generation the last successful login created.
    logged_in_generation: Option<u64>,
    flow: Flow,
    /// Whether a logged-in session's requests carry `assert` (config `assert` is not "none").
    assert_when_logged_in: bool,
}

impl State {
    pub(crate) fn new(start: Start, asserting: bool) -> Self {
        let mut identity = Identity {
            logged_in: Some(false),
            ..Identity::default()
        };
        let mut credentials = None;
        let mut login_pending = false;
        match start {
            Start::Anonymous => {}
            Start::BotPassword(bot) => {
                // Meant to be logged in from the first request: never read or edit anonymously.
                identity.asserting = asserting;
                credentials = Some(bot);
                login_pending = true;
            }
            Start::Resumed(bot) => {
                // Only the wiki can tell whether the saved session is still alive.
                identity.logged_in = None;
                identity.auth = Some(AuthKind::Cookies);
                identity.asserting = asserting;
                credentials = bot;
            }
            Start::OAuth(kind) => {
                identity.logged_in = None;
                identity.auth = Some(kind);
                identity.asserting = asserting;
            }
        }
        State {
            identity,
            credentials,
            login_pending,
            relogins_paused_until: None,
            logged_in_generation: None,
            flow: Flow::default(),
            assert_when_logged_in: asserting,
        }
    }

    // --- reading -------------------------------------------------------------------------------

    /// The user this session's requests must be made as, once it knows: the name a login
    /// answered, or the part of `bot_password`'s (or the last login's) username before the `@`.
    /// Sent as `assertuser`, so a session whose cookies became another account's (a temporary
    /// one, on MediaWiki 1.42+, passes `assert=user`) fails instead of acting as that account.
    pub(crate) fn expected_user(&self) -> Option<&str> {
        self.identity.username.as_deref().or_else(|| {
            let username = self.credentials.as_ref()?.username();
            Some(username.split_once('@').map_or(username, |(user, _)| user))
        })
    }

    pub(crate) fn asserting(&self) -> bool {
        self.identity.asserting
    }

    /// `Some(false)` when the session knows it is nobody's.
    pub(crate) fn logged_in(&self) -> Option<bool> {
        self.identity.logged_in
    }

    /// The `bot_password` login to make before the next request, if one is pending.
    pub(crate) fn pending_login(&self) -> Option<&Credentials> {
        self.credentials.as_ref().filter(|_| self.login_pending)
    }

    pub(crate) fn credentials(&self) -> Option<&Credentials> {
        self.credentials.as_ref()
    }

    /// Whether a re-login may happen now: credentials are known and re-logins are not paused.
    pub(crate) fn relogins_allowed(&self, now: Instant) -> bool {
        self.credentials.is_some() && self.relogins_paused_until.is_none_or(|until| now >= until)
    }

    pub(crate) fn logged_in_generation(&self) -> Option<u64> {
        self.logged_in_generation
    }

    /// The form fetched for `purpose` in the wiki session of `generation`, taken: its hidden
    /// fields (a captcha id) are good for one attempt.
    pub(crate) fn take_form(
        &mut self,
        _exclusive: &Exclusive<'_>,
        purpose: Purpose,
        generation: u64,
    ) -> Option<Form> {
        match self.flow.form.take() {
            Some((g, form)) if g == generation && form.purpose == purpose => Some(form),
            _ => None,
        }
    }

    /// The step a flow in progress continues with, if its wiki session is still the one.
    pub(crate) fn step(&self, generation: u64) -> Option<&Step> {
        match &self.flow.step {
            Some((g, step)) if *g == generation => Some(step),
            _ => None,
        }
    }

    pub(crate) fn info(&self, api_url: &str) -> Value {
        let identity = &self.identity;
        json!({
            "api_url": api_url,
            "logged_in": identity.logged_in,
            "username": identity.username,
            "userid": identity.userid,
            "auth": identity.auth.map(AuthKind::as_str),
            "temp": identity.temp,
        })
    }

    // --- what happened -------------------------------------------------------------------------

    /// A fresh wiki session was started (no cookies): nobody is logged in, no flow runs. The
    /// session keeps asserting if it did: other threads' requests must fail, not go out
    /// anonymously.
    pub(crate) fn fresh_session(&mut self, _exclusive: &Exclusive<'_>) {
        self.flow = Flow::default();
        self.identity = Identity {
            logged_in: Some(false),
            asserting: self.identity.asserting,
            ..Identity::default()
        };
    }

    /// A login succeeded and made wiki session `generation`. `credentials` are what re-logins
    /// use (none for a clientlogin: such a session is never silently logged in again, perhaps
    /// as another account).
    pub(crate) fn logged_in_as(
        &mut self,
        _exclusive: &Exclusive<'_>,
        generation: u64,
        username: Option<&str>,
        userid: Option<u64>,
        auth: AuthKind,
        credentials: Option<&Credentials>,
    ) {
        self.flow = Flow::default();
        self.logged_in_generation = Some(generation);
        self.identity = Identity {
            logged_in: Some(true),
            username: username.map(str::to_string),
            userid,
            auth: Some(auth),
            asserting: self.assert_when_logged_in,
            temp: false,
        };
        self.credentials = credentials.cloned();
        self.login_pending = false;
    }

    /// A caller's own login starts: it ends a pause of re-logins and any pending `bot_password`
    /// login.
    pub(crate) fn explicit_login_started(&mut self, _exclusive: &Exclusive<'_>) {
        self.relogins_paused_until = None;
        self.login_pending = false;
    }

    /// An AuthManager login starts: the stored credentials must not log the session in again (as
    /// the bot) while the flow waits for a step, nor after it.
    pub(crate) fn flow_login_started(&mut self, _exclusive: &Exclusive<'_>) {
        self.credentials = None;
        self.login_pending = false;
    }

    /// An explicit login failed: the session is anonymous, with no credentials.
    pub(crate) fn login_failed(&mut self, exclusive: &Exclusive<'_>) {
        self.fresh_session(exclusive);
        self.credentials = None;
        self.login_pending = false;
    }

    /// The wiki refused the stored credentials on a re-login: no more re-logins with them.
    pub(crate) fn credentials_refused(&mut self, _exclusive: &Exclusive<'_>) {
        self.credentials = None;
        self.login_pending = false;
    }

    /// Logged out: anonymous, not asserting, no credentials.
    pub(crate) fn logged_out(&mut self, exclusive: &Exclusive<'_>) {
        self.fresh_session(exclusive);
        self.identity.asserting = false;
        self.credentials = None;
        self.login_pending = false;
    }

    /// The wiki dropped the session again right after a re-login.
    pub(crate) fn pause_relogins(&mut self, now: Instant) {
        self.relogins_paused_until = Some(now + RELOGIN_PAUSE);
    }

    /// A form was fetched in wiki session `generation`.
    pub(crate) fn form_fetched(&mut self, _exclusive: &Exclusive<'_>, generation: u64, form: Form) {
        self.flow.form = Some((generation, form));
    }

    /// A step answered UI or REDIRECT: the flow continues with `step`.
    pub(crate) fn flow_continues(
        &mut self,
        _exclusive: &Exclusive<'_>,
        generation: u64,
        step: Step,
    ) {
        self.flow = Flow {
            form: None,
            step: Some((generation, step)),
        };
    }

    /// A step ended the flow (PASS, a refusal, an error), leaving `form` for the next attempt
    /// when the wiki sent one.
    pub(crate) fn flow_ended(
        &mut self,
        _exclusive: &Exclusive<'_>,
        generation: u64,
        form: Option<Form>,
    ) {
        self.flow = Flow {
            form: form.map(|form| (generation, form)),
            step: None,
        };
    }

    /// What a successful answer to a request says of the session (under the shared gate, so no
    /// login changed the session since the request went out): an asserted request proves the
    /// login; a `meta=userinfo` names the user of a session resumed from its cookies; a
    /// temporary account is recorded as such and never as the session's user.
    pub(crate) fn answered(
        &mut self,
        _shared: &Shared<'_>,
        asserted: bool,
        hint: Option<IdentityHint>,
    ) {
        match hint {
            Some(IdentityHint::Temporary) => self.identity.temp = true,
            Some(IdentityHint::User(name))
                if asserted
                    && self.identity.username.is_none()
                    && self.expected_user().is_none_or(|expected| expected == name) =>
            {
                self.identity.username = Some(name);
            }
            _ => {}
        }
        if asserted && !self.identity.temp {
            self.identity.logged_in = Some(true);
        }
    }

    /// The wiki says the session is no longer logged in (and no re-login brought it back).
    pub(crate) fn found_logged_out(&mut self, _shared: &Shared<'_>) {
        self.identity.logged_in = Some(false);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hint(text: &str) -> Option<IdentityHint> {
        IdentityHint::of(&ApiBody::for_tests(text))
    }

    #[test]
    fn userinfo_of_a_user_names_it() {
        let text = r#"{"batchcomplete":true,"query":{"userinfo":{"id":3,"name":"MwBot"}}}"#;
        assert_eq!(hint(text), Some(IdentityHint::User("MwBot".into())));
        // formatversion 1 spells flags as empty strings
        let text = r#"{"query":{"userinfo":{"id":0,"name":"127.0.0.1","anon":""}}}"#;
        assert_eq!(hint(text), Some(IdentityHint::Anonymous));
    }

    #[test]
    fn a_temporary_account_is_never_a_name() {
        let text = r#"{"query":{"userinfo":{"id":13,"name":"~2026-1","temp":true}}}"#;
        assert_eq!(hint(text), Some(IdentityHint::Temporary));
        let text = r#"{"edit":{"result":"Success","title":"A","tempusercreated":true}}"#;
        assert_eq!(hint(text), Some(IdentityHint::Temporary));
        let text = r#"{"query":{"userinfo":{"id":3,"name":"MwBot","temp":false}}}"#;
        assert_eq!(hint(text), Some(IdentityHint::User("MwBot".into())));
    }

    #[test]
    fn answers_without_userinfo_say_nothing() {
        assert_eq!(hint(r#"{"query":{"general":{"sitename":"W"}}}"#), None);
        // The word in a page's text is no userinfo.
        assert_eq!(
            hint(r#"{"parse":{"text":"\"userinfo\" and \"tempusercreated\""}}"#),
            None
        );
        assert_eq!(hint(r#"{"query":{"userinfo":"odd"}}"#), None);
    }

    #[test]
    fn the_expected_user_is_the_bot_password_s_user() {
        let state = State::new(
            Start::BotPassword(Credentials::new("MwBot@mwauth", "p")),
            true,
        );
        assert_eq!(state.expected_user(), Some("MwBot"));
        assert!(state.pending_login().is_some());
        assert_eq!(State::new(Start::Anonymous, true).expected_user(), None);
    }
}
