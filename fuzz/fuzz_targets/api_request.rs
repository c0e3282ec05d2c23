//! `ApiRequest::from_json`: `mw_request`'s request object. A secret parameter's value never
//! shows in an error; an accepted request follows the rules (secrets and tokens only in a POST,
//! format and the token parameter left to mwauth), its parameters survive form encoding, and a
//! list comes to MediaWiki as the same items.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mwauth::params::{Method, form_encode, is_sensitive};
use mwauth::{ApiRequest, ErrorKind};
use mwauth_fuzz::{json, mark_request_secrets};
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Some(mut value) = json(data) else { return };
    let secrets = mark_request_secrets(&mut value);
    let params = value.get("params").and_then(Value::as_object);
    let request = match ApiRequest::from_json(&value) {
        Ok(request) => request,
        Err(error) => {
            assert_eq!(error.kind(), ErrorKind::Argument, "{error:?}");
            return secrets.check("the error", &error.to_json().to_string());
        }
    };
    let sent = |name: &str| request.params.iter().any(|(k, _)| k == name);
    if request.method == Method::Get {
        assert!(request.token.is_none());
        assert!(!request.params.iter().any(|(k, _)| is_sensitive(k)));
    }
    if request.token.is_some() {
        assert!(!sent(&request.token_param));
    }
    assert!(!sent("format") && !sent("formatversion"));

    let pairs = request.params.iter().map(|(k, v)| (k.as_str(), v.as_str()));
    let decoded: Vec<(String, String)> = form_urlencoded::parse(form_encode(pairs).as_bytes())
        .into_owned()
        .collect();
    assert_eq!(decoded, request.params);

    let params = params.expect("an accepted request has params");
    for (name, sent_value) in &request.params {
        let Some(Value::Array(items)) = params.get(name) else {
            continue;
        };
        if items.is_empty() {
            continue;
        }
        // MediaWiki's reading: a leading U+001F separates with U+001F, else '|' separates.
        let read: Vec<&str> = match sent_value.strip_prefix('\u{1f}') {
            Some(rest) => rest.split('\u{1f}').collect(),
            None => sent_value.split('|').collect(),
        };
        let given: Vec<String> = items
            .iter()
            .map(|item| match item {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect();
        assert_eq!(read, given, "params.{name}");
    }
});
