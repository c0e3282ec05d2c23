//! mwauth: log in to a MediaWiki wiki and call its Action API as that user.
//!
//! The crate is built for its C ABI (`include/mwauth.h`, implemented in `ffi`); the safe Rust API
//! below it is what the C functions call and what the Rust tests drive. Modules depend downward
//! only, in these layers:
//!
//! 1. `ffi`, the C boundary, and `pool`, the threads of its asynchronous calls;
//! 2. `session`: when to log in (and again), what requests assert, the AuthManager operations;
//!    `state` holds what the session knows of itself and is its only writer;
//! 3. `flows`: bot-password login (`flows::botlogin`) and AuthManager (`flows::auth`), code over
//!    the client that returns what happened;
//! 4. `client`: the Action API's wire conventions, cookies in and out, tokens, retries; `gate`
//!    and `log`: the session's gate and its log callback;
//! 5. the formats: `params`, `response`, `cookies`, `cookie_file`, `oauth`, `credentials`,
//!    `config`, `json`, `error`, and `http`, the shared HTTP agents.

mod client;
pub mod config;
pub mod cookie_file;
pub mod cookies;
pub mod credentials;
pub mod error;
pub mod ffi;
pub mod flows;
#[doc(hidden)]
pub mod fuzzing;
mod gate;
mod http;
mod json;
pub mod log;
pub mod multipart;
pub mod oauth;
pub mod params;
mod pool;
mod response;
pub mod rest;
pub mod session;
mod slots;
mod state;
#[cfg(test)]
mod test_support;

pub use config::Config;
pub use credentials::Credentials;
pub use error::{Error, ErrorKind, Result};
pub use flows::auth::{
    AuthRequest, ClientLoginRequest, FieldsOptions, FormValues, MessageFormat, Purpose,
};
pub use log::{LogLevel, Logger};
pub use params::ApiRequest;
pub use session::Session;
pub use state::AuthKind;

/// The crate's version, as `mw_version()` reports it.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
