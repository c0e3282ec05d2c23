//! The C functions themselves, with arbitrary bytes as their JSON argument (a C string: cut at
//! the first NUL; JSON goes in as serde_json writes it, with its secrets marked). The first byte,
//! modulo 6 (`'0'`..`'5'` in the seeds), picks the function: `mw_session_new` (then
//! `mw_session_info` and `mw_session_free` on the session it makes; it makes no request), or
//! `mw_login`, `mw_request`, `mw_clientlogin`, `mw_clientlogin_step` or `mw_clientlogin_fields`
//! on a session with the fake wiki, which answers every request with an API error. Every call
//! sets its output to JSON (an error object unless `MW_OK`); no output, log line, URL or request
//! header shows a secret of the argument. AddressSanitizer checks the strings handed across and
//! LeakSanitizer that each is freed.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mwauth::ffi::{
    mw_clientlogin, mw_clientlogin_fields, mw_clientlogin_step, mw_login, mw_request, mw_result,
    mw_session, mw_session_free, mw_session_info, mw_session_new, mw_session_set_logger,
    mw_string_free,
};
use mwauth_fuzz::{
    FakeWiki, Secrets, mark_config_secrets, mark_credentials_secrets, mark_form_secrets,
    mark_request_secrets, string_at, url_parameters,
};
use serde_json::{Value, json};
use std::ffi::{CStr, CString, c_char, c_int, c_void};
use std::ptr;
use std::sync::{Mutex, OnceLock};

/// The session the calls other than `mw_session_new` go to.
struct Shared(*mut mw_session);
// SAFETY: a session may be used from any thread; the fuzzer calls from one at a time.
unsafe impl Send for Shared {}
// SAFETY: as above.
unsafe impl Sync for Shared {}

static LOG: Mutex<Vec<String>> = Mutex::new(Vec::new());

unsafe extern "C" fn log_line(_: *mut c_void, _: c_int, message: *const c_char) {
    // SAFETY: the library passes a NUL-terminated string valid for the call.
    let line = unsafe { CStr::from_ptr(message) }
        .to_string_lossy()
        .into_owned();
    LOG.lock().unwrap().push(line);
}

fn shared_session() -> *mut mw_session {
    static SESSION: OnceLock<Shared> = OnceLock::new();
    SESSION
        .get_or_init(|| {
            let config = json!({"api_url": FakeWiki::get().api_url, "max_retries": 0});
            let config = CString::new(config.to_string()).unwrap();
            // SAFETY: a C string, and NULL for the error.
            let session = unsafe { mw_session_new(config.as_ptr(), ptr::null_mut()) };
            assert!(!session.is_null());
            // SAFETY: a live session; log_line is callable from any thread.
            let set = unsafe { mw_session_set_logger(session, Some(log_line), ptr::null_mut()) };
            assert_eq!(set, mw_result::MW_OK);
            Shared(session)
        })
        .0
}

/// The text of a string the library handed out, which is then freed.
///
/// # Safety
/// `s` is NULL or a string from the library, not yet freed.
unsafe fn take(s: *mut c_char) -> Option<String> {
    if s.is_null() {
        return None;
    }
    // SAFETY: a NUL-terminated string from the library.
    let text = unsafe { CStr::from_ptr(s) }
        .to_str()
        .expect("UTF-8 output")
        .to_string();
    // SAFETY: freed once, here.
    unsafe { mw_string_free(s) };
    Some(text)
}

/// Whether a config names a `cookie_file` or `ca_file` that `mw_session_new` may read whole
/// without harm: none, a folder, or a regular file of at most 1 MiB (not `/dev/zero`).
fn files_are_harmless(config: &Value) -> bool {
    ["cookie_file", "ca_file"].iter().all(|key| {
        let Some(path) = string_at(config, &[key]) else {
            return true;
        };
        match std::fs::metadata(path) {
            Err(_) => true,
            Ok(m) => m.is_dir() || (m.is_file() && m.len() <= 1 << 20),
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let which = which % 6;
    let text = rest.split(|&b| b == 0).next().unwrap_or_default();
    // A JSON argument goes in with its secrets marked (see Secrets), as serde_json writes it.
    let (argument, value, secrets) = match serde_json::from_slice::<Value>(text) {
        Ok(mut value) => {
            let secrets = match which {
                0 => mark_config_secrets(&mut value),
                1 => mark_credentials_secrets(&mut value),
                2 => mark_request_secrets(&mut value),
                3 | 4 => mark_form_secrets(&mut value),
                _ => Secrets::of_json(&value),
            };
            (value.to_string().into_bytes(), value, secrets)
        }
        Err(_) => (text.to_vec(), Value::Null, Secrets::new("")),
    };
    let argument = CString::new(argument).unwrap();
    let wiki = FakeWiki::get();
    let session = shared_session();
    wiki.serve(Vec::new());
    LOG.lock().unwrap().clear();
    let arg = argument.as_ptr();
    let mut out: *mut c_char = ptr::null_mut();
    // SAFETY: live sessions, C strings, and outputs that are taken (and freed) once.
    let (code, output) = unsafe {
        match which {
            0 => {
                if !files_are_harmless(&value) {
                    return;
                }
                let made = mw_session_new(arg, &mut out);
                if made.is_null() {
                    (None, take(out))
                } else {
                    assert!(out.is_null(), "error_json is NULL on success");
                    let code = mw_session_info(made, &mut out);
                    assert_eq!(code, mw_result::MW_OK);
                    mw_session_free(made);
                    (Some(code), take(out))
                }
            }
            1 => (Some(mw_login(session, arg, &mut out)), take(out)),
            2 => (Some(mw_request(session, arg, &mut out)), take(out)),
            3 => (Some(mw_clientlogin(session, arg, &mut out)), take(out)),
            4 => (Some(mw_clientlogin_step(session, arg, &mut out)), take(out)),
            _ => {
                let options = if text.is_empty() { ptr::null() } else { arg };
                (
                    Some(mw_clientlogin_fields(session, options, &mut out)),
                    take(out),
                )
            }
        }
    };
    let output = output.expect("every call sets its output");
    let parsed: Value = serde_json::from_str(&output).expect("the output is JSON");
    if code != Some(mw_result::MW_OK) {
        assert!(parsed["error"]["code"].is_string(), "{output}");
        assert!(parsed["error"]["info"].is_string(), "{output}");
    }
    if code.is_none() {
        assert!(
            parsed["result"].is_u64(),
            "mw_session_new's error has its result: {output}"
        );
    }
    secrets.check("the output", &output);
    for line in LOG.lock().unwrap().iter() {
        secrets.check("a log line", line);
    }
    for head in wiki.request_heads() {
        secrets.check("a request's head", &head);
        secrets.check("a request's URL", &url_parameters(&head));
    }
});
