//! Reading what the wiki answered: an API result, an API error, or an HTTP answer that is not an
//! API response at all (an HTML error page, a proxy's 503, a truncated or foreign body).

use crate::error::{Code, Error, ErrorKind};
use crate::http::HttpResponse;
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::collections::HashMap;

/// A failed exchange, with what the retry policy needs to know about it.
#[derive(Debug)]
pub struct Failure {
    pub error: Error,
    /// `maxlag`, HTTP 429 and 503: the wiki asks to come back later.
    pub retryable: bool,
    /// `Retry-After` in seconds, when the wiki sent a usable one.
    pub retry_after: Option<u64>,
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Failure {
            error,
            retryable: false,
            retry_after: None,
        }
    }
}

/// An API response that is a JSON object without an error: its text as the wiki sent it.
///
/// Only its top-level keys are looked at to find an error; the whole object is built only by
/// the callers that need its contents, so a caller's answer reaches C as the wiki's own bytes.
#[derive(Debug)]
pub struct ApiBody {
    text: String,
}

impl ApiBody {
    /// The response as the wiki sent it (checked to be a UTF-8 JSON object).
    pub fn into_text(self) -> String {
        self.text
    }

    #[cfg(test)]
    pub fn for_tests(text: &str) -> Self {
        ApiBody {
            text: text.to_string(),
        }
    }

    /// The response as the wiki sent it, borrowed.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The response as a JSON object.
    pub fn parse(&self) -> Result<Map<String, Value>, Error> {
        serde_json::from_str(&self.text).map_err(|_| not_json(200, self.text.len()))
    }
}

fn not_json(status: u16, len: usize) -> Error {
    Error::of(
        Code::NotJson,
        format!(
            "the wiki's answer (HTTP {status}, {len} bytes) is not a JSON object: is api_url the wiki's api.php?"
        ),
    )
    .with("http_status", status)
}

/// An API response, or why there is none.
pub fn interpret(response: HttpResponse) -> Result<ApiBody, Failure> {
    let retry_after = response.retry_after.as_deref().and_then(parse_retry_after);
    let status = response.status;
    let len = response.body.len();
    let text = String::from_utf8(response.body).ok();
    let top_level = text
        .as_deref()
        .and_then(|t| serde_json::from_str::<HashMap<Cow<'_, str>, &RawValue>>(t).ok());
    if let Some(top_level) = top_level {
        if let Some(error) = api_error(&top_level) {
            // A proxy or an extension may answer 429/503 with an API error body: still "come back
            // later", as the status says.
            let retryable = error.code() == "maxlag" || matches!(status, 429 | 503);
            let mut error = error;
            if status >= 400 {
                error = error.with("http_status", status);
            }
            return Err(Failure {
                error,
                retryable,
                retry_after,
            });
        }
        if (200..300).contains(&status) {
            drop(top_level);
            return Ok(ApiBody {
                text: text.unwrap_or_default(),
            });
        }
    } else if (200..300).contains(&status) {
        return Err(not_json(status, len).into());
    }
    let mut error = Error::of(
        Code::HttpStatus,
        format!("the wiki answered HTTP {status} without an API response"),
    )
    .with("http_status", status);
    if let Some(seconds) = retry_after {
        error = error.with("retry_after", seconds);
    }
    Err(Failure {
        error,
        retryable: matches!(status, 429 | 503),
        retry_after,
    })
}

/// MediaWiki's error in either shape: `{"error": {...}}` (errorformat=bc) is passed through as it
/// is; `{"errors": [...]}` (other errorformats) gives `code` and `info` from its first entry and
/// keeps the whole array beside them.
fn api_error(top_level: &HashMap<Cow<'_, str>, &RawValue>) -> Option<Error> {
    if let Some(raw) = top_level.get("error") {
        return Some(match serde_json::from_str(raw.get()) {
            Ok(Value::Object(error)) => Error::from_wiki(ErrorKind::Api, error),
            // Not MediaWiki's shape, but never a success: whatever answers "error" meant one.
            _ => Error::of(
                Code::UnknownError,
                "the wiki answered with an \"error\" member that is not an error object",
            )
            .with("wiki_error", serde_json::from_str::<Value>(raw.get()).ok()),
        });
    }
    let raw_errors = top_level.get("errors")?.get();
    let errors = match serde_json::from_str(raw_errors) {
        Ok(Value::Array(errors)) => errors,
        // An array serde_json cannot read (a lone surrogate, nesting past its limit) is still
        // an error answer, never a success (found by fuzz/fuzz_targets/interpret.rs).
        Err(_) if raw_errors.trim_start().starts_with('[') => {
            return Some(Error::of(
                Code::UnknownError,
                "the wiki answered with an \"errors\" array that cannot be read",
            ));
        }
        _ => return None,
    };
    let first = errors.first().and_then(Value::as_object);
    let mut error = Map::new();
    if let Some(code) = first.and_then(|e| e.get("code")) {
        error.insert("code".into(), code.clone());
    }
    if let Some(info) = first.and_then(message_text) {
        error.insert("info".into(), info.into());
    }
    error.insert("errors".into(), Value::Array(errors));
    Some(Error::from_wiki(ErrorKind::Api, error))
}

/// The readable text of a message in one of MediaWiki's errorformats.
pub fn message_text(message: &Map<String, Value>) -> Option<&str> {
    ["text", "html", "*", "info", "key"]
        .iter()
        .find_map(|k| message.get(*k).and_then(Value::as_str))
}

/// `Retry-After` as seconds: a number, or an HTTP date (counted from now).
pub fn parse_retry_after(value: &str) -> Option<u64> {
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // Too many digits for a u64 is still a number: longer than any wait allowed.
        return Some(value.parse::<u64>().unwrap_or(u64::MAX));
    }
    // The cookie crate already parses the three HTTP date formats; borrow it rather than
    // writing a fourth date parser.
    let probe = cookie::Cookie::parse(format!("x=y; Expires={value}")).ok()?;
    let when = probe.expires_datetime()?.unix_timestamp();
    Some(when.saturating_sub(crate::cookies::unix_now()).max(0) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn response(status: u16, body: &str, retry_after: Option<&str>) -> HttpResponse {
        HttpResponse {
            content_type: None,
            status,
            set_cookies: vec![],
            retry_after: retry_after.map(str::to_string),
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn bc_error_passes_through() {
        let body = r#"{"error":{"code":"maxlag","info":"Waiting","host":"","lag":-1,"type":"db","docref":"See"}}"#;
        let f = interpret(response(200, body, Some("5"))).unwrap_err();
        assert!(f.retryable);
        assert_eq!(f.retry_after, Some(5));
        assert_eq!(f.error.kind(), ErrorKind::Api);
        assert_eq!(f.error.object()["lag"], json!(-1));
    }

    #[test]
    fn errors_array_gives_code_and_info() {
        let body = r#"{"errors":[{"code":"assertuserfailed","text":"You are no longer logged in.","module":"main"}],"docref":"x"}"#;
        let f = interpret(response(200, body, None)).unwrap_err();
        assert_eq!(f.error.code(), "assertuserfailed");
        assert_eq!(f.error.info(), "You are no longer logged in.");
        assert!(f.error.object()["errors"].is_array());
    }

    #[test]
    fn api_error_with_error_status_is_still_an_api_error() {
        let body = r#"{"error":{"code":"invalidmethod","info":"Invalid HTTP method."}}"#;
        let f = interpret(response(405, body, None)).unwrap_err();
        assert_eq!(f.error.kind(), ErrorKind::Api);
        assert_eq!(f.error.object()["http_status"], json!(405));
    }

    #[test]
    fn an_api_error_sent_with_503_is_retryable() {
        let body = r#"{"error":{"code":"readonly","info":"The wiki is in read-only mode."}}"#;
        let f = interpret(response(503, body, Some("3"))).unwrap_err();
        assert!(f.retryable);
        assert_eq!(f.retry_after, Some(3));
        assert_eq!(f.error.kind(), ErrorKind::Api);
    }

    #[test]
    fn html_pages_and_overload() {
        let f = interpret(response(200, "<html>hi</html>", None)).unwrap_err();
        assert_eq!(
            (f.error.kind(), f.error.code()),
            (ErrorKind::Http, "not_json")
        );
        let f = interpret(response(500, "<html>oops</html>", None)).unwrap_err();
        assert_eq!(f.error.code(), "http_status");
        assert!(!f.retryable);
        let f = interpret(response(503, "busy", Some("7"))).unwrap_err();
        assert!(f.retryable);
        assert_eq!(f.error.object()["retry_after"], json!(7));
        let f = interpret(response(200, "[1]", None)).unwrap_err();
        assert_eq!(f.error.code(), "not_json");
    }

    #[test]
    fn an_error_with_an_empty_code_or_no_text_still_says_what_and_why() {
        // Found by fuzz/fuzz_targets/interpret.rs: {"errors":[{"code":""}]} gave an error
        // whose code and info were both empty.
        for body in [
            r#"{"errors":[{"code":""}]}"#,
            r#"{"error":{"code":"","info":""}}"#,
        ] {
            let f = interpret(response(200, body, None)).unwrap_err();
            assert_eq!(f.error.code(), "unknown", "{body}");
            assert!(!f.error.info().is_empty(), "{body}");
        }
    }

    #[test]
    fn an_errors_array_serde_cannot_read_is_still_an_error() {
        let body = r#"{"errors":[{"code":"badtoken","text":"Invalid CSRF token.\ud800","module":"edit"}]}"#;
        let f = interpret(response(200, body, None)).unwrap_err();
        assert_eq!(
            (f.error.kind(), f.error.code()),
            (ErrorKind::Api, "unknown_error")
        );
    }

    #[test]
    fn an_error_member_that_is_not_an_object_is_never_a_success() {
        for body in [
            r#"{"error":"readonly"}"#,
            r#"{"error":null}"#,
            r#"{"error":[1],"query":{}}"#,
        ] {
            let f = interpret(response(200, body, None)).unwrap_err();
            assert_eq!(
                (f.error.kind(), f.error.code()),
                (ErrorKind::Api, "unknown_error"),
                "{body}"
            );
        }
    }

    #[test]
    fn retry_after_forms() {
        assert_eq!(parse_retry_after("12"), Some(12));
        assert_eq!(parse_retry_after("Thu, 01 Jan 1970 00:00:01 GMT"), Some(0));
        let later = parse_retry_after("Fri, 01 Jan 2100 00:00:00 GMT").unwrap();
        assert!(later > 1_000_000);
        assert_eq!(parse_retry_after("soon"), None);
        assert_eq!(parse_retry_after("-5"), None);
        // Not absent: a wait longer than any max_retry_wait_ms.
        assert_eq!(
            parse_retry_after("99999999999999999999999999"),
            Some(u64::MAX)
        );
    }
}
