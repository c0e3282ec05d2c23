//! `Config::from_json`: `mw_session_new`'s config object. An accepted config shows no secret in
//! its `Debug`, a refused one none in its error, and a bearer token is accepted only where
//! credentials may be sent.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mwauth::ErrorKind;
use mwauth::config::Config;
use mwauth::oauth::OAuth;
use mwauth_fuzz::{json, mark_config_secrets, string_at};

fuzz_target!(|data: &[u8]| {
    let Some(mut value) = json(data) else { return };
    let secrets = mark_config_secrets(&mut value);
    match Config::from_json(&value) {
        Ok(config) => {
            secrets.check("the config's Debug", &format!("{config:?}"));
            assert_eq!(
                Some(config.api.url.as_str()),
                string_at(&value, &["api_url"])
            );
            assert!(!config.api.host.is_empty());
            assert!(config.api.path.starts_with('/'));
            assert!(!config.user_agent.chars().any(char::is_control));
            if matches!(config.oauth, Some(OAuth::Bearer(_))) {
                assert!(config.check_credentials_may_be_sent().is_ok());
            }
        }
        Err(error) => {
            assert_eq!(error.kind(), ErrorKind::Argument, "{error:?}");
            assert!(!error.code().is_empty() && !error.info().is_empty());
            secrets.check("the error", &error.to_json().to_string());
        }
    }
});
