//! The C ABI. Every `extern "C"` function and every `unsafe` block of the crate lives here; the
//! rest is safe Rust that knows nothing about C.
//!
//! Each function checks its pointers, converts C strings and JSON, calls the safe `Session` API
//! inside a panic boundary, and hands back JSON in a string the caller frees with
//! `mw_string_free`.

#![allow(non_camel_case_types)]

use crate::config::Config;
use crate::credentials::Credentials;
use crate::error::{Code, Error, ErrorKind, Result};
use crate::flows::auth::{
    AuthRequest, ClientLoginRequest, FieldsOptions, FormValues, MessageFormat,
};
use crate::flows::upload::UploadRequest;
use crate::log::{LogLevel, Logger};
use crate::params::ApiRequest;
use crate::pool::{self, Calls, Start};
use crate::rest::RestRequest;
use crate::session::Session;
use serde_json::Value;
use std::cell::RefCell;
use std::ffi::{CStr, CString, c_char, c_int, c_void};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::ptr;
use std::sync::Arc;

/// A session with one wiki: its cookies, tokens and login. Create it with mw_session_new(),
/// release it with mw_session_free(). Programs only ever hold a pointer to it.
pub struct mw_session {
    /// Shared with the asynchronous calls in flight, which may outlive the handle by the end of
    /// their callback when one of them frees it.
    session: Arc<Session>,
    calls: Arc<Calls>,
}

/// The outcome of a call. Numbers are part of the ABI and never change or get reused.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum mw_result {
    /// Success. For clientlogin also the statuses UI and REDIRECT: read "status".
    MW_OK = 0,
    /// The caller's input is unusable: NULL, invalid UTF-8, malformed JSON, a missing, ill-typed
    /// or unknown field, or credentials that would travel over plain http ("insecure_http").
    MW_ERR_ARGUMENT = 1,
    /// The call does not fit the session's state.
    MW_ERR_STATE = 2,
    /// No HTTP answer: DNS ("dns"), connect ("connect"), TLS ("tls"), timeout ("timeout"),
    /// a reset connection or truncated body ("io").
    MW_ERR_TRANSPORT = 3,
    /// An HTTP answer that is not an API response: an error status without an API error body
    /// ("http_status", after retries), a body that is not JSON ("not_json"), a body larger than
    /// max_response_bytes ("too_large").
    MW_ERR_HTTP = 4,
    /// The API answered with an error; MediaWiki's error object is passed through.
    MW_ERR_API = 5,
    /// The wiki refused a login: the "code" is action=login's result (Failed, WrongToken,
    /// NeedToken, Aborted) and "reason" MediaWiki's reason code (wrongpassword, ...).
    MW_ERR_LOGIN = 6,
    /// A bug in the library: a caught panic ("panic") or a poisoned lock ("poisoned").
    MW_ERR_INTERNAL = 99,
}

impl From<ErrorKind> for mw_result {
    fn from(kind: ErrorKind) -> Self {
        match kind {
            ErrorKind::Argument => mw_result::MW_ERR_ARGUMENT,
            ErrorKind::State => mw_result::MW_ERR_STATE,
            ErrorKind::Transport => mw_result::MW_ERR_TRANSPORT,
            ErrorKind::Http => mw_result::MW_ERR_HTTP,
            ErrorKind::Api => mw_result::MW_ERR_API,
            ErrorKind::Login => mw_result::MW_ERR_LOGIN,
            ErrorKind::Internal => mw_result::MW_ERR_INTERNAL,
        }
    }
}

/// A log callback: `level` is 10 (debug: one line per HTTP exchange), 20 (info: retries, waits,
/// re-logins) or 30 (warning: dropped sessions, refused credentials); `message` is valid only
/// during the call. It runs on the thread that made the call, possibly on several threads at
/// once. It is never called while the library holds a lock of the session (lines raised under
/// one wait until it is released, within the same call), so it may wait for another thread's
/// call on the session, or call the session's functions itself, except mw_session_free. It must
/// return normally (no longjmp, no C++ exception through it).
pub type mw_log_fn =
    Option<unsafe extern "C" fn(userdata: *mut c_void, level: c_int, message: *const c_char)>;

fn panic_error() -> Error {
    Error::of(
        Code::Panic,
        "mwauth hit a bug (a Rust panic was caught at the C boundary); please report it",
    )
}

/// What a function hands back: a JSON value, or JSON text the wiki already wrote (`mw_request`
/// passes the wiki's answer through as it came, rather than rebuilding it).
trait JsonOutput {
    fn into_json_text(self) -> String;
}

impl JsonOutput for Value {
    fn into_json_text(self) -> String {
        self.to_string()
    }
}

impl JsonOutput for String {
    fn into_json_text(self) -> String {
        self
    }
}

/// Writes JSON text as a new C string to `*out` when `out` is not NULL.
///
/// The string is malloc'd and released with free() by mw_string_free, so a caller may write into
/// it (strtok, a NUL to cut it short) before freeing it, as C programs do with such buffers.
///
/// # Safety
/// `out` is NULL or valid for writing one pointer.
unsafe fn write_json(out: *mut *mut c_char, text: String) -> bool {
    if out.is_null() {
        return true;
    }
    let bytes = text.as_bytes();
    // SAFETY: malloc has no preconditions; the result is checked for NULL below.
    let buffer = unsafe { libc::malloc(bytes.len() + 1) }.cast::<u8>();
    if !buffer.is_null() {
        // SAFETY: the buffer holds bytes.len() + 1 bytes and does not overlap `bytes`. JSON has
        // no raw NUL (control characters are escaped, and a wiki's answer was checked to be
        // JSON), so the terminator is the only one.
        unsafe {
            ptr::copy_nonoverlapping(bytes.as_ptr(), buffer, bytes.len());
            *buffer.add(bytes.len()) = 0;
        }
    }
    // SAFETY: the caller guarantees `out` is valid for writes. Out of memory leaves it NULL.
    unsafe { *out = buffer.cast::<c_char>() };
    !buffer.is_null()
}

/// Runs `body` with panics caught, writes its JSON result or error to `out`, returns the code.
///
/// # Safety
/// `out` is NULL or valid for writing one pointer.
unsafe fn run<T: JsonOutput>(out: *mut *mut c_char, body: impl FnOnce() -> Result<T>) -> mw_result {
    let (code, text) = match catch_unwind(AssertUnwindSafe(|| body().map(T::into_json_text))) {
        Ok(Ok(text)) => (mw_result::MW_OK, text),
        Ok(Err(error)) => (error.kind().into(), error.to_json().to_string()),
        Err(_) => (
            mw_result::MW_ERR_INTERNAL,
            panic_error().to_json().to_string(),
        ),
    };
    // SAFETY: forwarded from the caller.
    let written = unsafe { write_json(out, text) };
    // No memory for the answer: the call cannot report success with *out_json NULL.
    if written {
        code
    } else {
        mw_result::MW_ERR_INTERNAL
    }
}

/// Borrows a C string argument as UTF-8.
///
/// # Safety
/// `s` is NULL or points to a NUL-terminated string that stays valid for `'a`.
unsafe fn str_arg<'a>(s: *const c_char, name: &str) -> Result<&'a str> {
    if s.is_null() {
        return Err(Error::of(Code::NullArgument, format!("{name} is NULL")));
    }
    // SAFETY: not NULL, and NUL-terminated by the caller's contract.
    let bytes = unsafe { CStr::from_ptr(s) };
    bytes
        .to_str()
        .map_err(|_| Error::of(Code::InvalidUtf8, format!("{name} is not valid UTF-8")))
}

/// Parses a C string argument as JSON.
///
/// # Safety
/// As for `str_arg`.
unsafe fn json_arg(s: *const c_char, name: &str) -> Result<Value> {
    // SAFETY: forwarded from the caller.
    let text = unsafe { str_arg(s, name) }?;
    serde_json::from_str(text)
        .map_err(|e| Error::of(Code::InvalidJson, format!("{name} is not valid JSON: {e}")))
}

/// Borrows the session behind a handle.
///
/// # Safety
/// `s` is NULL or a handle from `mw_session_new` not yet freed.
unsafe fn session_arg<'a>(s: *const mw_session) -> Result<&'a Session> {
    // SAFETY: a non-NULL handle points to a live mw_session by the caller's contract.
    unsafe { s.as_ref() }
        .map(|handle| &*handle.session)
        .ok_or_else(|| Error::of(Code::NullArgument, "session is NULL"))
}

/// The shape of most functions: a session, one JSON argument checked by `parse`, then `call`.
///
/// # Safety
/// As for `session_arg`, `json_arg` and `run`.
unsafe fn session_call<T, O: JsonOutput>(
    session: *mut mw_session,
    argument: *const c_char,
    argument_name: &str,
    out_json: *mut *mut c_char,
    parse: impl FnOnce(&Value) -> Result<T>,
    call: impl FnOnce(&Session, T) -> Result<O>,
) -> mw_result {
    // SAFETY: forwarded from the caller.
    unsafe {
        run(out_json, || {
            let session = session_arg(session)?;
            let argument = parse(&json_arg(argument, argument_name)?)?;
            call(session, argument)
        })
    }
}

/// The library's version as one number, 0xMMmmpp: MWAUTH_VERSION_NUMBER of the built library
/// (the header's macro is the version compiled against), for bindings, which see no macros.
#[unsafe(no_mangle)]
pub extern "C" fn mw_version_number() -> c_int {
    const fn number(text: &str) -> c_int {
        let (bytes, mut i, mut n) = (text.as_bytes(), 0, 0);
        while i < bytes.len() {
            n = n * 10 + (bytes[i] - b'0') as c_int;
            i += 1;
        }
        n
    }
    const NUMBER: c_int = number(env!("CARGO_PKG_VERSION_MAJOR")) << 16
        | number(env!("CARGO_PKG_VERSION_MINOR")) << 8
        | number(env!("CARGO_PKG_VERSION_PATCH"));
    NUMBER
}

/// See the declaration in the header's trailer (cbindgen.toml): `mw_result` there, an int here,
/// since a C caller may pass a value the enum does not have.
#[unsafe(no_mangle)]
pub extern "C" fn mw_result_name(result: c_int) -> *const c_char {
    let name: &'static CStr = match result {
        0 => c"MW_OK",
        1 => c"MW_ERR_ARGUMENT",
        2 => c"MW_ERR_STATE",
        3 => c"MW_ERR_TRANSPORT",
        4 => c"MW_ERR_HTTP",
        5 => c"MW_ERR_API",
        6 => c"MW_ERR_LOGIN",
        99 => c"MW_ERR_INTERNAL",
        _ => c"MW_UNKNOWN",
    };
    name.as_ptr()
}

/// The library's version, "MAJOR.MINOR.PATCH". The string is static: never free it.
#[unsafe(no_mangle)]
pub extern "C" fn mw_version() -> *const c_char {
    const VERSION_C: &CStr =
        match CStr::from_bytes_with_nul(concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes()) {
            Ok(s) => s,
            Err(_) => panic!("the version has no NUL"),
        };
    VERSION_C.as_ptr()
}

/// Creates a session from a JSON config object. Makes no network request. Keys (only "api_url"
/// is required; an unknown key is MW_ERR_ARGUMENT "unknown_key"):
///
///   api_url             string: the wiki's api.php URL, http or https (a port, if given, from 1
///                       to 65535)
///   user_agent          string of printable ASCII: sent as User-Agent, with " mwauth/VERSION"
///                       appended
///   timeout_ms          integer, 30000: per HTTP request, connect to last byte
///   maxlag              integer or null: sent as maxlag on every request
///   max_retries         integer, 3: retries after maxlag errors and HTTP 429/503, waiting what
///                       Retry-After says (1 s, 2 s, 4 s, ... without one)
///   max_retry_wait_ms   integer, 120000: the longest single wait; a longer one fails at once
///                       with "retry_after" in the error
///   assert              "user" (default), "bot" or "none": sent on the caller's requests once
///                       logged in (a caller's own assert parameter wins)
///   relogin             boolean, true: when the wiki has dropped the session, log in again with
///                       the stored credentials (last mw_login, or bot_password) and retry once
///   bot_password        {"username", "password"} or null: logs in before the first request and
///                       for every re-login; never echoed back
///   cookie_file         string or null: a Netscape cookies.txt file (as curl -b/-c and Python's
///                       MozillaCookieJar read it), loaded here when it exists and rewritten
///                       atomically with mode 0600 whenever the cookies change; a session resumed
///                       from it reports "auth": "cookies" and makes no request of its own.
///                       Session cookies are written with expiry 0, as curl writes them: load the
///                       file in Python with MozillaCookieJar.load(ignore_discard=True,
///                       ignore_expires=True). The session keeps at most 50 cookies per domain
///                       and 3000 in all (RFC 6265's minimums), the file's included; at a limit
///                       the oldest cookie that is not one of MediaWiki's login cookies
///                       (_session, _BPsession, UserID, UserName, Token) makes way. Temporary
///                       files a killed writer left beside the file are removed when it loads
///   allow_insecure_http boolean, false: allow credentials over plain http to a host that is not
///                       loopback
///   max_response_bytes  integer, 67108864: larger bodies fail with MW_ERR_HTTP "too_large"
///   oauth2_token        string or null: an owner-only OAuth 2 token (Authorization: Bearer),
///                       printable ASCII without spaces
///   oauth1              {consumer_key, consumer_secret, access_token, access_secret} or null:
///                       every request signed with OAuth 1.0a HMAC-SHA1
///   ca_file             string or null: PEM root certificates trusted besides the built-in ones
///   proxy               string or null: an http, https, socks4, socks4a, socks5 or socks5h proxy
///                       URL (socks5h: the proxy resolves the wiki's name); null: the
///                       environment's HTTPS_PROXY / HTTP_PROXY / ALL_PROXY / NO_PROXY, as curl
///                       does; "none": no proxy
///   rest_url            string or null: the wiki's rest.php (same scheme and host as api_url);
///                       null: beside api_url when it ends in api.php
///   max_concurrent_requests integer >= 1 or null: at most that many HTTP requests of the
///                       session at once (its own token and login requests included), the others
///                       let through in the order they came; a request waiting out a Retry-After
///                       gives its slot up meanwhile. null: no limit
///
/// Returns the new session, or NULL on failure. When `error_json` is not NULL it is always set:
/// to NULL on success, or to {"error": {"code", "info"}, "result": N} on failure, where N is the
/// mw_result of the failure (usually MW_ERR_ARGUMENT); free it with mw_string_free().
///
/// # Safety
/// `config_json` is NULL or NUL-terminated; `error_json` is NULL or points to writable storage
/// for one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mw_session_new(
    config_json: *const c_char,
    error_json: *mut *mut c_char,
) -> *mut mw_session {
    let made = catch_unwind(AssertUnwindSafe(|| -> Result<Box<mw_session>> {
        // SAFETY: config_json is NULL or a NUL-terminated string (the function's contract).
        let config = Config::from_json(&unsafe { json_arg(config_json, "config_json") }?)?;
        Ok(Box::new(mw_session {
            session: Arc::new(Session::new(config)?),
            calls: Calls::new(),
        }))
    }));
    let error = match made {
        Ok(Ok(session)) => {
            if !error_json.is_null() {
                // SAFETY: error_json is valid for writes (the function's contract).
                unsafe { *error_json = ptr::null_mut() };
            }
            return Box::into_raw(session);
        }
        Ok(Err(error)) => error,
        Err(_) => panic_error(),
    };
    // SAFETY: error_json is NULL or valid for writes (the function's contract).
    unsafe { write_json(error_json, error.to_json_with_result().to_string()) };
    ptr::null_mut()
}

/// Releases a session and everything it holds. NULL does nothing. Must not race with any other
/// synchronous call on the same session.
///
/// Returns only once every asynchronous call of the session has called its `done`: running
/// ones finish their work; ones that had not started get MW_ERR_STATE, code "closed", at once.
/// Do not call it from inside a `done` of the same session (this library then frees the session
/// once that `done` returns, rather than deadlock, but the contract does not promise it). From an
/// event loop whose thread runs the `done` callbacks (Node.js, asyncio), wait for every pending
/// call first: freeing would otherwise wait for callbacks that wait for the loop.
///
/// # Safety
/// `session` is NULL or a live handle from mw_session_new(), not used again afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mw_session_free(session: *mut mw_session) {
    if session.is_null() {
        return;
    }
    // SAFETY: a non-NULL handle came from Box::into_raw in mw_session_new and is freed once.
    let session = unsafe { Box::from_raw(session) };
    // Runs no code that could panic but the pool's; the guard only keeps the promise anyway.
    let _ = catch_unwind(AssertUnwindSafe(move || {
        session.calls.close_and_wait();
        drop(session)
    }));
}

/// Releases a string returned by this library. NULL does nothing. The caller may have written
/// into the string (it is the caller's until freed), but must not free it any other way.
///
/// # Safety
/// `s` is NULL or a string returned by this library, not freed before.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mw_string_free(s: *mut c_char) {
    // SAFETY: every string this library hands out comes from libc::malloc (write_json), and
    // free(NULL) does nothing.
    unsafe { libc::free(s.cast()) };
}

/// Logs in with a bot password ("User@appid" and its 32-character password), with
/// action=login: one login-token request and one POST, from a fresh wiki session.
/// credentials_json: {"username": "...", "password": "..."}.
///
/// On MW_OK, out: {"status": "PASS", "username", "userid", "warnings"?}. On MW_ERR_LOGIN, the
/// error's "code" is MediaWiki's result (Failed, WrongToken, NeedToken, Aborted) and "reason" its
/// reason code (wrongpassword, login-throttled, ...). A failed login leaves the session anonymous
/// with no stored credentials. Exclusive: waits for the session's running requests to finish.
///
/// # Safety
/// `session` is NULL or a live handle from mw_session_new(); string arguments are NULL or
/// NUL-terminated; `out_json` is NULL or points to writable storage for one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mw_login(
    session: *mut mw_session,
    credentials_json: *const c_char,
    out_json: *mut *mut c_char,
) -> mw_result {
    // SAFETY: pointers are NULL or valid, per the function's contract.
    unsafe {
        session_call(
            session,
            credentials_json,
            "credentials_json",
            out_json,
            Credentials::from_json,
            |s, c| s.login(&c),
        )
    }
}

/// What a login form must ask: one GET meta=authmanagerinfo|tokens. `options_json` is NULL,
/// "null" or {"messageformat": "html"|"wikitext"|"raw"|"none"} (default wikitext).
///
/// On MW_OK, out is MediaWiki's authmanagerinfo object: "requests" and merged "fields" (name ->
/// {type, label, help, optional, sensitive, value?, options?}), so a program can render any wiki's
/// form: username and password, a captcha (captchaId, captchaWord, captchaInfo), remember-me,
/// and whatever extensions add. The login token it returns is kept for the next
/// mw_clientlogin(). A logged-in session is logged out of first (locally): a flow logs in anew.
///
/// # Safety
/// `session` is NULL or a live handle from mw_session_new(); string arguments are NULL or
/// NUL-terminated; `out_json` is NULL or points to writable storage for one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mw_clientlogin_fields(
    session: *mut mw_session,
    options_json: *const c_char,
    out_json: *mut *mut c_char,
) -> mw_result {
    // SAFETY: pointers are NULL or valid, per the function's contract.
    unsafe {
        run(out_json, || {
            let session = session_arg(session)?;
            let options = if options_json.is_null() {
                None
            } else {
                Some(json_arg(options_json, "options_json")?)
            };
            session.clientlogin_fields(MessageFormat::from_options(options.as_ref())?)
        })
    }
}

/// Starts the AuthManager login (action=clientlogin) with the form's fields:
/// {"username": ..., "password": ..., "captchaWord": ..., "rememberMe": true, ...}, optionally
/// "returnurl" (sent as loginreturnurl; default: the api_url) and "preservestate": true. Field
/// values are strings, booleans for checkboxes (false leaves the field out), or arrays of
/// strings for a multiselect (sent as NAME[] once per value). Hidden fields of the last form
/// fetched are sent back unless overridden; a captcha id is used once. Field
/// names the library sends itself (action, format, formatversion, errorformat, maxlag, assert,
/// logintoken, logincontinue, loginreturnurl, loginpreservestate, loginmergerequestfields,
/// loginmessageformat, loginrequests) are MW_ERR_ARGUMENT.
///
/// Out: MediaWiki's clientlogin object. "status" PASS, UI or REDIRECT returns MW_OK (UI and
/// REDIRECT carry "requests" and merged "fields" to ask next; REDIRECT carries
/// "redirecttarget"). FAIL and RESTART return MW_ERR_LOGIN with the same object plus
/// "error": {"code": messagecode, "info": message}; after FAIL the output also holds the form as
/// the wiki now wants it ("fields", "requests": a captcha may appear only now). After PASS the
/// session is logged in ("auth": "clientlogin") and mw_request() works as that user. Exclusive.
///
/// # Safety
/// `session` is NULL or a live handle from mw_session_new(); string arguments are NULL or
/// NUL-terminated; `out_json` is NULL or points to writable storage for one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mw_clientlogin(
    session: *mut mw_session,
    request_json: *const c_char,
    out_json: *mut *mut c_char,
) -> mw_result {
    // SAFETY: pointers are NULL or valid, per the function's contract.
    unsafe {
        session_call(
            session,
            request_json,
            "request_json",
            out_json,
            ClientLoginRequest::from_json,
            |s, r| s.clientlogin(&r),
        )
    }
}

/// Continues a clientlogin after UI or REDIRECT (logincontinue=1) with the next fields, e.g.
/// {"OATHToken": "123456"}, or the query parameters the third party appended to the return URL.
/// Same outputs as mw_clientlogin(); a wrong two-factor code comes back as another UI (messagecode
/// oathauth-login-failed), so the caller can ask again. With no flow in progress (never started,
/// or ended by PASS, FAIL or RESTART; or a create or link flow, which mw_auth_continue()
/// continues): MW_ERR_STATE, code "no_flow". mw_clientlogin_fields(), mw_clientlogin() and this
/// function are the "login" case of mw_auth_fields(), mw_auth_begin() and mw_auth_continue().
/// Exclusive.
///
/// # Safety
/// `session` is NULL or a live handle from mw_session_new(); string arguments are NULL or
/// NUL-terminated; `out_json` is NULL or points to writable storage for one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mw_clientlogin_step(
    session: *mut mw_session,
    fields_json: *const c_char,
    out_json: *mut *mut c_char,
) -> mw_result {
    // SAFETY: pointers are NULL or valid, per the function's contract.
    unsafe {
        session_call(
            session,
            fields_json,
            "fields_json",
            out_json,
            FormValues::from_json,
            |s, f| s.clientlogin_step(&f),
        )
    }
}

/// What the form of an AuthManager operation must ask: one GET meta=authmanagerinfo|tokens
/// with amirequestsfor=PURPOSE and the purpose's token, kept for the next mw_auth_begin() of the
/// same purpose. `options_json` is NULL, "null" or {"purpose": "login"|"create"|"link"|"change"|
/// "remove"|"unlink" (default "login"), "messageformat": "html"|"wikitext"|"raw"|"none"}.
///
/// On MW_OK, out is MediaWiki's authmanagerinfo object ("requests", merged "fields",
/// "haspreservedstate", "hasprimarypreservedstate", "preservedusername", ...) plus
/// "canpreservestate": whether "preservestate": true would add state the wiki kept from a
/// FAIL or RESTART (after a RESTART it is true for "create", and for "login" on a wiki that
/// links on login). For "change", "remove" and
/// "unlink", each of "requests" names an AuthenticationRequest "id" that mw_auth_begin()'s
/// "request" takes. "login" first logs a logged-in session out (locally), as
/// mw_clientlogin_fields() does; "link", "change", "remove" and "unlink" need a session that is
/// logged in (MW_ERR_STATE "not_logged_in", before any request). Exclusive.
///
/// # Safety
/// `session` is NULL or a live handle from mw_session_new(); string arguments are NULL or
/// NUL-terminated; `out_json` is NULL or points to writable storage for one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mw_auth_fields(
    session: *mut mw_session,
    options_json: *const c_char,
    out_json: *mut *mut c_char,
) -> mw_result {
    // SAFETY: pointers are NULL or valid, per the function's contract.
    unsafe {
        run(out_json, || {
            let session = session_arg(session)?;
            let options = if options_json.is_null() {
                None
            } else {
                Some(json_arg(options_json, "options_json")?)
            };
            session.auth_fields(FieldsOptions::from_json(options.as_ref())?)
        })
    }
}

/// The first step of an AuthManager operation: {"purpose": P (default "login"), "fields":
/// {...}, "returnurl": URL, "preservestate": true, "request": ID}, posted to P's module:
///
///   purpose  module                     token           continues with
///   login    clientlogin                login           logincontinue
///   create   createaccount              createaccount   createcontinue
///   link     linkaccount                csrf            linkcontinue
///   change   changeauthenticationdata   csrf            -
///   remove   removeauthenticationdata   csrf            -
///   unlink   unlinkaccount              csrf            -
///
/// Parameters are spelled as MediaWiki's modules take them: createtoken, createreturnurl,
/// createpreservestate, linktoken, linkreturnurl, changeauthtoken, changeauthrequest, and plain
/// token and request for remove and unlink. "fields" are as for mw_clientlogin() (strings,
/// booleans for checkboxes, arrays of strings for a multiselect; the hidden fields of the last
/// form fetched for the same purpose are sent back, a captcha id once; fetching a form does not
/// end the flow in progress). "returnurl" (default: the api_url) is for login, create and
/// link; "preservestate" for login and create; "request", the AuthenticationRequest id from
/// mw_auth_fields(), is required for change, remove and unlink and refused elsewhere: each
/// misfit is MW_ERR_ARGUMENT "invalid_value" before any request. Beginning an operation ends the
/// flow in progress, if any (one flow at a time).
///
/// Out: MediaWiki's module object. PASS, UI and REDIRECT return MW_OK (UI and REDIRECT are
/// continued with mw_auth_continue()); FAIL and RESTART return MW_ERR_LOGIN with "error":
/// {"code": messagecode, "info": message} added, and after a FAIL the form as the wiki now wants
/// it ("fields", "requests"). Every FAIL or RESTART replaces what the wiki preserved: a wrong
/// password after a RESTART loses it. change, remove and unlink answer {"status": "success"}
/// (MW_OK); their refusals (badrequest, ...) are MW_ERR_API. A login PASS logs the session in
/// as mw_clientlogin() does; a create PASS does not (MediaWiki's API does not) and carries the
/// new account's "username". link, change, remove and unlink need a logged-in session
/// (MW_ERR_STATE "not_logged_in" before any request). A bot-password session counts as logged
/// in: whether it may change the account's password is the wiki's decision (MediaWiki allows it
/// by default, as such a session cannot re-authenticate), so keep bot passwords from programs
/// that must not. Exclusive.
///
/// What MediaWiki does, where the 0.2 contract's words say otherwise (1.39 and 1.43 alike):
/// after a RESTART the create form still lists the password fields, its password request
/// "required": "primary-required" (the preserved third-party request is the primary one), so a
/// create with "preservestate" needs a "username" (and the captcha) but no password. A login with
/// "preservestate" links the third-party identity only through MediaWiki's
/// ConfirmLinkSecondaryAuthenticationProvider (off by default): it answers UI with a
/// "confirmedLinkIDs" field, and the link is made by the mw_auth_continue() that sends it. 1.43
/// refuses change, remove and link to a bot-password session ("permissiondenied"; 1.39 allows
/// them), and a change, remove or unlink ends the account's bot passwords.
///
/// # Safety
/// `session` is NULL or a live handle from mw_session_new(); string arguments are NULL or
/// NUL-terminated; `out_json` is NULL or points to writable storage for one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mw_auth_begin(
    session: *mut mw_session,
    request_json: *const c_char,
    out_json: *mut *mut c_char,
) -> mw_result {
    // SAFETY: pointers are NULL or valid, per the function's contract.
    unsafe {
        session_call(
            session,
            request_json,
            "request_json",
            out_json,
            AuthRequest::from_json,
            |s, r| s.auth_begin(&r),
        )
    }
}

/// Continues the AuthManager flow in progress (login, create or link) after UI or REDIRECT,
/// with the next fields: {"OATHToken": "123456"}, or the query parameters the third party
/// appended to the return URL. Same outputs as mw_auth_begin(). With no flow in progress (never
/// begun, or ended by PASS, FAIL or RESTART): MW_ERR_STATE "no_flow", before any request.
/// Exclusive.
///
/// # Safety
/// `session` is NULL or a live handle from mw_session_new(); string arguments are NULL or
/// NUL-terminated; `out_json` is NULL or points to writable storage for one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mw_auth_continue(
    session: *mut mw_session,
    fields_json: *const c_char,
    out_json: *mut *mut c_char,
) -> mw_result {
    // SAFETY: pointers are NULL or valid, per the function's contract.
    unsafe {
        session_call(
            session,
            fields_json,
            "fields_json",
            out_json,
            FormValues::from_json,
            |s, f| s.auth_continue(&f),
        )
    }
}

/// Any Action API call as the session's user:
/// {"params": {...}, "method": "GET"|"POST", "token": "csrf", "token_param": "token",
///  "files": {...}, "continue": true, "max_batches": 50}.
///
/// format=json and formatversion=2 are always sent; once logged in, the session's "assert" too.
///
/// "files": {"PARAM": {"path": "/local/file"} or {"data_base64": "..."}, each with optional
/// "filename" (default: the path's file name, or PARAM) and "content_type" (default
/// application/octet-stream)} makes the request a multipart/form-data POST (the parameters as
/// text parts, then the files), the only way MediaWiki's action=upload takes a file. A file is
/// streamed from disk as the request is sent (and opened again for a retry), never read whole
/// into memory; it must be a regular file that can be opened when the request is checked. With
/// OAuth 1.0a, no multipart body parameter is signed (RFC 5849 3.4.1.3.1).
///
/// "continue": true follows MediaWiki's continue protocol: the request is sent again with each
/// answer's "continue" members (replacing the previous ones) until an answer has none or
/// "max_batches" (default 50) answers are in. Out: {"batches": [answer, ...]}; when max_batches
/// stopped it, the last answer's "continue" says where to resume. An error ends it (the batches
/// so far are not returned).
///
/// Temporary accounts (MediaWiki 1.42+) pass assert=user. So once the session knows its user's
/// name (from a login, from bot_password's name before the "@", or, for a session resumed from
/// cookie_file, from the first meta=userinfo answer), assertuser=NAME goes beside any assert=user
/// or assert=bot, unless the caller sent its own assertuser. When the library's own assertuser
/// fails (assertnameduserfailed: the cookies became another account's, a temporary one
/// included), the session counts as dropped: log in again, retry. A caller's own assertuser
/// failing is only the caller's error. An answer that created a temporary account
/// (tempusercreated) never makes it the session's user.
///
/// With "token", the token is fetched when first needed, cached, sent in the POST body, and
/// refreshed on badtoken (up to three times: MediaWiki creates a session's token secret on first
/// use and saves it when the request ends, so concurrent first requests of a new wiki session
/// can each save one of their own and refuse a token fetched meanwhile); a token, or a parameter named like a secret (ending in "token",
/// or holding "password"), is only ever sent in a POST body, so "method": "GET" with one is
/// MW_ERR_ARGUMENT. Parameters over 6000 bytes URL-encoded go as POST when "method" is left out
/// (servers refuse long URLs), and are MW_ERR_ARGUMENT with "method": "GET", before any request.
/// maxlag, HTTP 429 and 503 are retried as configured. When the wiki has dropped the session,
/// the library logs in again once and retries. On MW_OK, out is the API's
/// response; on MW_ERR_API, {"error": <MediaWiki's error object>}.
///
/// # Safety
/// `session` is NULL or a live handle from mw_session_new(); string arguments are NULL or
/// NUL-terminated; `out_json` is NULL or points to writable storage for one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mw_request(
    session: *mut mw_session,
    request_json: *const c_char,
    out_json: *mut *mut c_char,
) -> mw_result {
    // SAFETY: pointers are NULL or valid, per the function's contract.
    unsafe {
        session_call(
            session,
            request_json,
            "request_json",
            out_json,
            ApiRequest::from_json,
            |s, r| s.request_text(&r),
        )
    }
}

/// Uploads a file: {"filename": "Target.png", "path": "/local/file.png", "text": "page text",
/// "comment": "...", "ignorewarnings": false, "chunk_bytes": 1048576}. A file of up to
/// chunk_bytes goes in one multipart request (action=upload, the file in "file"); a larger one
/// in MediaWiki's chunked upload: each chunk in "chunk" with stash=1, offset and filesize (and,
/// from the second chunk on, the filekey the previous answer gave), then the request that
/// publishes the file with the filekey of the last chunk's answer. Each request is streamed from
/// the file (memory stays bounded by ureq's buffers, whatever the file's size), carries a csrf
/// token (fetched and refreshed as for mw_request()) and is retried as the retry policy says;
/// "ignorewarnings" goes on every one. The log callback gets one info line per chunk.
///
/// Out: the final "upload" object, "result" "Success" or "Warning" (with "warnings"): a Warning
/// on any request ends the upload and returns MW_OK, with "filekey" where the wiki gave one so
/// that a caller can publish the stashed file with mw_request(). chunk_bytes below the wiki's
/// minuploadchunksize (siteinfo, asked once per session, only for a chunked upload) is
/// MW_ERR_ARGUMENT "invalid_value"; a wiki's refusal of a chunk's size is the API error it is.
/// A file that cannot be read, or is empty, is MW_ERR_ARGUMENT before any request.
///
/// # Safety
/// `session` is NULL or a live handle from mw_session_new(); string arguments are NULL or
/// NUL-terminated; `out_json` is NULL or points to writable storage for one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mw_upload(
    session: *mut mw_session,
    request_json: *const c_char,
    out_json: *mut *mut c_char,
) -> mw_result {
    // SAFETY: pointers are NULL or valid, per the function's contract.
    unsafe {
        session_call(
            session,
            request_json,
            "request_json",
            out_json,
            UploadRequest::from_json,
            |s, r| s.upload(&r),
        )
    }
}

/// One call of MediaWiki's REST API (rest.php, beside api_url unless config rest_url says
/// otherwise) with the session's cookies or OAuth header: {"method": "GET" (default), "POST",
/// "PUT", "PATCH" or "DELETE", "path": "/v1/page/Main_Page", "query": {...}, "body": <JSON>}.
/// "path" is sent as given (percent-encode a title's "/" as %2F yourself); "body" goes as
/// application/json, and not with GET. A write (any method but GET) from a cookie session
/// carries the Action API's csrf token as the body object's "token" member (added unless the
/// body has one; a write body that is not an object is MW_ERR_ARGUMENT "invalid_value"; refreshed
/// once on rest-badtoken, which MediaWiki 1.43 sends; 1.39 refuses a bad token with a bare 403
/// and no code, then returned as it is); an OAuth session never adds one. HTTP 429 and 503 are retried as for
/// mw_request(). The REST API has no "assert": a session the wiki dropped reads as anonymous and
/// its writes fail with the wiki's error (no re-login happens here; a pending bot_password login
/// does, before the first call).
///
/// On MW_OK (a 2xx answer), out: {"status": 200, "body": <the JSON answer, or its text as a
/// string when it is not JSON>}. Any other status is MW_ERR_HTTP with "http_status", "code" and
/// "info" from the wiki's error body where it has them ("errorKey", "actionModuleErrorCode" or
/// "error";
/// "messageTranslations", "message" or "httpReason"; else code "http_status"), and the whole body
/// under the error's "body".
///
/// # Safety
/// `session` is NULL or a live handle from mw_session_new(); string arguments are NULL or
/// NUL-terminated; `out_json` is NULL or points to writable storage for one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mw_rest(
    session: *mut mw_session,
    request_json: *const c_char,
    out_json: *mut *mut c_char,
) -> mw_result {
    // SAFETY: pointers are NULL or valid, per the function's contract.
    unsafe {
        session_call(
            session,
            request_json,
            "request_json",
            out_json,
            RestRequest::from_json,
            |s, r| s.rest(&r),
        )
    }
}

/// Logs out: POST action=logout with a csrf token, then forgets the session's cookies, tokens
/// and credentials whatever the wiki answered. On MW_OK, out is {}. Exclusive.
///
/// # Safety
/// `session` is NULL or a live handle from mw_session_new(); string arguments are NULL or
/// NUL-terminated; `out_json` is NULL or points to writable storage for one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mw_logout(
    session: *mut mw_session,
    out_json: *mut *mut c_char,
) -> mw_result {
    // SAFETY: pointers are NULL or valid, per the function's contract.
    unsafe { run(out_json, || session_arg(session)?.logout()) }
}

/// What the session knows now, without a request: {"api_url", "logged_in": true|false|null,
/// "username", "userid", "auth": "botpassword"|...|null, "temp": true|false}. "temp" is true
/// when the wiki said the session's user is a temporary account (an edit answered with
/// tempusercreated, or meta=userinfo with temp): "username" then stays null, as such a user is
/// never taken as the session's.
///
/// # Safety
/// `session` is NULL or a live handle from mw_session_new(); string arguments are NULL or
/// NUL-terminated; `out_json` is NULL or points to writable storage for one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mw_session_info(
    session: *mut mw_session,
    out_json: *mut *mut c_char,
) -> mw_result {
    // SAFETY: pointers are NULL or valid, per the function's contract.
    unsafe { run(out_json, || session_arg(session)?.info()) }
}

/// The C caller's callback and its userdata.
struct CLogger {
    log: unsafe extern "C" fn(*mut c_void, c_int, *const c_char),
    userdata: *mut c_void,
}

// SAFETY: mw_session_set_logger's contract makes the callback and its userdata callable from any
// thread that calls into the session, also from several at once.
unsafe impl Send for CLogger {}
// SAFETY: as above.
unsafe impl Sync for CLogger {}

impl CLogger {
    fn emit(&self, level: LogLevel, line: &str) {
        let Ok(message) = CString::new(line.replace('\0', " ")) else {
            return;
        };
        // SAFETY: the callback and userdata are the caller's, valid until replaced or the
        // session is freed; message lives for the duration of the call.
        unsafe { (self.log)(self.userdata, level as c_int, message.as_ptr()) };
    }
}

/// Sets the session's log callback, replacing any earlier one; `log` NULL turns logging off.
/// Each HTTP exchange is one line at level 10 (method, URL without secrets, status,
/// milliseconds); retries, waits and re-logins at 20; dropped sessions and refused credentials
/// at 30. A line never holds a password, token or cookie value. The callback runs on the thread
/// that made the call, may run on several threads at once, and is never called while the
/// library holds a lock of the session (see mw_log_fn). `userdata` is passed to it unchanged.
/// Lines that start after this function returns go to the new callback. It does not wait for a
/// callback that is running (which may be waiting for the caller's own thread, as a callback into
/// an event loop does): a replaced callback may still be finishing a line, so keep its userdata
/// valid until the session is freed. May be called from inside a callback.
///
/// # Safety
/// `session` is NULL or a live handle from mw_session_new(); `log`, if not NULL, and `userdata`
/// stay valid until the session is freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mw_session_set_logger(
    session: *mut mw_session,
    log: mw_log_fn,
    userdata: *mut c_void,
) -> mw_result {
    // SAFETY: session is NULL or valid, per the function's contract.
    unsafe {
        run(ptr::null_mut(), || {
            let session = session_arg(session)?;
            let logger = log.map(|log| {
                let c_logger = CLogger { log, userdata };
                Arc::new(move |level: LogLevel, line: &str| c_logger.emit(level, line)) as Logger
            });
            session.set_logger(logger)?;
            Ok(Value::Null)
        })
    }
}

/// Called once when an asynchronous call ends, on a thread of the library's pool (never the
/// caller's): `result` and `out_json` are what the synchronous function of the same name would
/// have returned and written. `out_json` is the callee's: release it with mw_string_free().
/// `done` runs with no lock of the library held, so it may call the library (it must not free
/// the session that made the call), and must return normally (no longjmp, no C++ exception).
pub type mw_done_fn =
    Option<unsafe extern "C" fn(userdata: *mut c_void, result: mw_result, out_json: *mut c_char)>;

/// The caller's `done` and its userdata, carried to the pool thread that runs the call.
struct DoneCallback {
    done: unsafe extern "C" fn(*mut c_void, mw_result, *mut c_char),
    userdata: *mut c_void,
}

// SAFETY: the *_async functions' contract makes `done` and its userdata callable from the
// library's own threads.
unsafe impl Send for DoneCallback {}

impl DoneCallback {
    fn call(self, result: mw_result, out_json: *mut c_char) {
        // SAFETY: the callback and userdata are the caller's, valid until `done` is called;
        // out_json is a string from write_json that the callee now owns.
        unsafe { (self.done)(self.userdata, result, out_json) };
    }
}

thread_local! {
    /// The error of the last *_async call on this thread that returned other than MW_OK.
    static LAST_ASYNC_ERROR: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Checks an asynchronous call's arguments on the caller's thread, then queues `call` on the
/// pool; the shape of every *_async function. `parse` sees the JSON argument (None when the
/// function takes none, or when it is optional and NULL).
///
/// # Safety
/// As for `session_arg` and `json_arg`; `done` and `userdata` as the *_async contract says.
unsafe fn submit_async<T, O>(
    session: *mut mw_session,
    argument: Option<(*const c_char, &str)>,
    done: mw_done_fn,
    userdata: *mut c_void,
    parse: impl FnOnce(Option<&Value>) -> Result<T>,
    call: fn(&Session, T) -> Result<O>,
) -> mw_result
where
    T: Send + 'static,
    O: JsonOutput + 'static,
{
    let queued = catch_unwind(AssertUnwindSafe(|| -> Result<()> {
        // SAFETY: session is NULL or a live handle (the function's contract).
        let handle = unsafe { session.as_ref() }
            .ok_or_else(|| Error::of(Code::NullArgument, "session is NULL"))?;
        let done = done.ok_or_else(|| Error::of(Code::NullArgument, "done is NULL"))?;
        let argument = match argument {
            // SAFETY: the argument is NULL or NUL-terminated (the function's contract).
            Some((pointer, name)) => Some(unsafe { json_arg(pointer, name) }?),
            None => None,
        };
        let argument = parse(argument.as_ref())?;
        let callback = DoneCallback { done, userdata };
        let session = Arc::clone(&handle.session);
        pool::submit(
            &handle.calls,
            Box::new(move |start| {
                let mut out: *mut c_char = ptr::null_mut();
                // SAFETY: `out` is a local, valid for writing one pointer.
                let result = unsafe {
                    run(&mut out, || match start {
                        Start::Run => call(&session, argument).map(JsonOutput::into_json_text),
                        Start::Closed => Err(Error::of(
                            Code::Closed,
                            "the session was freed before this call started",
                        )),
                    })
                };
                // The session goes before the callback runs, so that a callback that frees
                // the handle frees the session with it.
                drop(session);
                callback.call(result, out);
            }),
        )
    }));
    let error = match queued {
        Ok(Ok(())) => None,
        Ok(Err(error)) => Some(error),
        Err(_) => Some(panic_error()),
    };
    let result = error.as_ref().map_or(mw_result::MW_OK, |e| e.kind().into());
    let text = error.map(|e| e.to_json_with_result().to_string());
    LAST_ASYNC_ERROR.with(|last| *last.borrow_mut() = text);
    result
}

/// The error of the last *_async call made on this thread that did not return MW_OK, as
/// {"error": {"code", "info"}, "result": N}: a new string to release with mw_string_free().
/// NULL when that call returned MW_OK, or no *_async call was made on this thread. A binding
/// calls it right after an *_async call fails to say why (the *_async functions have no
/// out_json, as their output goes to `done`).
#[unsafe(no_mangle)]
pub extern "C" fn mw_async_error() -> *mut c_char {
    let text = catch_unwind(|| LAST_ASYNC_ERROR.with(|last| last.borrow().clone()));
    let Ok(Some(text)) = text else {
        return ptr::null_mut();
    };
    let mut out = ptr::null_mut();
    // SAFETY: `out` is a local, valid for writing one pointer.
    unsafe { write_json(&mut out, text) };
    out
}

/// mw_request() without waiting: checks `request_json` now, then runs the request on one of
/// the library's threads and calls `done` once with what mw_request() returns and writes.
///
/// Every *_async function works this way. A bad argument (NULL session or `done`
/// "null_argument", invalid UTF-8, malformed JSON, a wrong shape) returns MW_ERR_ARGUMENT at
/// once and `done` is never called (mw_async_error() says why); a session being freed returns
/// MW_ERR_STATE "closed". Otherwise it returns MW_OK and `done(userdata, result, out_json)` is
/// called exactly once, on a thread of the library's pool: never on the calling thread, but
/// possibly before this function has returned (record what `done` needs first). The pool is shared by every session of
/// the process: 8 threads by default (MWAUTH_ASYNC_THREADS, 1 to 64, read once), started as calls
/// need them and ended after 20 s without work; calls beyond them wait in one queue, first come
/// first served. Calls of one session run side by side as calls from several threads would
/// (exclusive ones, such as logins, wait for the others). mw_session_free() waits for them.
///
/// # Safety
/// `session` is NULL or a live handle from mw_session_new(); `request_json` is NULL or
/// NUL-terminated; `done` and `userdata` stay valid until `done` is called.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mw_request_async(
    session: *mut mw_session,
    request_json: *const c_char,
    done: mw_done_fn,
    userdata: *mut c_void,
) -> mw_result {
    // SAFETY: pointers are NULL or valid, per the function's contract.
    unsafe {
        submit_async(
            session,
            Some((request_json, "request_json")),
            done,
            userdata,
            |request| ApiRequest::from_json(request.unwrap_or(&Value::Null)),
            |s, r| s.request_text(&r),
        )
    }
}

/// mw_login() without waiting; see mw_request_async().
///
/// # Safety
/// As for mw_request_async().
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mw_login_async(
    session: *mut mw_session,
    credentials_json: *const c_char,
    done: mw_done_fn,
    userdata: *mut c_void,
) -> mw_result {
    // SAFETY: pointers are NULL or valid, per the function's contract.
    unsafe {
        submit_async(
            session,
            Some((credentials_json, "credentials_json")),
            done,
            userdata,
            |credentials| Credentials::from_json(credentials.unwrap_or(&Value::Null)),
            |s, c| s.login(&c),
        )
    }
}

/// mw_clientlogin_fields() without waiting; `options_json` may be NULL. See
/// mw_request_async().
///
/// # Safety
/// As for mw_request_async().
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mw_clientlogin_fields_async(
    session: *mut mw_session,
    options_json: *const c_char,
    done: mw_done_fn,
    userdata: *mut c_void,
) -> mw_result {
    let options = (!options_json.is_null()).then_some((options_json, "options_json"));
    // SAFETY: pointers are NULL or valid, per the function's contract.
    unsafe {
        submit_async(
            session,
            options,
            done,
            userdata,
            MessageFormat::from_options,
            |s, format| s.clientlogin_fields(format),
        )
    }
}

/// mw_clientlogin() without waiting; see mw_request_async().
///
/// # Safety
/// As for mw_request_async().
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mw_clientlogin_async(
    session: *mut mw_session,
    request_json: *const c_char,
    done: mw_done_fn,
    userdata: *mut c_void,
) -> mw_result {
    // SAFETY: pointers are NULL or valid, per the function's contract.
    unsafe {
        submit_async(
            session,
            Some((request_json, "request_json")),
            done,
            userdata,
            |request| ClientLoginRequest::from_json(request.unwrap_or(&Value::Null)),
            |s, r| s.clientlogin(&r),
        )
    }
}

/// mw_clientlogin_step() without waiting; see mw_request_async().
///
/// # Safety
/// As for mw_request_async().
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mw_clientlogin_step_async(
    session: *mut mw_session,
    fields_json: *const c_char,
    done: mw_done_fn,
    userdata: *mut c_void,
) -> mw_result {
    // SAFETY: pointers are NULL or valid, per the function's contract.
    unsafe {
        submit_async(
            session,
            Some((fields_json, "fields_json")),
            done,
            userdata,
            |fields| FormValues::from_json(fields.unwrap_or(&Value::Null)),
            |s, f| s.clientlogin_step(&f),
        )
    }
}

/// mw_logout() without waiting; see mw_request_async().
///
/// # Safety
/// As for mw_request_async().
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mw_logout_async(
    session: *mut mw_session,
    done: mw_done_fn,
    userdata: *mut c_void,
) -> mw_result {
    // SAFETY: pointers are NULL or valid, per the function's contract.
    unsafe {
        submit_async(
            session,
            None,
            done,
            userdata,
            |_| Ok(()),
            |s, ()| s.logout(),
        )
    }
}

/// mw_auth_fields() without waiting; `options_json` may be NULL. See mw_request_async().
///
/// # Safety
/// As for mw_request_async().
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mw_auth_fields_async(
    session: *mut mw_session,
    options_json: *const c_char,
    done: mw_done_fn,
    userdata: *mut c_void,
) -> mw_result {
    let options = (!options_json.is_null()).then_some((options_json, "options_json"));
    // SAFETY: pointers are NULL or valid, per the function's contract.
    unsafe {
        submit_async(
            session,
            options,
            done,
            userdata,
            FieldsOptions::from_json,
            |s, options| s.auth_fields(options),
        )
    }
}

/// mw_auth_begin() without waiting; see mw_request_async().
///
/// # Safety
/// As for mw_request_async().
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mw_auth_begin_async(
    session: *mut mw_session,
    request_json: *const c_char,
    done: mw_done_fn,
    userdata: *mut c_void,
) -> mw_result {
    // SAFETY: pointers are NULL or valid, per the function's contract.
    unsafe {
        submit_async(
            session,
            Some((request_json, "request_json")),
            done,
            userdata,
            |request| AuthRequest::from_json(request.unwrap_or(&Value::Null)),
            |s, r| s.auth_begin(&r),
        )
    }
}

/// mw_auth_continue() without waiting; see mw_request_async().
///
/// # Safety
/// As for mw_request_async().
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mw_auth_continue_async(
    session: *mut mw_session,
    fields_json: *const c_char,
    done: mw_done_fn,
    userdata: *mut c_void,
) -> mw_result {
    // SAFETY: pointers are NULL or valid, per the function's contract.
    unsafe {
        submit_async(
            session,
            Some((fields_json, "fields_json")),
            done,
            userdata,
            |fields| FormValues::from_json(fields.unwrap_or(&Value::Null)),
            |s, f| s.auth_continue(&f),
        )
    }
}

/// mw_upload() without waiting; see mw_request_async().
///
/// # Safety
/// As for mw_request_async().
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mw_upload_async(
    session: *mut mw_session,
    request_json: *const c_char,
    done: mw_done_fn,
    userdata: *mut c_void,
) -> mw_result {
    // SAFETY: pointers are NULL or valid, per the function's contract.
    unsafe {
        submit_async(
            session,
            Some((request_json, "request_json")),
            done,
            userdata,
            |request| UploadRequest::from_json(request.unwrap_or(&Value::Null)),
            |s, r| s.upload(&r),
        )
    }
}

/// mw_rest() without waiting; see mw_request_async().
///
/// # Safety
/// As for mw_request_async().
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mw_rest_async(
    session: *mut mw_session,
    request_json: *const c_char,
    done: mw_done_fn,
    userdata: *mut c_void,
) -> mw_result {
    // SAFETY: pointers are NULL or valid, per the function's contract.
    unsafe {
        submit_async(
            session,
            Some((request_json, "request_json")),
            done,
            userdata,
            |request| RestRequest::from_json(request.unwrap_or(&Value::Null)),
            |s, r| s.rest(&r),
        )
    }
}
