//! Owner-only OAuth consumers: OAuth 2 bearer tokens, and OAuth 1.0a requests signed with
//! HMAC-SHA1 (RFC 5849). HMAC-SHA1 and the random nonce come from `ring`, already in the tree for
//! TLS; the secrets are wiped from memory when the session goes.

use crate::error::{Code, Error, Result};
use crate::json::{Fields, expect_object};
use base64::Engine as _;
use serde_json::Value;
use std::fmt;
use zeroize::Zeroizing;

/// How every request of an OAuth session is authorized.
#[derive(Clone)]
pub enum OAuth {
    Bearer(Zeroizing<String>),
    OAuth1(OAuth1Keys),
}

impl fmt::Debug for OAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            OAuth::Bearer(_) => "OAuth::Bearer(<hidden>)",
            OAuth::OAuth1(_) => "OAuth::OAuth1(<hidden>)",
        })
    }
}

/// An owner-only OAuth 1.0a consumer's four keys.
#[derive(Clone)]
pub struct OAuth1Keys {
    pub consumer_key: String,
    pub consumer_secret: Zeroizing<String>,
    pub access_token: Zeroizing<String>,
    pub access_secret: Zeroizing<String>,
}

impl fmt::Debug for OAuth1Keys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuth1Keys")
            .field("consumer_key", &self.consumer_key)
            .finish_non_exhaustive()
    }
}

impl OAuth1Keys {
    pub fn from_json(value: &Value) -> Result<Self> {
        let mut fields = Fields::new(expect_object(value, "config.oauth1")?, "config.oauth1");
        let mut take = |key: &str| -> Result<String> {
            let value = fields.required_str(key)?;
            if value.is_empty() {
                return Err(Error::of(
                    Code::InvalidValue,
                    format!("config.oauth1.{key} is empty"),
                ));
            }
            Ok(value.to_string())
        };
        let keys = OAuth1Keys {
            consumer_key: take("consumer_key")?,
            consumer_secret: Zeroizing::new(take("consumer_secret")?),
            access_token: Zeroizing::new(take("access_token")?),
            access_secret: Zeroizing::new(take("access_secret")?),
        };
        fields.finish()?;
        Ok(keys)
    }
}

impl OAuth {
    /// The `Authorization` header for one request. `params` are the request's parameters
    /// (query or form body, decoded); `url` is the URL without its query.
    pub fn authorization(
        &self,
        method: &str,
        url: &str,
        params: &[(&str, &str)],
    ) -> Result<Zeroizing<String>> {
        match self {
            OAuth::Bearer(token) => Ok(Zeroizing::new(format!("Bearer {}", token.as_str()))),
            OAuth::OAuth1(keys) => {
                let nonce = random_nonce()?;
                let timestamp = crate::cookies::unix_now().to_string();
                Ok(oauth1_header(
                    keys,
                    method,
                    url,
                    params,
                    &nonce,
                    &timestamp,
                    Some("1.0"),
                ))
            }
        }
    }
}

fn random_nonce() -> Result<String> {
    use ring::rand::SecureRandom as _;
    let mut bytes = [0u8; 16];
    ring::rand::SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| Error::of(Code::Panic, "the system random generator failed"))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// RFC 5849 §3.6: percent-encode everything but the unreserved characters, hex in upper case.
fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// RFC 5849 §3.4.1.2: scheme and host in lower case, the port only when not the default.
fn base_string_uri(url: &str) -> String {
    let Ok(uri) = url.parse::<ureq::http::Uri>() else {
        return url.to_string();
    };
    let scheme = uri.scheme_str().unwrap_or("https").to_ascii_lowercase();
    let host = uri.host().unwrap_or_default().to_ascii_lowercase();
    let port = match (uri.port_u16(), scheme.as_str()) {
        (Some(80), "http") | (Some(443), "https") | (None, _) => String::new(),
        (Some(p), _) => format!(":{p}"),
    };
    let path = match uri.path() {
        "" => "/",
        p => p,
    };
    format!("{scheme}://{host}{port}{path}")
}

/// The signed `Authorization: OAuth ...` header (RFC 5849 §3.1 to §3.5.1).
pub(crate) fn oauth1_header(
    keys: &OAuth1Keys,
    method: &str,
    url: &str,
    params: &[(&str, &str)],
    nonce: &str,
    timestamp: &str,
    version: Option<&str>,
) -> Zeroizing<String> {
    let mut protocol: Vec<(&str, &str)> = vec![
        ("oauth_consumer_key", &keys.consumer_key),
        ("oauth_nonce", nonce),
        ("oauth_signature_method", "HMAC-SHA1"),
        ("oauth_timestamp", timestamp),
        ("oauth_token", &keys.access_token),
    ];
    if let Some(version) = version {
        protocol.push(("oauth_version", version));
    }
    let mut normalized: Vec<(String, String)> = params
        .iter()
        .chain(protocol.iter())
        .map(|(k, v)| (encode(k), encode(v)))
        .collect();
    normalized.sort();
    let parameters = normalized
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    let base = format!(
        "{}&{}&{}",
        method.to_ascii_uppercase(),
        encode(&base_string_uri(url)),
        encode(&parameters)
    );
    let signing_key = Zeroizing::new(format!(
        "{}&{}",
        encode(&keys.consumer_secret),
        encode(&keys.access_secret)
    ));
    let key = ring::hmac::Key::new(
        ring::hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY,
        signing_key.as_bytes(),
    );
    let signature =
        base64::engine::general_purpose::STANDARD.encode(ring::hmac::sign(&key, base.as_bytes()));
    let mut header = Zeroizing::new(String::from("OAuth "));
    for (i, (k, v)) in protocol
        .iter()
        .map(|(k, v)| (*k, *v))
        .chain(std::iter::once(("oauth_signature", signature.as_str())))
        .enumerate()
    {
        if i > 0 {
            header.push_str(", ");
        }
        header.push_str(&format!("{k}=\"{}\"", encode(v)));
    }
    header
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signature(header: &str) -> String {
        let start = header.find("oauth_signature=\"").unwrap() + "oauth_signature=\"".len();
        let end = header[start..].find('"').unwrap() + start;
        // Undo the header's percent-encoding of the base64 text.
        header[start..end]
            .replace("%2B", "+")
            .replace("%2F", "/")
            .replace("%3D", "=")
    }

    #[test]
    fn rfc5849_section_1_2_example() {
        let keys = OAuth1Keys {
            consumer_key: "dpf43f3p2l4k3l03".into(),
            consumer_secret: Zeroizing::new("kd94hf93k423kf44".into()),
            access_token: Zeroizing::new("nnch734d00sl2jdk".into()),
            access_secret: Zeroizing::new("pfkkdhi9sl3r4s00".into()),
        };
        let header = oauth1_header(
            &keys,
            "GET",
            "http://photos.example.net/photos",
            &[("file", "vacation.jpg"), ("size", "original")],
            "chapoH",
            "137131202",
            None,
        );
        assert_eq!(signature(&header), "MdpQcU8iPSUjWoN/UDMsK2sui9I=");
        assert!(header.starts_with("OAuth oauth_consumer_key=\"dpf43f3p2l4k3l03\", "));
    }

    #[test]
    fn rfc5849_section_3_4_1_example() {
        // §3.4.1.1's request: POST with query and body parameters, a repeated name, an empty value.
        let keys = OAuth1Keys {
            consumer_key: "9djdj82h48djs9d2".into(),
            consumer_secret: Zeroizing::new("j49sk3j29djd".into()),
            access_token: Zeroizing::new("kkk9d7dh3k39sjv7".into()),
            access_secret: Zeroizing::new("dh893hdasih9".into()),
        };
        let header = oauth1_header(
            &keys,
            "POST",
            "http://example.com/request",
            &[
                ("b5", "=%3D"),
                ("a3", "a"),
                ("c@", ""),
                ("a2", "r b"),
                ("c2", ""),
                ("a3", "2 q"),
            ],
            "7d8f3e4a",
            "137131201",
            None,
        );
        assert_eq!(signature(&header), "r6/TJjbCOr97/+UU0NsvSne7s5g=");
    }

    #[test]
    fn encoding_and_base_uri() {
        assert_eq!(encode("a b+c&d|é~"), "a%20b%2Bc%26d%7C%C3%A9~");
        assert_eq!(
            base_string_uri("HTTP://Example.COM:80/r%20v/X"),
            "http://example.com/r%20v/X"
        );
        assert_eq!(
            base_string_uri("https://www.example.net:8080/?q=1"),
            "https://www.example.net:8080/"
        );
    }

    #[test]
    fn keys_are_strict_and_hidden() {
        let e = OAuth1Keys::from_json(&serde_json::json!({"consumer_key": "a"})).unwrap_err();
        assert_eq!(e.code(), "missing_field");
        let keys = OAuth::Bearer(Zeroizing::new("sekrit".into()));
        assert!(!format!("{keys:?}").contains("sekrit"));
    }
}
