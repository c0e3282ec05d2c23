//! `response::interpret`: what one HTTP answer of the wiki comes to (an API result, an API error
//! envelope in either errorformat, an HTML page, an overloaded proxy), with any status,
//! `Retry-After` and body. The input is an answer as `curl -i` prints it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mwauth::ErrorKind;
use mwauth::fuzzing::{HttpResponse, interpret, parse_retry_after};
use mwauth_fuzz::answers;
use serde_json::Value;
use serde_json::value::RawValue;
use std::collections::HashMap;

fuzz_target!(|data: &[u8]| {
    let answer = answers(data).swap_remove(0);
    let status = answer.status;
    let retry_after = answer.retry_after.as_deref().and_then(parse_retry_after);
    let response = HttpResponse {
        content_type: None,
        status,
        set_cookies: answer.set_cookies,
        retry_after: answer.retry_after,
        body: answer.body.clone(),
    };
    match interpret(response) {
        Ok(body) => {
            assert!(
                (200..300).contains(&status),
                "HTTP {status} taken as a result"
            );
            assert_eq!(body.text().as_bytes(), answer.body, "the wiki's own bytes");
            // No error envelope is taken for a result: no "error" member at all, no "errors"
            // array, even one whose contents serde_json cannot make a value of (a lone surrogate
            // escape, nesting deeper than 128).
            let top: HashMap<String, &RawValue> =
                serde_json::from_str(body.text()).expect("a result is a JSON object");
            let starts = |key: &str, c: char| top.get(key).is_some_and(|v| v.get().starts_with(c));
            assert!(
                !top.contains_key("error") && !starts("errors", '['),
                "an error taken for a result"
            );
        }
        Err(failure) => {
            let error = &failure.error;
            assert!(
                matches!(error.kind(), ErrorKind::Api | ErrorKind::Http),
                "{error:?}"
            );
            assert!(!error.code().is_empty() && !error.info().is_empty());
            if failure.retryable {
                assert!(matches!(status, 429 | 503) || error.code() == "maxlag");
                assert_eq!(failure.retry_after, retry_after);
            } else {
                assert!(failure.retry_after.is_none() || failure.retry_after == retry_after);
            }
            if error.kind() == ErrorKind::Http || status >= 400 {
                assert_eq!(error.object()["http_status"], Value::from(status));
            }
            let _ = error.to_json().to_string();
        }
    }
});
