//! The AuthManager JSON entry points: `ClientLoginRequest::from_json` (`mw_clientlogin`),
//! `AuthRequest::from_json` (`mw_auth_begin`), `FormValues::from_json` (`mw_clientlogin_step`,
//! `mw_auth_continue`), `MessageFormat::from_options` (`mw_clientlogin_fields`) and
//! `FieldsOptions::from_json` (`mw_auth_fields`). A field's value (a password, a two-factor code) shows neither in an
//! error nor in a `Debug`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mwauth::{AuthRequest, ClientLoginRequest, ErrorKind, FieldsOptions, FormValues, MessageFormat};
use mwauth_fuzz::{json, mark_form_secrets};
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Some(mut value) = json(data) else { return };
    let secrets = mark_form_secrets(&mut value);
    let check_error = |error: mwauth::Error| {
        assert_eq!(error.kind(), ErrorKind::Argument, "{error:?}");
        secrets.check("the error", &error.to_json().to_string());
    };
    match ClientLoginRequest::from_json(&value) {
        Ok(request) => {
            secrets.check("the request's Debug", &format!("{request:?}"));
            let returnurl = value.get("returnurl").and_then(Value::as_str);
            assert_eq!(request.0.returnurl.as_deref(), returnurl);
        }
        Err(error) => check_error(error),
    }
    match FormValues::from_json(&value) {
        Ok(fields) => secrets.check("the fields' Debug", &format!("{fields:?}")),
        Err(error) => check_error(error),
    }
    match AuthRequest::from_json(&value) {
        Ok(request) => secrets.check("the auth request's Debug", &format!("{request:?}")),
        Err(error) => check_error(error),
    }
    if let Err(error) = MessageFormat::from_options(Some(&value)) {
        check_error(error);
    }
    if let Err(error) = FieldsOptions::from_json(Some(&value)) {
        check_error(error);
    }
});
