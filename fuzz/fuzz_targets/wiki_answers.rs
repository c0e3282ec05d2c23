//! The parsers of the wiki's answers that live inside `Session` methods (the token answer, the
//! action=login answer, the authmanagerinfo form and the clientlogin answers, userinfo), through
//! a real session on a fake wiki that answers each request with the input's next answer. The
//! input is a sequence of answers as `curl -i` prints them.
//!
//! The session, configured with a bot password, makes an edit (logging in first), reads its
//! userinfo, logs in, fetches the clientlogin form, logs in with it and takes a second step,
//! then logs out; each call gets whatever answers come next. Invariants: no panic; the
//! passwords and the two-factor code never show in an output, a log line, a URL or a request
//! header; tokens and cookie values never in a log line or a URL; a login that succeeds leaves
//! the session logged in as the user it names, and logout leaves it logged out.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mwauth::Logger;
use mwauth::{ApiRequest, ClientLoginRequest, Config, Credentials, FormValues, MessageFormat};
use mwauth::{Result, Session};
use mwauth_fuzz::{Answer, FakeWiki, Secrets, answers, url_parameters};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex, OnceLock};

// The session's own secrets (see Secrets: they start with its mark).
const BOT_PASSWORD: &str = "mwsecretbotx0123456789abcdefghij";
const HUMAN_PASSWORD: &str = "mwsecrethumanx correct horse";
const OATH_CODE: &str = "mwsecretoathx";

/// Marks the token values of the answers (`query.tokens.*`) and the values of the cookies they
/// set; a body that holds tokens is written anew by serde_json.
fn mark_tokens_and_cookies(answers: &mut [Answer], secrets: &mut Secrets) {
    for answer in answers {
        let mut body = match memchr::memmem::find(&answer.body, b"tokens") {
            Some(_) => serde_json::from_slice::<Value>(&answer.body).unwrap_or_default(),
            None => Value::Null,
        };
        if let Some(tokens) = body
            .pointer_mut("/query/tokens")
            .and_then(Value::as_object_mut)
        {
            for token in tokens.values_mut() {
                if let Value::String(token) = token {
                    secrets.mark(token);
                }
            }
            answer.body = body.to_string().into_bytes();
        }
        for header in &mut answer.set_cookies {
            if let Some(equals) = header.find('=') {
                secrets.mark_at(header, equals + 1);
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let mut answers = answers(data);
    let input = String::from_utf8_lossy(data);
    let mut passwords = Secrets::new(&input);
    let mut session_secrets = Secrets::new(&input);
    for secret in [BOT_PASSWORD, HUMAN_PASSWORD, OATH_CODE] {
        passwords.add_own(secret);
        session_secrets.add_own(secret);
    }
    mark_tokens_and_cookies(&mut answers, &mut session_secrets);

    let wiki = FakeWiki::get();
    wiki.serve(answers);
    let config = Config::from_json(&json!({
        "api_url": wiki.api_url,
        "bot_password": {"username": "MwBot@mwauth", "password": BOT_PASSWORD},
        "maxlag": 5,
        // Retry-After: 0 is retried at once, any other wait fails at once.
        "max_retries": 2,
        "max_retry_wait_ms": 0,
        "timeout_ms": 10_000,
    }))
    .unwrap();
    // A session that lives as long as the process keeps the HTTP agent the sessions share, and
    // its kept-alive connections, from one input to the next.
    static KEEPS_THE_AGENT: OnceLock<Session> = OnceLock::new();
    KEEPS_THE_AGENT.get_or_init(|| Session::new(config.clone()).unwrap());
    let session = Session::new(config).unwrap();
    let log = Arc::new(Mutex::new(Vec::<String>::new()));
    let lines = Arc::clone(&log);
    let logger: Logger = Arc::new(move |_, line| lines.lock().unwrap().push(line.to_string()));
    session.set_logger(Some(logger)).unwrap();

    let mut outputs: Vec<Result<Value>> = Vec::new();
    let logged_in = |session: &Session| session.info().unwrap()["logged_in"].clone();
    let edit =
        json!({"params": {"action": "edit", "title": "Sandbox", "text": "Hello"}, "token": "csrf"});
    outputs.push(session.request(&ApiRequest::from_json(&edit).unwrap()));
    let userinfo = json!({"params": {"action": "query", "meta": "userinfo"}});
    outputs.push(session.request(&ApiRequest::from_json(&userinfo).unwrap()));

    let login = session.login(&Credentials::new("MwBot@mwauth", BOT_PASSWORD));
    if let Ok(out) = &login {
        let info = session.info().unwrap();
        assert_eq!(info["logged_in"], json!(true), "after {out}");
        assert_eq!(info["username"], out["username"]);
    }
    outputs.push(login);

    outputs.push(session.clientlogin_fields(MessageFormat::Wikitext));
    let request = json!({"username": "MwHuman", "password": HUMAN_PASSWORD, "rememberMe": true});
    let clientlogin = session.clientlogin(&ClientLoginRequest::from_json(&request).unwrap());
    if clientlogin
        .as_ref()
        .is_ok_and(|out| out["status"] == "PASS")
    {
        assert_eq!(logged_in(&session), json!(true));
    }
    outputs.push(clientlogin);
    let step = FormValues::from_json(&json!({"OATHToken": OATH_CODE})).unwrap();
    outputs.push(session.clientlogin_step(&step));
    outputs.push(session.info());
    outputs.push(session.logout());
    assert_eq!(logged_in(&session), json!(false), "after logout");

    for output in outputs {
        let text = match output {
            Ok(value) => value.to_string(),
            Err(error) => {
                assert!(!error.code().is_empty(), "{error:?}");
                error.to_json().to_string()
            }
        };
        passwords.check("an output", &text);
    }
    for line in log.lock().unwrap().iter() {
        session_secrets.check("a log line", line);
    }
    for head in wiki.request_heads() {
        passwords.check("a request's head", &head);
        session_secrets.check("a request's URL", &url_parameters(&head));
    }
});
