"""The library's log lines reach logging.getLogger("mwauth") at the level the C side gives, and
never carry a secret."""

from __future__ import annotations

import logging
import subprocess
import sys
from http.cookiejar import MozillaCookieJar

import pytest

import mwauth
from conftest import env, user_name

DEBUG, INFO, WARNING = logging.DEBUG, logging.INFO, logging.WARNING


def mwauth_records(caplog):
    return [(r.levelno, r.getMessage()) for r in caplog.records if r.name == "mwauth"]


def cookie_values(path):
    jar = MozillaCookieJar(str(path))
    jar.load(ignore_discard=True, ignore_expires=True)
    return {c.name: c.value for c in jar}


def test_levels_and_no_secret(session, bot, secrets, caplog, tmp_path):
    caplog.set_level(DEBUG, logger="mwauth")
    cookies = tmp_path / "cookies.txt"
    s = session(cookie_file=str(cookies))
    with pytest.raises(mwauth.LoginError):
        s.login(bot[0], "wrong-password-0123456789abcdefgh")
    assert s.login(*bot)["status"] == "PASS"
    s.request({"action": "edit", "title": "Python log test", "text": "x", "bot": True}, token="csrf")
    tokens = s.request({"action": "query", "meta": "tokens", "type": ["csrf", "watch"]})["query"]["tokens"]
    records = mwauth_records(caplog)

    levels = {level for level, _ in records}
    assert levels <= {DEBUG, INFO, WARNING}, records
    exchanges = [m for level, m in records if level == DEBUG]
    # Every HTTP exchange at DEBUG: login token + login (twice), csrf token, edit, the tokens query.
    assert len(exchanges) >= 7, records
    assert any(m.startswith("POST ") and "action=login" in m for m in exchanges), exchanges
    assert any("the wiki refused the login of MwBot@mwauth" in m for level, m in records if level == WARNING), records
    assert any("logged in as MwBot" in m for level, m in records if level == INFO), records

    forbidden = list(secrets) + ["wrong-password-0123456789abcdefgh"]
    forbidden += [t for t in tokens.values() if t != "+\\"]
    forbidden += [v for v in cookie_values(cookies).values() if len(v) >= 8]
    for _, message in records:
        for secret in forbidden:
            assert secret not in message, message


def test_a_dropped_session_is_a_warning_and_the_relogin_info(session, bot, caplog, tmp_path):
    cookies = tmp_path / "cookies.txt"
    s = session(cookie_file=str(cookies), assert_="bot")
    s.login(*bot)
    assert user_name(s) == "MwBot"
    values = [v for name, v in cookie_values(cookies).items() if name.endswith("session")]
    assert values, cookie_values(cookies)
    subprocess.run([sys.executable, env("MWAUTH_TEST_EXPIRE_SESSION"), *values], check=True)

    caplog.set_level(DEBUG, logger="mwauth")
    assert user_name(s) == "MwBot"  # the library logs in again and retries
    records = mwauth_records(caplog)
    assert any(level == WARNING and "dropped the session" in m for level, m in records), records
    assert any(level == INFO and "logging in as MwBot@mwauth" in m for level, m in records), records
    for _, message in records:
        assert bot[1] not in message
        for value in values:
            assert value not in message


def test_the_logger_s_level_filters(session, caplog):
    caplog.set_level(DEBUG, logger="mwauth")  # restored after the test
    logging.getLogger("mwauth").setLevel(WARNING)
    s = session()
    s.request({"action": "query", "meta": "siteinfo"})
    assert mwauth_records(caplog) == []
    logging.getLogger("mwauth").setLevel(DEBUG)  # changed later: the same session follows
    s.request({"action": "query", "meta": "siteinfo"})
    assert [level for level, _ in mwauth_records(caplog)] == [DEBUG]


def test_a_failing_handler_does_not_break_requests(session):
    class Broken(logging.Handler):
        def emit(self, record):
            raise RuntimeError("handler failure")

        def handleError(self, record):
            raise RuntimeError("handler failure")

    logger = logging.getLogger("mwauth")
    handler = Broken(level=DEBUG)
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(DEBUG)
    try:
        s = session()
        assert s.request({"action": "query", "meta": "siteinfo"})["query"]["general"]
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)


@pytest.mark.parametrize("assert_", ["user", "bot"])
def test_threads_sharing_a_dropped_session_cause_one_relogin(session, bot, caplog, tmp_path, assert_):
    import threading

    cookies = tmp_path / "cookies.txt"
    s = session(cookie_file=str(cookies), assert_=assert_)
    s.login(*bot)
    caplog.set_level(DEBUG, logger="mwauth")
    for round in range(3):  # the race is timing-dependent: several rounds make it show
        values = [v for name, v in cookie_values(cookies).items() if name.endswith("session")]
        subprocess.run([sys.executable, env("MWAUTH_TEST_EXPIRE_SESSION"), *values], check=True,
                       stdout=subprocess.DEVNULL)
        caplog.clear()
        names, errors = [], []
        start = threading.Barrier(6)

        def reader():
            start.wait()
            try:
                names.append(user_name(s))
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append(e)

        threads = [threading.Thread(target=reader) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == [] and names == ["MwBot"] * 6, f"round {round}"
        relogins = [m for level, m in mwauth_records(caplog) if level == INFO and "logging in as" in m]
        assert len(relogins) == 1, mwauth_records(caplog)
