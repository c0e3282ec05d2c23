//! The session configuration: `mw_session_new`'s JSON object, checked once up front.

use crate::credentials::Credentials;
use crate::error::{Code, Error, Result};
use crate::json::{Fields, expect_object};
use crate::oauth::{OAuth, OAuth1Keys};
use serde_json::Value;
use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;
use ureq::http::Uri;
use zeroize::Zeroizing;

/// What `assert` the library adds to the caller's requests once logged in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Assert {
    User,
    Bot,
    None,
}

impl Assert {
    pub fn as_param(self) -> Option<&'static str> {
        match self {
            Assert::User => Some("user"),
            Assert::Bot => Some("bot"),
            Assert::None => None,
        }
    }
}

/// A checked session configuration. Field meanings are those of the ABI's config table.
#[derive(Debug, Clone)]
pub struct Config {
    pub api: ApiUrl,
    pub user_agent: String,
    pub timeout_ms: u64,
    pub maxlag: Option<i64>,
    pub max_retries: u32,
    pub max_retry_wait_ms: u64,
    pub assert: Assert,
    pub relogin: bool,
    pub allow_insecure_http: bool,
    pub max_response_bytes: u64,
    /// Credentials to log in with when needed, and to log in again with.
    pub bot_password: Option<Credentials>,
    /// Where the session's cookies are kept between runs.
    pub cookie_file: Option<PathBuf>,
    /// An owner-only OAuth consumer that authorizes every request instead of a login.
    pub oauth: Option<OAuth>,
    /// PEM root certificates trusted in addition to the built-in ones.
    pub ca_file: Option<PathBuf>,
    /// `None`: straight to the wiki.
    pub proxy: Option<ProxyUrl>,
    /// The wiki's `rest.php`: `rest_url`, or beside `api.php`; `None` when neither says.
    pub rest: Option<ApiUrl>,
    /// At most this many HTTP requests of the session at once (`None`: no limit).
    pub max_concurrent_requests: Option<u32>,
}

/// The proxy that carries the session's requests, if any: the config's `proxy`, or for `null`
/// the environment's, read once when the config is checked.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ProxyUrl(pub String);

impl fmt::Debug for ProxyUrl {
    /// Without a user name or password the URL may carry.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.split_once("://") {
            // The last '@' ends the user info, as the URL parser reads it.
            Some((scheme, rest)) => match rest.rsplit_once('@') {
                Some((_, host)) => write!(f, "{scheme}://<hidden>@{host}"),
                None => write!(f, "{}", self.0),
            },
            None => write!(f, "<unparsed proxy URL>"),
        }
    }
}

fn checked_proxy(url: &str, what: &str) -> Result<ProxyUrl> {
    let invalid = |why: &str| Error::of(Code::InvalidValue, format!("{what} {why}"));
    if ureq::Proxy::new(url).is_err() {
        return Err(invalid(
            "must be a proxy URL (http, https, socks4, socks4a, socks5 or socks5h) or \"none\"",
        ));
    }
    // As for api_url: an unreadable port would silently become the protocol's default.
    let with_scheme = if url.contains("://") {
        url.to_string()
    } else {
        format!("http://{url}")
    };
    if let Ok(uri) = with_scheme.parse::<Uri>()
        && uri.authority().is_some_and(|a| !port_is_usable(a.as_str()))
    {
        return Err(invalid("has a port that is not a number from 1 to 65535"));
    }
    Ok(ProxyUrl(url.to_string()))
}

/// Whether a URL authority's port, if it names one, is 1..=65535. The URI parser keeps a port it
/// cannot read (99999) and then reports none, so requests would go, credentials and all, to the
/// scheme's default port.
fn port_is_usable(authority: &str) -> bool {
    let host_and_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let after_host = match host_and_port.rfind(']') {
        Some(end) => &host_and_port[end + 1..],
        None => host_and_port,
    };
    match after_host.rsplit_once(':') {
        None | Some((_, "")) => true,
        Some((_, port)) => port.parse::<u16>().is_ok_and(|port| port != 0),
    }
}

/// The environment's proxy for the API, by curl's rules: `no_proxy`/`NO_PROXY` exempt hosts;
/// `https_proxy`/`HTTPS_PROXY` for https and only the lower-case `http_proxy` for http (an
/// upper-case `HTTP_PROXY` can be set by a request header under CGI: "httpoxy"); then
/// `all_proxy`/`ALL_PROXY`. A loopback API never goes through the environment's proxy: its
/// bytes, credentials included, would leave the machine.
fn environment_proxy(api: &ApiUrl) -> Result<Option<ProxyUrl>> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    if api.loopback {
        return Ok(None);
    }
    if let Some(no_proxy) = var("no_proxy").or_else(|| var("NO_PROXY"))
        && no_proxy.split(',').map(str::trim).any(|entry| {
            let entry = entry.trim_start_matches('.').to_ascii_lowercase();
            let host_is_ip = api.host.parse::<IpAddr>().is_ok();
            entry == "*"
                || (!entry.is_empty()
                    && (api.host == entry
                        || (!host_is_ip && api.host.ends_with(&format!(".{entry}")))))
        })
    {
        return Ok(None);
    }
    let names: &[&str] = if api.https {
        &["https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"]
    } else {
        &["http_proxy", "all_proxy", "ALL_PROXY"]
    };
    for name in names {
        if let Some(url) = var(name) {
            return checked_proxy(&url, &format!("the environment variable {name}")).map(Some);
        }
    }
    Ok(None)
}

pub(crate) const DEFAULT_TIMEOUT_MS: u64 = 30_000;
pub(crate) const DEFAULT_MAX_RETRIES: u32 = 3;
pub(crate) const DEFAULT_MAX_RETRY_WAIT_MS: u64 = 120_000;
pub(crate) const DEFAULT_MAX_RESPONSE_BYTES: u64 = 64 * 1024 * 1024;

impl Config {
    /// A configuration with every default, for `api_url`.
    pub fn new(api_url: &str) -> Result<Self> {
        Self::from_json(&serde_json::json!({ "api_url": api_url }))
    }

    /// Checks a config object; unknown keys, wrong types and bad values are `MW_ERR_ARGUMENT`.
    pub fn from_json(value: &Value) -> Result<Self> {
        let mut fields = Fields::new(expect_object(value, "config")?, "config");
        let api = ApiUrl::parse(fields.required_str("api_url")?)?;
        let user_agent = match fields.optional_str("user_agent")? {
            Some(own) if !own.trim().is_empty() => {
                format!("{} {}", own.trim(), default_user_agent())
            }
            _ => default_user_agent(),
        };
        // A header value: a control or non-ASCII character would fail every request later, as a
        // connection the server dropped.
        if !user_agent.chars().all(|c| c == ' ' || c.is_ascii_graphic()) {
            return Err(Error::of(
                Code::InvalidValue,
                "config.user_agent must be printable ASCII, without control characters",
            ));
        }
        let mut config = Config {
            api,
            user_agent,
            timeout_ms: fields.positive_u64("timeout_ms", DEFAULT_TIMEOUT_MS)?,
            maxlag: fields.optional_i64("maxlag")?,
            max_retries: fields.u32("max_retries", DEFAULT_MAX_RETRIES)?,
            max_retry_wait_ms: fields.u64("max_retry_wait_ms", DEFAULT_MAX_RETRY_WAIT_MS)?,
            assert: match fields.optional_str("assert")? {
                None | Some("user") => Assert::User,
                Some("bot") => Assert::Bot,
                Some("none") => Assert::None,
                Some(_) => {
                    return Err(Error::of(
                        Code::InvalidValue,
                        "config.assert must be \"user\", \"bot\" or \"none\"",
                    ));
                }
            },
            relogin: fields.bool("relogin", true)?,
            allow_insecure_http: fields.bool("allow_insecure_http", false)?,
            max_response_bytes: fields
                .positive_u64("max_response_bytes", DEFAULT_MAX_RESPONSE_BYTES)?,
            bot_password: match fields.take_non_null("bot_password") {
                None => None,
                Some(value) => Some(Credentials::from_json_named(value, "config.bot_password")?),
            },
            cookie_file: match fields.optional_str("cookie_file")? {
                None => None,
                Some("") => return Err(fields.invalid("cookie_file", "is empty")),
                Some(path) => Some(PathBuf::from(path)),
            },
            oauth: None,
            ca_file: match fields.optional_str("ca_file")? {
                None => None,
                Some("") => return Err(fields.invalid("ca_file", "is empty")),
                Some(path) => Some(PathBuf::from(path)),
            },
            proxy: None,
            rest: None,
            max_concurrent_requests: max_concurrent_requests(&mut fields)?,
        };
        config.rest = match fields.optional_str("rest_url")? {
            Some(url) => {
                let rest = ApiUrl::parse_named(url, "config.rest_url")?;
                if rest.https != config.api.https || rest.host != config.api.host {
                    return Err(fields.invalid(
                        "rest_url",
                        "must be on the same scheme and host as api_url (it gets the session's cookies and OAuth header)",
                    ));
                }
                Some(rest)
            }
            None => config
                .api
                .url
                .strip_suffix("api.php")
                .and_then(|base| ApiUrl::parse(&format!("{base}rest.php")).ok()),
        };
        config.proxy = match fields.optional_str("proxy")? {
            None => environment_proxy(&config.api)?,
            Some("none") => None,
            Some(url) => Some(checked_proxy(url, "config.proxy")?),
        };
        let oauth2 = fields.optional_str("oauth2_token")?;
        let oauth1 = fields.take_non_null("oauth1");
        config.oauth = match (oauth2, oauth1) {
            (Some(_), Some(_)) => {
                return Err(Error::of(
                    Code::InvalidValue,
                    "config.oauth2_token and config.oauth1 cannot both be set",
                ));
            }
            (Some(""), None) => return Err(fields.invalid("oauth2_token", "is empty")),
            // It goes into a header as it is: a control or non-ASCII character would fail every
            // request later, with an error that names no token.
            (Some(token), None) if !token.bytes().all(|b| b.is_ascii_graphic()) => {
                return Err(fields.invalid(
                    "oauth2_token",
                    "must be printable ASCII, without spaces or control characters",
                ));
            }
            (Some(token), None) => {
                // The bearer token is a credential from the first request on.
                config.check_credentials_may_be_sent()?;
                Some(OAuth::Bearer(Zeroizing::new(token.to_string())))
            }
            (None, Some(keys)) => Some(OAuth::OAuth1(OAuth1Keys::from_json(keys)?)),
            (None, None) => None,
        };
        if config.oauth.is_some() && config.bot_password.is_some() {
            return Err(Error::of(
                Code::InvalidValue,
                "config.bot_password cannot be combined with OAuth: an OAuth session does not log in",
            ));
        }
        fields.finish()?;
        Ok(config)
    }

    /// Refuses to send credentials over plain http to a host that is not loopback, unless the
    /// configuration allows it.
    pub fn check_credentials_may_be_sent(&self) -> Result<()> {
        // Through a proxy, plain http to a loopback wiki leaves the machine all the same.
        let stays_on_this_machine = self.api.loopback && self.proxy.is_none();
        if self.api.https || stays_on_this_machine || self.allow_insecure_http {
            return Ok(());
        }
        Err(Error::of(
            Code::InsecureHttp,
            format!(
                "refusing to send credentials over plain http to {}: use https, or set allow_insecure_http",
                self.api.host
            ),
        ))
    }
}

/// `max_concurrent_requests`: null, or an integer of at least 1.
fn max_concurrent_requests(fields: &mut Fields<'_>) -> Result<Option<u32>> {
    const KEY: &str = "max_concurrent_requests";
    match fields.take_non_null(KEY) {
        None => Ok(None),
        Some(Value::Number(n)) => match n.as_u64().and_then(|n| u32::try_from(n).ok()) {
            Some(n) if n >= 1 => Ok(Some(n)),
            _ => Err(fields.invalid(KEY, "must be a whole number of at least 1, or null")),
        },
        Some(other) => Err(fields.wrong_type(KEY, "an integer or null", other)),
    }
}

pub fn default_user_agent() -> String {
    format!("mwauth/{}", crate::VERSION)
}

/// The wiki's `api.php` URL, split into what cookies and the credential rule need.
#[derive(Debug, Clone)]
pub struct ApiUrl {
    /// The URL as given, without a query or fragment.
    pub url: String,
    pub https: bool,
    /// Lower-case host name, or the IP address as written (IPv6 without brackets).
    pub host: String,
    pub path: String,
    pub loopback: bool,
}

impl ApiUrl {
    /// Where its requests go, as cookies see it.
    pub fn origin(&self) -> crate::cookies::Origin<'_> {
        crate::cookies::Origin {
            https: self.https,
            host: &self.host,
            path: &self.path,
        }
    }

    pub fn parse(url: &str) -> Result<Self> {
        Self::parse_named(url, "config.api_url")
    }

    /// `parse`, naming the config key `what` in errors.
    pub fn parse_named(url: &str, what: &str) -> Result<Self> {
        let bad = |why: &str| {
            Error::of(
                Code::InvalidValue,
                format!("{what} is not a usable URL: {why}"),
            )
        };
        let uri: Uri = url.parse().map_err(|_| bad("it does not parse"))?;
        let https = match uri.scheme_str() {
            Some("https") => true,
            Some("http") => false,
            _ => return Err(bad("the scheme must be http or https")),
        };
        let host = uri
            .host()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| bad("it has no host"))?;
        if uri.query().is_some() || url.contains('#') {
            return Err(bad("it must not have a query or fragment"));
        }
        if uri.authority().is_some_and(|a| a.as_str().contains('@')) {
            return Err(bad("credentials do not belong in the URL"));
        }
        if uri.authority().is_some_and(|a| !port_is_usable(a.as_str())) {
            return Err(bad("its port must be a number from 1 to 65535"));
        }
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_ascii_lowercase();
        let loopback =
            host == "localhost" || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
        let path = match uri.path() {
            "" => "/".to_string(),
            p => p.to_string(),
        };
        Ok(ApiUrl {
            url: url.to_string(),
            https,
            host,
            path,
            loopback,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use serde_json::json;

    #[test]
    fn defaults() {
        let c = Config::new("https://wiki.example.org/w/api.php").unwrap();
        assert_eq!(c.timeout_ms, 30_000);
        assert_eq!(c.max_retries, 3);
        assert_eq!(c.assert, Assert::User);
        assert!(c.relogin);
        assert_eq!(c.user_agent, format!("mwauth/{}", crate::VERSION));
        assert_eq!(c.api.path, "/w/api.php");
    }

    #[test]
    fn user_agent_gets_library_suffix() {
        let c = Config::from_json(
            &json!({"api_url": "http://localhost/api.php", "user_agent": "Bot/1 (me@x)"}),
        )
        .unwrap();
        assert_eq!(
            c.user_agent,
            format!("Bot/1 (me@x) mwauth/{}", crate::VERSION)
        );
    }

    #[test]
    fn bad_configs_name_the_problem() {
        let cases = [
            (json!({}), "missing_field", "api_url"),
            (json!({"api_url": 3}), "wrong_type", "api_url"),
            (
                json!({"api_url": "ftp://x/api.php"}),
                "invalid_value",
                "scheme",
            ),
            (
                json!({"api_url": "http://x/api.php", "bogus": 1}),
                "unknown_key",
                "bogus",
            ),
            (
                json!({"api_url": "http://x/api.php", "timeout_ms": -1}),
                "invalid_value",
                "timeout_ms",
            ),
            (
                json!({"api_url": "http://x/api.php", "timeout_ms": "5"}),
                "wrong_type",
                "timeout_ms",
            ),
            (
                json!({"api_url": "http://x/api.php", "assert": "anon"}),
                "invalid_value",
                "assert",
            ),
            (
                json!({"api_url": "http://x/api.php", "relogin": 1}),
                "wrong_type",
                "relogin",
            ),
            (
                json!({"api_url": "http://x/api.php", "proxy": "gopher://p:3128"}),
                "invalid_value",
                "proxy",
            ),
            (
                json!({"api_url": "http://x/api.php", "ca_file": ""}),
                "invalid_value",
                "ca_file",
            ),
            (
                json!({"api_url": "http://x/api.php", "bot_password": {"username": "a"}}),
                "missing_field",
                "bot_password.password",
            ),
            (
                json!({"api_url": "http://x/api.php", "cookie_file": 3}),
                "wrong_type",
                "cookie_file",
            ),
            (
                json!({"api_url": "http://x/api.php", "oauth2_token": "t"}),
                "insecure_http",
                "http",
            ),
            (
                json!({"api_url": "https://x/api.php", "oauth2_token": "t", "oauth1": {}}),
                "invalid_value",
                "oauth1",
            ),
            (
                json!({"api_url": "https://x/api.php", "oauth1": {"consumer_key": "k"}}),
                "missing_field",
                "oauth1.consumer_secret",
            ),
            (json!([1]), "wrong_type", "config"),
            // A port the URI parser keeps but cannot read would become port 80 or 443.
            (
                json!({"api_url": "http://x:99999/api.php"}),
                "invalid_value",
                "port",
            ),
            (
                json!({"api_url": "https://x:65536/api.php"}),
                "invalid_value",
                "port",
            ),
            (
                json!({"api_url": "https://x:0/api.php"}),
                "invalid_value",
                "port",
            ),
            (
                json!({"api_url": "http://x/api.php", "proxy": "socks5://p:70000"}),
                "invalid_value",
                "port",
            ),
            (
                json!({"api_url": "https://x/api.php", "user_agent": "B\u{f6}tli/1.0"}),
                "invalid_value",
                "user_agent",
            ),
            (
                json!({"api_url": "https://x/api.php", "oauth2_token": "abc\ndef"}),
                "invalid_value",
                "oauth2_token",
            ),
            (
                json!({"api_url": "https://x/api.php", "oauth2_token": "t\u{f8}ken"}),
                "invalid_value",
                "oauth2_token",
            ),
        ];
        for (value, code, named) in cases {
            let e = Config::from_json(&value).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Argument, "{value}");
            assert_eq!(e.code(), code, "{value}");
            assert!(e.info().contains(named), "{value}: {}", e.info());
        }
        let c =
            Config::from_json(&json!({"api_url": "http://x/api.php", "proxy": "none"})).unwrap();
        assert_eq!(c.proxy, None);
        let c = Config::from_json(
            &json!({"api_url": "http://127.0.0.1/api.php", "proxy": "http://u:pw1@pw2@p:3128"}),
        )
        .unwrap();
        assert!(!format!("{c:?}").contains("pw"), "{c:?}");
        // A loopback wiki reached through a proxy is not loopback for credentials.
        assert_eq!(
            c.check_credentials_may_be_sent().unwrap_err().code(),
            "insecure_http"
        );
    }

    #[test]
    fn credentials_only_over_https_or_loopback() {
        for (url, ok) in [
            ("https://wiki.example.org/api.php", true),
            ("http://127.0.0.1:8080/api.php", true),
            ("http://127.9.0.1/api.php", true),
            ("http://localhost/api.php", true),
            ("http://[::1]:80/api.php", true),
            ("http://wiki.example.org/api.php", false),
            ("http://10.0.0.1/api.php", false),
        ] {
            let c = Config::new(url).unwrap();
            assert_eq!(c.check_credentials_may_be_sent().is_ok(), ok, "{url}");
        }
        let c = Config::from_json(
            &json!({"api_url": "http://wiki.example.org/api.php", "allow_insecure_http": true}),
        )
        .unwrap();
        assert!(c.check_credentials_may_be_sent().is_ok());
    }
}
