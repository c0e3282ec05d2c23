//! Building Action API parameters: the caller's `mw_request` object checked and encoded, and the
//! encoding of parameter lists for a URL or a form body.

use crate::error::{Code, Error, Result};
use crate::json::{Fields, expect_object, type_name};
use crate::multipart::{FilePart, FileSource, sendable_file_len};
use serde_json::{Map, Value};
use std::path::PathBuf;
use std::sync::Arc;

/// The HTTP method of an API call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
        }
    }
}

/// Ordered API parameters, values already in MediaWiki's wire form.
pub type Params = Vec<(String, String)>;

/// A checked `mw_request` object.
#[derive(Debug, Clone)]
pub struct ApiRequest {
    pub params: Params,
    pub method: Method,
    /// The token type to fetch and send (`csrf`, `watch`, ...).
    pub token: Option<String>,
    /// The parameter that carries the token.
    pub token_param: String,
    /// Files: the request is then a `multipart/form-data` POST.
    pub files: Vec<FilePart>,
    /// Follow MediaWiki's `continue` protocol for at most this many batches.
    pub continue_batches: Option<u32>,
}

/// How many batches `"continue": true` collects unless `"max_batches"` says otherwise.
pub const DEFAULT_MAX_BATCHES: u32 = 50;

/// The longest query a GET carries (URL-encoded caller's parameters); longer requests go as
/// POST unless the caller asked for GET, which is then refused before any request.
pub(crate) const MAX_GET_QUERY_BYTES: usize = 6000;

/// MediaWiki's separator for multi-value parameters whose values contain `|`.
const UNIT_SEPARATOR: char = '\u{1f}';

impl ApiRequest {
    /// A request from parameters alone: `GET`, no token.
    pub fn get(params: &[(&str, &str)]) -> Self {
        ApiRequest {
            params: params
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            method: Method::Get,
            token: None,
            token_param: "token".into(),
            files: Vec::new(),
            continue_batches: None,
        }
    }

    pub fn from_json(value: &Value) -> Result<Self> {
        let mut fields = Fields::new(expect_object(value, "request")?, "request");
        let params = match fields.take("params") {
            None | Some(Value::Null) => {
                return Err(Error::of(Code::MissingField, "request.params is required"));
            }
            Some(Value::Object(map)) => map,
            Some(other) => return Err(fields.wrong_type("params", "an object", other)),
        };
        let token = fields.optional_str("token")?.map(str::to_string);
        if token
            .as_deref()
            .is_some_and(|t| t.is_empty() || t.contains(['|', UNIT_SEPARATOR]))
        {
            return Err(fields.invalid("token", "must name one token type, such as \"csrf\""));
        }
        let token_param = fields
            .optional_str("token_param")?
            .unwrap_or("token")
            .to_string();
        if token_param.is_empty() {
            return Err(fields.invalid("token_param", "must not be empty"));
        }
        let chosen_method = match fields.optional_str("method")? {
            None => None,
            Some(m) if m.eq_ignore_ascii_case("GET") => Some(Method::Get),
            Some(m) if m.eq_ignore_ascii_case("POST") => Some(Method::Post),
            Some(_) => return Err(fields.invalid("method", "must be \"GET\" or \"POST\"")),
        };
        let files = match fields.take_non_null("files") {
            None => Vec::new(),
            Some(Value::Object(files)) => file_parts(files)?,
            Some(other) => return Err(fields.wrong_type("files", "an object", other)),
        };
        let follow = fields.bool("continue", false)?;
        let max_batches = fields.u32("max_batches", DEFAULT_MAX_BATCHES)?;
        if max_batches == 0 {
            return Err(fields.invalid("max_batches", "must be more than 0"));
        }
        let continue_batches = follow.then_some(max_batches);
        if follow && !files.is_empty() {
            return Err(fields.invalid("continue", "does not go with files"));
        }
        fields.finish()?;

        let mut encoded = Params::with_capacity(params.len());
        for (name, value) in params {
            if matches!(name.as_str(), "format" | "formatversion") {
                return Err(Error::of(
                    Code::InvalidValue,
                    format!(
                        "request.params.{name} is set by mwauth (format=json, formatversion=2)"
                    ),
                ));
            }
            if let Some(value) = encode_value(name, value)? {
                encoded.push((name.clone(), value));
            }
        }
        if token.is_some() && encoded.iter().any(|(k, _)| *k == token_param) {
            return Err(Error::of(
                Code::InvalidValue,
                format!(
                    "request.params.{token_param} is set, but request.token asks mwauth to send one"
                ),
            ));
        }
        // Servers refuse long request lines (Apache: 8,190 bytes, with the path and the
        // library's own parameters), and only after a bot_password session has logged in.
        let query_bytes = form_encode(encoded.iter().map(|(k, v)| (k.as_str(), v.as_str()))).len();
        let method = match chosen_method {
            Some(method) => method,
            None if token.is_some() || query_bytes > MAX_GET_QUERY_BYTES || !files.is_empty() => {
                Method::Post
            }
            None => Method::Get,
        };
        if method == Method::Get && !files.is_empty() {
            return Err(Error::of(
                Code::InvalidValue,
                "request.method is GET, but files are only ever sent in a multipart POST",
            ));
        }
        if let Some(file) = files
            .iter()
            .find(|f| encoded.iter().any(|(k, _)| *k == f.param) || f.param == token_param)
        {
            return Err(Error::of(
                Code::InvalidValue,
                format!(
                    "request.files.{} names a parameter that request.params (or the token) sets too",
                    file.param
                ),
            ));
        }
        if method == Method::Get && query_bytes > MAX_GET_QUERY_BYTES {
            return Err(Error::of(
                Code::InvalidValue,
                format!(
                    "request.method is GET, but its parameters take {query_bytes} bytes in a URL (at most {MAX_GET_QUERY_BYTES}): use POST, or leave method out"
                ),
            ));
        }
        if method == Method::Get {
            if token.is_some() {
                return Err(Error::of(
                    Code::InvalidValue,
                    "request.method is GET, but tokens are only ever sent in a POST body",
                ));
            }
            if let Some((name, _)) = encoded.iter().find(|(k, _)| is_sensitive(k)) {
                return Err(Error::of(
                    Code::InvalidValue,
                    format!(
                        "request.params.{name} looks like a secret; secrets are only ever sent in a POST body (use \"method\": \"POST\")"
                    ),
                ));
            }
        }
        Ok(ApiRequest {
            params: encoded,
            method,
            token,
            token_param,
            files,
            continue_batches,
        })
    }
}

/// `request.files`: `{"PARAM": {"path": ...} or {"data_base64": ...}, with "filename" and
/// "content_type" optional}`. A path must name a regular file that can be opened now.
fn file_parts(files: &Map<String, Value>) -> Result<Vec<FilePart>> {
    let mut parts = Vec::with_capacity(files.len());
    for (param, spec) in files {
        let what = format!("request.files.{param}");
        if param.is_empty() || matches!(param.as_str(), "format" | "formatversion") {
            return Err(Error::of(
                Code::InvalidValue,
                format!("{what}: not a parameter a file can go in"),
            ));
        }
        let mut fields = Fields::new(expect_object(spec, &what)?, &what);
        let path = fields.optional_str("path")?.map(PathBuf::from);
        let data = fields.optional_str("data_base64")?;
        let filename = fields.optional_str("filename")?.map(str::to_string);
        let content_type = fields
            .optional_str("content_type")?
            .unwrap_or("application/octet-stream")
            .to_string();
        if content_type.is_empty() || content_type.chars().any(|c| c.is_control()) {
            return Err(fields.invalid("content_type", "must be a MIME type"));
        }
        let (source, default_name) = match (path, data) {
            (Some(path), None) => {
                let length =
                    sendable_file_len(&path).map_err(|why| fields.invalid("path", &why))?;
                let name = path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_else(|| param.clone());
                let source = FileSource::Path {
                    path,
                    offset: 0,
                    length,
                };
                (source, name)
            }
            (None, Some(data)) => {
                use base64::Engine as _;
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(data)
                    .map_err(|e| fields.invalid("data_base64", &format!("is not base64: {e}")))?;
                (FileSource::Data(Arc::new(bytes)), param.clone())
            }
            _ => {
                return Err(fields.invalid(
                    "path",
                    "one of \"path\" and \"data_base64\" must be given, not both",
                ));
            }
        };
        fields.finish()?;
        parts.push(FilePart {
            param: param.clone(),
            source,
            filename: filename.unwrap_or(default_name),
            content_type,
        });
    }
    Ok(parts)
}

/// One parameter value in MediaWiki's form; `None` leaves the parameter out.
fn encode_value(name: &str, value: &Value) -> Result<Option<String>> {
    let wrong = |got: &Value| {
        Error::of(
            Code::WrongType,
            format!(
                "request.params.{name} must be a string, number, boolean, null or an array of strings and numbers, not {}",
                type_name(got)
            ),
        )
    };
    Ok(match value {
        Value::Null | Value::Bool(false) => None,
        Value::Bool(true) => Some("1".into()),
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Array(items) => {
            let mut parts = Vec::with_capacity(items.len());
            for item in items {
                match item {
                    // MediaWiki splits on U+001F wherever it is: such an item cannot be sent
                    // as one value (found by fuzz/fuzz_targets/api_request.rs).
                    Value::String(s) if s.contains(UNIT_SEPARATOR) => {
                        return Err(Error::of(
                            Code::InvalidValue,
                            format!(
                                "request.params.{name}: a list item cannot hold U+001F, MediaWiki's separator"
                            ),
                        ));
                    }
                    Value::String(s) => parts.push(s.clone()),
                    Value::Number(n) => parts.push(n.to_string()),
                    other => return Err(wrong(other)),
                }
            }
            if parts.iter().any(|p| p.contains('|')) {
                // MediaWiki's form for values that hold a `|`: start with U+001F, separate with it.
                let mut joined = String::from(UNIT_SEPARATOR);
                joined.push_str(&parts.join(&UNIT_SEPARATOR.to_string()));
                Some(joined)
            } else {
                Some(parts.join("|"))
            }
        }
        Value::Object(_) => return Err(wrong(value)),
    })
}

/// Parameter names whose values are secrets: never put in a URL, never logged.
pub fn is_sensitive(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.ends_with("token") || lower.contains("password") || lower == "retype"
}

/// `application/x-www-form-urlencoded`, as MediaWiki reads it. `+` in a token becomes `%2B`.
pub fn form_encode<'a>(params: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut serializer = form_urlencoded::Serializer::new(String::new());
    for (k, v) in params {
        serializer.append_pair(k, v);
    }
    serializer.finish()
}

/// The parameters for a log line: secret values replaced by `***`.
pub fn redacted<'a>(params: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    form_encode(
        params
            .into_iter()
            .map(|(k, v)| if is_sensitive(k) { (k, "***") } else { (k, v) }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn encode(params: Value) -> Result<Params> {
        ApiRequest::from_json(&json!({ "params": params })).map(|r| r.params)
    }

    fn pairs(list: &[(&str, &str)]) -> Params {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn values_are_encoded_as_the_spec_says() {
        let p = encode(json!({
            "action": "query", "limit": 50, "ratio": 1.5, "redirects": true, "nocache": false,
            "gone": null, "prop": ["info", "revisions"], "pageids": [1, 2], "empty": [],
            "titles": ["A|B", "C"]
        }))
        .unwrap();
        let mut p = p;
        p.sort();
        let mut want = pairs(&[
            ("action", "query"),
            ("limit", "50"),
            ("ratio", "1.5"),
            ("redirects", "1"),
            ("prop", "info|revisions"),
            ("pageids", "1|2"),
            ("empty", ""),
            ("titles", "\u{1f}A|B\u{1f}C"),
        ]);
        want.sort();
        assert_eq!(p, want);
    }

    #[test]
    fn numbers_go_out_as_their_json_text() {
        let request: Value = serde_json::from_str(
            r#"{"params": {"big": 1180591620717411303424, "ids": [9007199254740993]}}"#,
        )
        .unwrap();
        let p = ApiRequest::from_json(&request).unwrap().params;
        assert_eq!(
            p,
            pairs(&[
                ("big", "1180591620717411303424"),
                ("ids", "9007199254740993")
            ])
        );
    }

    #[test]
    fn bad_requests_name_the_problem() {
        let cases = [
            (json!({}), "missing_field", "params"),
            (json!({"params": []}), "wrong_type", "params"),
            (json!({"params": {"a": {"b": 1}}}), "wrong_type", "params.a"),
            (json!({"params": {"a": [true]}}), "wrong_type", "params.a"),
            (
                json!({"params": {"format": "xml"}}),
                "invalid_value",
                "format",
            ),
            (
                json!({"params": {"formatversion": 1}}),
                "invalid_value",
                "formatversion",
            ),
            (
                json!({"params": {}, "method": "PUT"}),
                "invalid_value",
                "method",
            ),
            (json!({"params": {}, "method": 1}), "wrong_type", "method"),
            (
                json!({"params": {}, "token": "csrf", "method": "GET"}),
                "invalid_value",
                "POST",
            ),
            (
                json!({"params": {"token": "x"}, "token": "csrf"}),
                "invalid_value",
                "params.token",
            ),
            (
                json!({"params": {"lgpassword": "x"}}),
                "invalid_value",
                "lgpassword",
            ),
            (
                json!({"params": {}, "tokne": "csrf"}),
                "unknown_key",
                "tokne",
            ),
            (json!("x"), "wrong_type", "request"),
        ];
        for (value, code, named) in cases {
            let e = ApiRequest::from_json(&value).unwrap_err();
            assert_eq!(e.code(), code, "{value}");
            assert!(e.info().contains(named), "{value}: {}", e.info());
        }
    }

    #[test]
    fn token_means_post_by_default() {
        let r =
            ApiRequest::from_json(&json!({"params": {"action": "edit"}, "token": "csrf"})).unwrap();
        assert_eq!(r.method, Method::Post);
        assert_eq!(r.token_param, "token");
        let r = ApiRequest::from_json(&json!({"params": {"action": "query"}})).unwrap();
        assert_eq!(r.method, Method::Get);
    }

    #[test]
    fn tokens_survive_form_encoding() {
        assert_eq!(
            form_encode([("token", "ab+\\"), ("t", "a b&c")]),
            "token=ab%2B%5C&t=a+b%26c"
        );
        assert_eq!(
            redacted([("lgpassword", "x"), ("logintoken", "y"), ("a", "b")]),
            "lgpassword=***&logintoken=***&a=b"
        );
    }

    #[test]
    fn a_list_item_with_the_unit_separator_is_refused() {
        // MediaWiki would read ["\u{1f}A", "B"] as ["A|B"], and ["A\u{1f}B", "C|D"] as three.
        for items in [json!(["\u{1f}A", "B"]), json!(["A\u{1f}B", "C|D"])] {
            let e = encode(json!({"action": "query", "titles": items})).unwrap_err();
            assert_eq!(e.code(), "invalid_value");
            assert!(e.info().contains("request.params.titles"), "{}", e.info());
        }
    }

    #[test]
    fn form_encoding_round_trips_any_text() {
        // The characters that matter to a form body, and some that merely look odd.
        const ALPHABET: &[char] = &[
            'a',
            'Z',
            '0',
            ' ',
            '&',
            '=',
            '+',
            '%',
            '|',
            '?',
            '#',
            '/',
            ';',
            '\n',
            '\t',
            '\0',
            '\u{1f}',
            '\u{7f}',
            '\u{e9}',
            '\u{2603}',
            '\u{1f600}',
            '\'',
            '"',
            '~',
            '*',
            '.',
        ];
        let mut next = crate::test_support::numbers(0x6d77_6175_7468);
        for _ in 0..2000 {
            let mut text = |max: u64| -> String {
                (0..next() % max)
                    .map(|_| ALPHABET[(next() % ALPHABET.len() as u64) as usize])
                    .collect()
            };
            let params: Vec<(String, String)> = (0..4)
                .map(|_| (format!("k{}", text(6)), text(24)))
                .collect();
            let encoded = form_encode(params.iter().map(|(k, v)| (k.as_str(), v.as_str())));
            assert!(
                encoded.is_ascii() && !encoded.contains([' ', '\n', '#']),
                "{encoded}"
            );
            let decoded: Vec<(String, String)> = form_urlencoded::parse(encoded.as_bytes())
                .into_owned()
                .collect();
            assert_eq!(decoded, params);
        }
    }
}
