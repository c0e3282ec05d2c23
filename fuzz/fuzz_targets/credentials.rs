//! `Credentials::from_json`: `mw_login`'s credentials object. The password shows neither in an
//! error nor in the credentials' `Debug`; the user name comes through as given.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mwauth::{Credentials, ErrorKind};
use mwauth_fuzz::{json, mark_credentials_secrets, string_at};

fuzz_target!(|data: &[u8]| {
    let Some(mut value) = json(data) else { return };
    let secrets = mark_credentials_secrets(&mut value);
    match Credentials::from_json(&value) {
        Ok(credentials) => {
            assert_eq!(
                Some(credentials.username()),
                string_at(&value, &["username"])
            );
            secrets.check("the credentials' Debug", &format!("{credentials:?}"));
        }
        Err(error) => {
            assert_eq!(error.kind(), ErrorKind::Argument, "{error:?}");
            secrets.check("the error", &error.to_json().to_string());
        }
    }
});
