"""Every exception class, triggered for real where the wiki or the network can do it."""

from __future__ import annotations

import pickle
import re
import socket

import pytest

import mwauth
from conftest import REPO


def test_the_exception_tree():
    classes = [mwauth.ArgumentError, mwauth.StateError, mwauth.TransportError, mwauth.HttpError,
               mwauth.ApiError, mwauth.LoginError, mwauth.InternalError]
    for cls in classes:
        assert issubclass(cls, mwauth.Error)
    assert [int(c.result_code) for c in classes] == [1, 2, 3, 4, 5, 6, 99]


def test_result_numbers_match_the_header():
    header = (REPO / "include" / "mwauth.h").read_text()
    in_header = {name: int(value) for name, value in re.findall(r"^\s*MW_(OK|ERR_\w+) = (\d+),", header, re.M)}
    assert in_header == {r.name: r.value for r in mwauth.Result}


def test_an_unknown_config_key_is_an_argument_error(api_url):
    with pytest.raises(mwauth.ArgumentError) as e:
        mwauth.Session(api_url, no_such_key=1)
    assert e.value.code == "unknown_key"
    assert "no_such_key" in e.value.info
    assert e.value.result == mwauth.Result.ERR_ARGUMENT == 1
    assert e.value.response == {"error": e.value.error, "result": 1}


def test_assert_keyword_and_a_bad_value(api_url):
    with pytest.raises(mwauth.ArgumentError) as e:
        mwauth.Session(api_url, assert_="sometimes")
    assert e.value.code == "invalid_value"
    assert "assert" in e.value.info
    with pytest.raises(mwauth.ArgumentError) as e:
        mwauth.Session(api_url, timeout_ms="soon")
    assert e.value.code == "wrong_type"


def test_a_value_json_cannot_carry_is_an_argument_error(session):
    s = session()
    with pytest.raises(mwauth.ArgumentError) as e:
        s.request({"action": "query", "meta": object()})
    assert e.value.code == "invalid_json"


def test_bad_requests_are_argument_errors(session):
    s = session()
    with pytest.raises(mwauth.ArgumentError) as e:
        s.request({"action": "query", "format": "xml"})
    assert e.value.result == 1
    with pytest.raises(mwauth.ArgumentError) as e:
        s.request({"action": "query"}, method="PATCH")
    assert e.value.result == 1
    # Bad input never changes the session.
    assert s.request({"action": "query", "meta": "siteinfo"})["query"]["general"]


def test_credentials_over_plain_http_to_another_host_are_refused_before_sending():
    s = mwauth.Session("http://wiki.invalid/w/api.php")
    with pytest.raises(mwauth.ArgumentError) as e:
        s.login("U@app", "p" * 32)
    assert e.value.code == "insecure_http"
    s.close()


def test_a_closed_port_is_a_transport_error():
    with socket.socket() as sock:  # a port that was free a moment ago, and nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with mwauth.Session(f"http://127.0.0.1:{port}/api.php", timeout_ms=5000) as s:
        with pytest.raises(mwauth.TransportError) as e:
            s.request({"action": "query", "meta": "siteinfo"})
    assert e.value.code == "connect"
    assert e.value.result == 3
    assert e.value.response == {"error": e.value.error}


def test_a_page_that_is_not_the_api_is_an_http_error(api_url):
    base = api_url.rsplit("/", 1)[0]
    with mwauth.Session(base + "/no-such-script.php") as s:
        with pytest.raises(mwauth.HttpError) as e:
            s.request({"action": "query", "meta": "siteinfo"})
    assert e.value.code == "http_status"
    assert e.value.error["http_status"] == 404
    # load.php answers 200 with JavaScript, not JSON.
    with mwauth.Session(base + "/load.php") as s:
        with pytest.raises(mwauth.HttpError) as e:
            s.request({"action": "query", "meta": "siteinfo"})
    assert e.value.code == "not_json"
    assert e.value.result == 4


def test_an_api_error_carries_mediawiki_s_error_object(session):
    s = session()
    with pytest.raises(mwauth.ApiError) as e:
        s.request({"action": "nosuchaction"})
    assert e.value.code == "badvalue"
    assert e.value.info
    assert e.value.result == 5
    assert e.value.response["error"] is e.value.error
    # Editing without a token is the wiki's error too.
    with pytest.raises(mwauth.ApiError) as e:
        s.request({"action": "edit", "title": "X", "text": "x"}, method="POST")
    assert e.value.code in ("missingparam", "notoken")


def test_a_non_bot_with_assert_bot_gets_assertbotfailed(session, plain):
    s = session(assert_="bot")
    s.login(*plain)
    with pytest.raises(mwauth.ApiError) as e:
        s.request({"action": "query", "meta": "userinfo"})
    assert e.value.code == "assertbotfailed"
    # The caller's own assert parameter wins.
    out = s.request({"action": "query", "meta": "userinfo", "assert": "user"})
    assert out["query"]["userinfo"]["name"] == "MwPlain"


def test_a_wrong_password_is_a_login_error(session, bot, secrets):
    s = session()
    with pytest.raises(mwauth.LoginError) as e:
        s.login(bot[0], "wrong-password-0123456789abcdefgh")
    assert e.value.code == "Failed"
    assert e.value.error["reason"] == "wrongpassword"
    assert e.value.result == 6
    assert "wrong-password" not in str(e.value) + repr(e.value.response)
    assert s.info["logged_in"] is False
    # The right password still works on the same session.
    assert s.login(*bot)["status"] == "PASS"


def test_a_step_with_no_flow_is_a_state_error(session):
    s = session()
    with pytest.raises(mwauth.StateError) as e:
        s.clientlogin_step(OATHToken="123456")
    assert e.value.code == "no_flow"
    assert e.value.result == 2


def test_internal_errors_map_to_their_class():
    # A library bug cannot be provoked from outside; the mapping is what can be checked.
    from mwauth._errors import error_for

    e = error_for(99, {"error": {"code": "panic", "info": "boom"}})
    assert type(e) is mwauth.InternalError and e.code == "panic" and e.result == 99
    e = error_for(42, None)
    assert type(e) is mwauth.Error and e.result == 42


def test_errors_pickle_and_print(session):
    s = session()
    with pytest.raises(mwauth.ApiError) as e:
        s.request({"action": "nosuchaction"})
    copy = pickle.loads(pickle.dumps(e.value))
    assert type(copy) is mwauth.ApiError
    assert (copy.code, copy.info, copy.result, copy.error, copy.response) == (
        e.value.code, e.value.info, e.value.result, e.value.error, e.value.response)
    assert str(e.value).startswith("badvalue: ")


def test_a_library_without_clientlogin_gives_a_clear_error(session, monkeypatch):
    # An older library (before the clientlogin functions) still serves everything else.
    from mwauth import _ffi

    monkeypatch.setattr(_ffi, "optional_symbol", lambda name: None)
    s = session()
    with pytest.raises(mwauth.ArgumentError) as e:
        s.clientlogin(username="U", password="P")
    assert e.value.code == "unsupported"
    assert "mw_clientlogin" in e.value.info and mwauth.library_path() in e.value.info
    assert s.info["logged_in"] is False
