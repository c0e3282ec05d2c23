//! MediaWiki's REST API (`rest.php`): `mw_rest`'s request checked, and the answer read.

use crate::error::{Code, Error, ErrorKind, Result};
use crate::http::HttpResponse;
use crate::json::{Fields, expect_object, type_name};
use crate::params::Params;
use crate::response::{Failure, parse_retry_after};
use serde_json::{Map, Value, json};

/// A checked `mw_rest` object.
#[derive(Debug, Clone)]
pub struct RestRequest {
    /// `GET`, `POST`, `PUT`, `PATCH` or `DELETE`.
    pub method: &'static str,
    /// After `rest.php`, as the caller wrote it (a title's `/` already `%2F`).
    pub path: String,
    pub query: Params,
    /// Sent as `application/json`.
    pub body: Option<Value>,
}

impl RestRequest {
    pub fn from_json(value: &Value) -> Result<Self> {
        let mut fields = Fields::new(expect_object(value, "request")?, "request");
        let method = match fields.optional_str("method")? {
            None => "GET",
            Some(m) => match m.to_ascii_uppercase().as_str() {
                "GET" => "GET",
                "POST" => "POST",
                "PUT" => "PUT",
                "PATCH" => "PATCH",
                "DELETE" => "DELETE",
                _ => {
                    return Err(fields.invalid(
                        "method",
                        "must be \"GET\", \"POST\", \"PUT\", \"PATCH\" or \"DELETE\"",
                    ));
                }
            },
        };
        let path = fields.required_str("path")?.to_string();
        if !path.starts_with('/')
            || path.contains(['?', '#'])
            || path.chars().any(|c| c.is_control() || c == ' ')
        {
            return Err(fields.invalid(
                "path",
                "must start with \"/\", without a query (use \"query\"), a fragment, spaces or control characters",
            ));
        }
        let query = match fields.take_non_null("query") {
            None => Params::new(),
            Some(Value::Object(query)) => query_params(query)?,
            Some(other) => return Err(fields.wrong_type("query", "an object", other)),
        };
        let body = fields.take_non_null("body").cloned();
        if method == "GET" && body.is_some() {
            return Err(fields.invalid("body", "is not sent with GET"));
        }
        fields.finish()?;
        Ok(RestRequest {
            method,
            path,
            query,
            body,
        })
    }

    /// Whether the request writes (and so, from a cookie session, carries a csrf token).
    pub fn writes(&self) -> bool {
        self.method != "GET"
    }
}

fn query_params(query: &Map<String, Value>) -> Result<Params> {
    let mut params = Params::with_capacity(query.len());
    for (name, value) in query {
        let value = match value {
            Value::Null | Value::Bool(false) => continue,
            Value::Bool(true) => "1".to_string(),
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            other => {
                return Err(Error::of(
                    Code::WrongType,
                    format!(
                        "request.query.{name} must be a string, number or boolean, not {}",
                        type_name(other)
                    ),
                ));
            }
        };
        params.push((name.clone(), value));
    }
    Ok(params)
}

/// What `rest.php` answered: `{"status", "body"}` for a 2xx answer; an error for any other.
/// 429 and 503 are retryable, as for the Action API.
pub(crate) fn interpret(response: HttpResponse) -> std::result::Result<Value, Failure> {
    let status = response.status;
    let is_json = response
        .content_type
        .as_deref()
        .is_some_and(|t| t.to_ascii_lowercase().contains("json"));
    let parsed = match is_json || response.content_type.is_none() {
        true => serde_json::from_slice::<Value>(&response.body).ok(),
        false => None,
    };
    let body = parsed
        .unwrap_or_else(|| Value::String(String::from_utf8_lossy(&response.body).into_owned()));
    if (200..300).contains(&status) {
        return Ok(json!({"status": status, "body": body}));
    }
    let retry_after = response.retry_after.as_deref().and_then(parse_retry_after);
    let object = body.as_object();
    let text = |key: &str| {
        object
            .and_then(|o| o.get(key))
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    };
    // 1.43 names every error (errorKey); 1.39 only those passed on from an Action API module.
    let code = text("errorKey")
        .or_else(|| text("actionModuleErrorCode"))
        .or_else(|| text("error"))
        .unwrap_or("http_status")
        .to_string();
    let info = object
        .and_then(|o| o.get("messageTranslations"))
        .and_then(Value::as_object)
        .and_then(|t| t.get("en").or_else(|| t.values().next()))
        .and_then(Value::as_str)
        .or_else(|| text("message"))
        .or_else(|| text("httpReason"))
        .map(str::to_string)
        .unwrap_or_else(|| format!("The REST API answered HTTP {status}."));
    let mut error = Error::new(ErrorKind::Http, &code, info)
        .with("http_status", status)
        .with("body", body);
    if let Some(seconds) = retry_after {
        error = error.with("retry_after", seconds);
    }
    Err(Failure {
        error,
        retryable: status == 429 || status == 503,
        retry_after,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, content_type: &str, body: &str) -> HttpResponse {
        HttpResponse {
            status,
            set_cookies: vec![],
            retry_after: None,
            content_type: Some(content_type.into()),
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn requests_are_checked() {
        let r = RestRequest::from_json(&json!({"method": "put", "path": "/v1/page/A%2FB",
            "query": {"redirect": false, "n": 2}, "body": {"source": "x"}}))
        .unwrap();
        assert_eq!((r.method, r.path.as_str()), ("PUT", "/v1/page/A%2FB"));
        assert_eq!(r.query, vec![("n".to_string(), "2".to_string())]);
        assert!(r.writes());
        for (bad, code) in [
            (json!({"path": "v1/page"}), "invalid_value"),
            (json!({"path": "/v1/page?x=1"}), "invalid_value"),
            (
                json!({"path": "/v1/page", "method": "HEAD"}),
                "invalid_value",
            ),
            (json!({"path": "/v1/page", "body": {}}), "invalid_value"),
            (
                json!({"path": "/v1/page", "query": {"a": [1]}}),
                "wrong_type",
            ),
            (json!({"path": "/v1/page", "extra": 1}), "unknown_key"),
            (json!({}), "missing_field"),
        ] {
            assert_eq!(
                RestRequest::from_json(&bad).unwrap_err().code(),
                code,
                "{bad}"
            );
        }
    }

    #[test]
    fn answers_and_errors_are_read() {
        let ok = interpret(response(200, "application/json", r#"{"title":"A"}"#)).unwrap();
        assert_eq!(ok, json!({"status": 200, "body": {"title": "A"}}));
        let html = interpret(response(200, "text/html", "<p>x</p>")).unwrap();
        assert_eq!(html["body"], "<p>x</p>");
        let missing = interpret(response(
            404,
            "application/json",
            r#"{"messageTranslations":{"en":"The specified page does not exist."},"httpCode":404,"httpReason":"Not Found","errorKey":"rest-nonexistent-title"}"#,
        ))
        .unwrap_err();
        assert!(!missing.retryable);
        let e = missing.error;
        assert_eq!(
            (e.kind(), e.code()),
            (ErrorKind::Http, "rest-nonexistent-title")
        );
        assert_eq!(e.info(), "The specified page does not exist.");
        assert_eq!(e.object()["http_status"], 404);
        assert_eq!(e.object()["body"]["httpCode"], 404);
        let busy = interpret(response(503, "text/html", "busy")).unwrap_err();
        assert!(busy.retryable);
        assert_eq!(busy.error.code(), "http_status");
    }
}
