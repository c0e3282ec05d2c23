//! mwauth: log in to a MediaWiki wiki and call its Action API as that user.
//!
//! The crate is built for its C ABI (`include/mwauth.h`, implemented in `ffi`); the safe Rust API
//! below it is what the C functions call and what the Rust tests drive:
//!
//! - `config`: the session configuration, checked up front;
//! - `session`: cookies, tokens, identity, API calls with retries and re-login;
//! - `login`: bot-password login with `action=login`;
//! - `clientlogin`: the AuthManager flow of `action=clientlogin`, step by step;
//! - `params`: request building and encoding; `response`: reading the wiki's answers;
//! - `cookies`: the per-session cookie jar; `http`: the shared HTTP agents;
//! - `pool`: the threads that run the C ABI's asynchronous calls.

pub mod clientlogin;
pub mod config;
pub mod cookie_file;
pub mod cookies;
pub mod error;
pub mod ffi;
#[doc(hidden)]
pub mod fuzzing;
mod http;
mod json;
pub mod login;
pub mod oauth;
pub mod params;
mod pool;
mod response;
pub mod session;
#[cfg(test)]
mod test_support;

pub use clientlogin::{ClientLoginRequest, FormValues, MessageFormat};
pub use config::Config;
pub use error::{Error, ErrorKind, Result};
pub use login::Credentials;
pub use params::ApiRequest;
pub use session::{LogLevel, Logger, Session};

/// The crate's version, as `mw_version()` reports it.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
