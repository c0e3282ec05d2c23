//! One HTTP exchange with the wiki, over agents shared by every session of the process.
//!
//! An agent holds the connection pool and the TLS setup, which are costly to build, so sessions
//! with the same transport settings share one. Cookies are not the agent's business (each session
//! has its own jar, see `cookies`), and neither are error statuses: MediaWiki sends `Retry-After`
//! with 503/429 and API errors with non-2xx statuses, so every status comes back as a response.

use crate::config::ProxyUrl;
use crate::error::{Code, Error, Result};
use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::{Duration, Instant};
use ureq::Agent;
use ureq::config::Config as AgentConfig;
use ureq::http::Uri;
use ureq::tls::{Certificate, PemItem, RootCerts, TlsConfig, parse_pem};
use ureq::unversioned::resolver::{ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{DefaultConnector, NextTimeout};

/// What an exchange brought back.
pub struct HttpResponse {
    pub status: u16,
    pub set_cookies: Vec<String>,
    pub retry_after: Option<String>,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

/// A request's body.
pub enum Body<'a> {
    None,
    /// Bytes of one type: a form, a JSON text.
    Bytes {
        content_type: &'a str,
        bytes: &'a [u8],
    },
    /// A stream of a known length (a multipart body, its files read as they are sent).
    Stream {
        content_type: String,
        length: u64,
        reader: Box<dyn io::Read + Send>,
    },
}

/// What to send.
pub struct HttpRequest<'a> {
    /// `GET`, `POST`, or (for the REST API) `PUT`, `PATCH`, `DELETE`.
    pub method: &'static str,
    /// Full URL, query included.
    pub url: &'a str,
    pub body: Body<'a>,
    pub cookie_header: Option<&'a str>,
    /// An OAuth `Authorization` header.
    pub authorization: Option<&'a str>,
    pub user_agent: &'a str,
    pub max_response_bytes: u64,
}

/// Transport settings that decide which shared agent a session uses.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AgentKey {
    pub timeout_ms: u64,
    pub proxy: Option<ProxyUrl>,
    /// PEM text of root certificates trusted besides the built-in ones (`ca_file`).
    pub extra_roots_pem: Option<Vec<u8>>,
}

/// The certificates of a PEM text; an error names `what` when there are none or one is broken.
pub fn parse_certificates(pem: &[u8], what: &str) -> Result<Vec<Certificate<'static>>> {
    let mut certificates = Vec::new();
    for item in parse_pem(pem) {
        match item {
            Ok(PemItem::Certificate(c)) => certificates.push(c.to_owned()),
            Ok(_) => {}
            Err(e) => {
                return Err(Error::of(
                    Code::InvalidValue,
                    format!("{what} holds a broken PEM section: {e}"),
                ));
            }
        }
    }
    if certificates.is_empty() {
        return Err(Error::of(
            Code::InvalidValue,
            format!("{what} holds no PEM certificate"),
        ));
    }
    Ok(certificates)
}

/// The agent for `key`: the one the live sessions with these settings share, or a new one.
///
/// The map holds agents weakly, so an agent and its pooled connections go with the last session
/// that uses it; a program that makes sessions with ever new settings (each its own timeout, say)
/// keeps only what its live sessions use.
pub fn shared_agent(key: &AgentKey) -> Arc<Agent> {
    static AGENTS: OnceLock<Mutex<HashMap<AgentKey, Weak<Agent>>>> = OnceLock::new();
    let agents = AGENTS.get_or_init(Default::default);
    // A poisoned map still holds valid entries: a panic cannot leave it half-written.
    let mut agents = agents
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(agent) = agents.get(key).and_then(Weak::upgrade) {
        return agent;
    }
    // Forget the agents no session uses any more, so the map stays as small as the live set.
    agents.retain(|_, agent| agent.strong_count() > 0);
    let agent = Arc::new(build_agent(key));
    agents.insert(key.clone(), Arc::downgrade(&agent));
    agent
}

fn build_agent(key: &AgentKey) -> Agent {
    let mut builder = AgentConfig::builder()
        .http_status_as_error(false)
        // An API URL does not redirect; following one could carry a POST body elsewhere.
        .max_redirects(0)
        .timeout_global(Some(Duration::from_millis(key.timeout_ms)));
    // Always set: ureq's default would read the environment by rules other than curl's.
    // The URL was checked when the config was read.
    builder = builder.proxy(key.proxy.as_ref().and_then(|p| ureq::Proxy::new(&p.0).ok()));
    if let Some(pem) = &key.extra_roots_pem {
        // RootCerts::Specific replaces the built-in roots: give it both.
        let mut roots: Vec<Certificate<'static>> = webpki_root_certs::TLS_SERVER_ROOT_CERTS
            .iter()
            .map(|der| Certificate::from_der(der.as_ref()))
            .collect();
        roots.extend(parse_certificates(pem, "ca_file").unwrap_or_default());
        builder = builder.tls_config(
            TlsConfig::builder()
                .root_certs(RootCerts::from(roots))
                .build(),
        );
    }
    let config = builder.build();
    Agent::with_parts(
        config,
        DefaultConnector::default(),
        CachingResolver::default(),
    )
}

/// Runs one HTTP exchange. Transport failures map to `MW_ERR_TRANSPORT`, a body over the limit
/// to `MW_ERR_HTTP` `too_large`; every HTTP status is a response.
pub fn exchange(agent: &Agent, request: HttpRequest<'_>) -> Result<HttpResponse> {
    let builder = ureq::http::Request::builder()
        .method(request.method)
        .uri(request.url)
        .header("User-Agent", request.user_agent)
        .header("Accept", "application/json");
    let builder = match request.cookie_header {
        Some(cookies) => builder.header("Cookie", cookies),
        None => builder,
    };
    let builder = match request.authorization {
        Some(authorization) => builder.header("Authorization", authorization),
        None => builder,
    };
    let result = match request.body {
        Body::Bytes {
            content_type,
            bytes,
        } => {
            let http_request = builder
                .header("Content-Type", content_type)
                .body(bytes)
                .map_err(|_| invalid_request())?;
            agent.run(http_request)
        }
        Body::Stream {
            content_type,
            length,
            reader,
        } => {
            // A Content-Length of its own, so ureq sends the stream as it is, not chunked
            // (which PHP's built-in server does not take).
            let http_request = builder
                .header("Content-Type", content_type)
                .header("Content-Length", length)
                .body(ureq::SendBody::from_owned_reader(reader))
                .map_err(|_| invalid_request())?;
            agent.run(http_request)
        }
        Body::None => {
            let http_request = builder.body(()).map_err(|_| invalid_request())?;
            agent.run(http_request)
        }
    };
    let mut response = result.map_err(transport_error)?;
    let status = response.status().as_u16();
    let headers = response.headers();
    let set_cookies = headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_string))
        .collect();
    let retry_after = headers
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_string());
    let content_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = response
        .body_mut()
        .with_config()
        .limit(request.max_response_bytes)
        .read_to_vec()
        .map_err(transport_error)?;
    Ok(HttpResponse {
        status,
        set_cookies,
        retry_after,
        content_type,
        body,
    })
}

fn invalid_request() -> Error {
    Error::of(
        Code::InvalidValue,
        "the request could not be built (a parameter or header is not valid HTTP)",
    )
}

/// Maps ureq's errors to the ABI's transport codes. Messages name no URL: the caller knows it,
/// and a URL with a query could hold what does not belong in an error.
fn transport_error(error: ureq::Error) -> Error {
    let transport = |code: Code, info: String| Error::of(code, info);
    match error {
        ureq::Error::HostNotFound => {
            transport(Code::Dns, "the wiki's host name did not resolve".into())
        }
        ureq::Error::ConnectionFailed => {
            transport(Code::Connect, "could not connect to the wiki".into())
        }
        ureq::Error::Timeout(what) => {
            transport(Code::Timeout, format!("the request timed out ({what})"))
        }
        ureq::Error::Tls(why) => transport(Code::Tls, format!("TLS failed: {why}")),
        ureq::Error::Rustls(why) => transport(Code::Tls, format!("TLS failed: {why}")),
        ureq::Error::BodyExceedsLimit(limit) => Error::of(
            Code::TooLarge,
            format!("the response body is larger than max_response_bytes ({limit} bytes)"),
        ),
        // rustls reports a failed handshake (an unknown issuer, a bad name) as an io::Error.
        ureq::Error::Io(e)
            if e.get_ref()
                .is_some_and(|inner| inner.downcast_ref::<rustls::Error>().is_some()) =>
        {
            transport(Code::Tls, format!("TLS failed: {e}"))
        }
        ureq::Error::Io(e) => match e.kind() {
            io::ErrorKind::ConnectionRefused
            | io::ErrorKind::HostUnreachable
            | io::ErrorKind::NetworkUnreachable => {
                transport(Code::Connect, format!("could not connect to the wiki: {e}"))
            }
            io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => {
                transport(Code::Timeout, format!("the request timed out: {e}"))
            }
            _ => transport(Code::Io, format!("the connection failed: {e}")),
        },
        // Too many headers and headers too large are one condition: an answer over the limits.
        ureq::Error::Protocol(ureq_proto::Error::HttpParseTooManyHeaders)
        | ureq::Error::LargeResponseHeader(..) => Error::of(
            Code::TooLarge,
            "the response headers are too many or too large",
        ),
        ureq::Error::Protocol(e) => {
            transport(Code::Io, format!("the answer was not valid HTTP: {e}"))
        }
        other => transport(Code::Io, format!("the exchange failed: {other}")),
    }
}

/// Resolves IP literals without a lookup and keeps names for a minute.
///
/// ureq's default resolver starts a thread for every request when a timeout is set, even for
/// `127.0.0.1` and even when the request then reuses a kept-alive connection.
#[derive(Debug, Default)]
struct CachingResolver {
    names: Mutex<HashMap<String, (Instant, ResolvedSocketAddrs)>>,
}

const NAME_CACHE_TTL: Duration = Duration::from_secs(60);

impl Resolver for CachingResolver {
    fn resolve(
        &self,
        uri: &Uri,
        config: &AgentConfig,
        timeout: NextTimeout,
    ) -> std::result::Result<ResolvedSocketAddrs, ureq::Error> {
        let host = uri.host().ok_or(ureq::Error::HostNotFound)?;
        let port = uri.port_u16().unwrap_or(match uri.scheme_str() {
            Some("https") => 443,
            _ => 80,
        });
        let literal = host.trim_start_matches('[').trim_end_matches(']');
        if literal.eq_ignore_ascii_case("localhost") {
            // Loopback by definition, and the credential rule relies on it: never ask DNS.
            let mut addrs = self.empty();
            addrs.push(SocketAddr::new(IpAddr::from([127, 0, 0, 1]), port));
            addrs.push(SocketAddr::new(
                IpAddr::from(std::net::Ipv6Addr::LOCALHOST),
                port,
            ));
            return Ok(addrs);
        }
        if let Ok(ip) = literal.parse::<IpAddr>() {
            let mut addrs = self.empty();
            addrs.push(SocketAddr::new(ip, port));
            return Ok(addrs);
        }
        let key = format!("{host}:{port}");
        if let Ok(names) = self.names.lock()
            && let Some((at, addrs)) = names.get(&key)
            && at.elapsed() < NAME_CACHE_TTL
        {
            return Ok(addrs.clone());
        }
        let addrs = resolve_with_timeout(&key, timeout)?;
        let mut resolved = self.empty();
        for addr in config.ip_family().keep_wanted(addrs.into_iter()).take(16) {
            resolved.push(addr);
        }
        if resolved.is_empty() {
            return Err(ureq::Error::HostNotFound);
        }
        if let Ok(mut names) = self.names.lock() {
            names.insert(key, (Instant::now(), resolved.clone()));
        }
        Ok(resolved)
    }
}

/// getaddrinfo has no timeout of its own: a lookup runs on a thread we stop waiting for.
fn resolve_with_timeout(
    host_port: &str,
    timeout: NextTimeout,
) -> std::result::Result<Vec<SocketAddr>, ureq::Error> {
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    let owned = host_port.to_string();
    std::thread::spawn(move || {
        let _ = tx.send(owned.to_socket_addrs().map(|a| a.collect::<Vec<_>>()));
    });
    let wait = if timeout.after.is_not_happening() {
        Duration::from_secs(3600)
    } else {
        *timeout.after
    };
    match rx.recv_timeout(wait) {
        Ok(Ok(addrs)) => Ok(addrs),
        Ok(Err(_)) => Err(ureq::Error::HostNotFound),
        Err(_) => Err(ureq::Error::Timeout(ureq::Timeout::Resolve)),
    }
}
