//! `Retry-After` as seconds: a number of seconds is read as it is, and an HTTP date (IMF-fixdate, as
//! MediaWiki and proxies send it) as the seconds from now until then.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mwauth::cookies::unix_now;
use mwauth::fuzzing::parse_retry_after;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        // RFC 9110's delay-seconds, 1*DIGIT; too many digits is still a number (the longest wait).
        if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
            let seconds = text.parse().unwrap_or(u64::MAX);
            assert_eq!(parse_retry_after(text), Some(seconds));
        } else {
            let _ = parse_retry_after(text);
        }
    }
    // An HTTP date from the first 8 bytes, from 1970 to 9999, comes back as the seconds until it.
    if let Some(bytes) = data.get(..8) {
        let when = (u64::from_le_bytes(bytes.try_into().unwrap()) % 253_402_300_800) as i64;
        let date = http_date(when);
        let before = unix_now();
        let seconds = parse_retry_after(&date).unwrap_or_else(|| panic!("{date:?} was not read"));
        let after = unix_now();
        let (least, most) = ((when - after).max(0), (when - before).max(0));
        assert!(
            (least..=most).contains(&(seconds as i64)),
            "{date}: {seconds} s"
        );
    }
});

/// IMF-fixdate (RFC 9110), `Sun, 06 Nov 1994 08:49:37 GMT`, for seconds since 1970.
fn http_date(t: i64) -> String {
    const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let (days, secs) = (t.div_euclid(86_400), t.rem_euclid(86_400));
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let (era, doe) = (z.div_euclid(146_097), z.rem_euclid(146_097));
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{}, {day:02} {} {year:04} {:02}:{:02}:{:02} GMT",
        WEEKDAYS[days.rem_euclid(7) as usize],
        MONTHS[month as usize - 1],
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}
