"""The interactive login (action=clientlogin) through the Python binding: the form, PASS, FAIL,
two-factor UI, REDIRECT and RESTART (the last two through the test wiki's MwauthTestAuth
provider), and the example program that renders any form."""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
import time
from urllib.parse import parse_qs, urlsplit

import pytest

import mwauth
from conftest import env, user_name


def totp(secret: str, window: int) -> str:
    """RFC 6238 TOTP (SHA-1, 30 s, 6 digits) for the 30-second window number `window`."""
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    digest = hmac.new(key, struct.pack(">Q", window), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    return "%06d" % ((struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF) % 1_000_000)


def test_the_form_describes_username_and_password(session):
    s = session()
    form = s.clientlogin_fields()
    assert form["fields"]["username"]["type"] == "string"
    assert form["fields"]["password"]["type"] == "password"
    assert form["fields"]["password"]["sensitive"] is True
    assert any(r["id"].endswith("PasswordAuthenticationRequest") for r in form["requests"])
    raw = s.clientlogin_fields("raw")
    assert isinstance(raw["fields"]["username"]["label"]["key"], str)
    with pytest.raises(mwauth.ArgumentError):
        s.clientlogin_fields("shouting")


def test_a_password_login_passes_and_the_session_works(session, human):
    s = session()
    out = s.clientlogin(username=human[0], password=human[1])
    assert out["status"] == "PASS"
    assert out["username"] == human[0]
    assert s.info["auth"] == "clientlogin"
    assert s.info["logged_in"] is True
    assert user_name(s) == human[0]
    edit = s.request({"action": "edit", "title": "Python clientlogin edit", "text": "x"}, token="csrf")
    assert edit["edit"]["result"] == "Success"
    with pytest.raises(mwauth.StateError) as e:
        s.clientlogin_step({})
    assert e.value.code == "no_flow"  # a PASS ends the flow


def test_fields_as_a_dict_and_keywords(session, human):
    s = session()
    s.clientlogin_fields()
    # A dict holds any field name (not only identifiers); keywords override it.
    out = s.clientlogin({"username": human[0], "password": "overridden", "rememberMe": False},
                        password=human[1])
    assert out["status"] == "PASS"


def test_a_wrong_password_fails_with_the_form_to_try_again(session, human):
    s = session()
    with pytest.raises(mwauth.LoginError) as e:
        s.clientlogin({"username": human[0], "password": "not the password"})
    assert e.value.code == "wrongpassword"
    out = e.value.response
    assert out["status"] == "FAIL"
    assert out["messagecode"] == "wrongpassword"
    assert isinstance(out["fields"]["password"], dict)
    assert "not the password" not in repr(out) + str(e.value)
    assert s.info["logged_in"] is False
    with pytest.raises(mwauth.StateError) as state:
        s.clientlogin_step(OATHToken="123456")
    assert state.value.code == "no_flow"


def test_two_factor_ui_then_pass(session):
    # MwTwoFactor3 is this suite's: OATHAuth accepts each 30 s window once per user, so users
    # are not shared between test suites that run against the same wiki.
    user, password, secret = (env("MWAUTH_TEST_TOTP3_USER"), env("MWAUTH_TEST_TOTP3_PASSWORD"),
                              env("MWAUTH_TEST_TOTP3_SECRET"))
    s = session()
    out = s.clientlogin(username=user, password=password)
    assert out["status"] == "UI", out
    assert "OATHToken" in out["fields"]
    # A wrong code is another UI: the caller may ask again.
    out = s.clientlogin_step(OATHToken="000000" if totp(secret, int(time.time()) // 30) != "000000" else "111111")
    assert out["status"] == "UI", out
    assert out["messagecode"] == "oathauth-login-failed"
    window = int(time.time()) // 30
    for attempt in range(3):  # a window used before (by an earlier run of this test) is refused once
        out = s.clientlogin_step(OATHToken=totp(secret, window + attempt))
        if out["status"] != "UI":
            break
    assert out["status"] == "PASS", out
    assert user_name(s) == user


def test_redirect_then_pass(session):
    s = session()
    out = s.clientlogin(mwauthtestLogin=True, returnurl="http://127.0.0.1:9/back")
    assert out["status"] == "REDIRECT", out
    target = urlsplit(out["redirecttarget"])
    query = parse_qs(target.query)
    assert query["redirect_uri"] == ["http://127.0.0.1:9/back"]
    # What the third party would append to the return URL:
    out = s.clientlogin_step(mwauthtestCode=env("MWAUTH_TEST_REDIRECT_CODE"), mwauthtestState=query["state"][0])
    assert out["status"] == "PASS", out
    assert user_name(s) == env("MWAUTH_TEST_REDIRECT_USER")


def test_restart_is_a_login_error(session):
    s = session()
    out = s.clientlogin(mwauthtestLogin=True)
    state = out["fields"]["mwauthtestState"]["value"]
    with pytest.raises(mwauth.LoginError) as e:
        s.clientlogin_step(mwauthtestCode=env("MWAUTH_TEST_RESTART_CODE"), mwauthtestState=state)
    assert e.value.response["status"] == "RESTART"
    with pytest.raises(mwauth.StateError):
        s.clientlogin_step(mwauthtestCode="x")


def test_a_captcha_after_a_bad_login_is_shown_then_answered(session):
    # MwCaptcha3: the Rust tests use the other two captcha users.
    user, password = env("MWAUTH_TEST_CAPTCHA3_USER"), env("MWAUTH_TEST_CAPTCHA3_PASSWORD")
    s = session()
    with pytest.raises(mwauth.LoginError):
        s.clientlogin(username=user, password="wrong")
    # The right password alone fails now, and the FAIL carries the captcha the wiki wants.
    with pytest.raises(mwauth.LoginError) as e:
        s.clientlogin(username=user, password=password)
    assert e.value.code == "wrongpassword"
    fields = e.value.response["fields"]
    assert fields["captchaId"]["type"] == "hidden" and fields["captchaId"]["value"]
    assert env("MWAUTH_TEST_CAPTCHA_QUESTION") in fields["captchaInfo"]["value"]
    form = s.clientlogin_fields()
    assert "captchaWord" in form["fields"]
    out = s.clientlogin(username=user, password=password, captchaWord=env("MWAUTH_TEST_CAPTCHA_ANSWER"))
    assert out["status"] == "PASS"
    assert user_name(s) == user
