"""Every AuthManager operation through Session.auth_fields / auth_begin / auth_continue (and
mwauth.aio's), against the real test wiki: creating an account (with the captcha the form asks),
a third-party login's RESTART into a new account or a link on login, linkaccount, unlinkaccount,
removeauthenticationdata, changeauthenticationdata, and the errors that come before any
request. The identities are this suite's own (`py-*`: links last for the whole run), the users
MwLink2 and MwChange2 (the Rust tests have MwLink1 and MwChange1, the smoke test the 3s)."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from http.server import BaseHTTPRequestHandler
from typing import Any, Dict, List, Optional
from urllib.parse import parse_qs, parse_qsl, urlsplit

import pytest

import mwauth
import mwauth.aio
from conftest import env, loopback_server, server_requests, user_name

RETURN_URL = "http://127.0.0.1:9/mwauth-python-back"
IDENTITY = "MediaWiki\\Extension\\MwauthTestAuth\\IdentityAuthenticationRequest"
PASSWORD_REQUEST = "MediaWiki\\Auth\\PasswordAuthenticationRequest"
TEMPORARY_PASSWORD_REQUEST = "MediaWiki\\Auth\\TemporaryPasswordAuthenticationRequest"
UA = "mwauth-python-tests/1.0"


def captcha() -> str:
    return env("MWAUTH_TEST_CAPTCHA_ANSWER")


def code(name: str) -> str:
    """The test identity provider's code for the identity `name`."""
    return f"{env('MWAUTH_TEST_IDP_KEY')}:{name}"


def fresh_name(prefix: str) -> str:
    """An account name no run has used (the wiki is fresh each run, but a kept one is not)."""
    return f"{prefix}{uuid.uuid4().hex[:8]}"


def new_password() -> str:
    """A password no run has used, with characters a form encoding must get right."""
    return f"Py-{uuid.uuid4().hex[:16]} &=+%25;#ü€\"'\\"


def linked_to(name: str) -> Optional[str]:
    """The local user the identity provider's state file links the identity `name` to."""
    try:
        with open(env("MWAUTH_TEST_IDP_STATE_FILE"), encoding="utf-8") as f:
            links = json.load(f).get("links", {})
    except FileNotFoundError:
        return None
    return links.get(name, {}).get("user")


def redirect_state(out: Dict[str, Any]) -> str:
    """Checks a REDIRECT to the test identity provider and returns the state it carries (as the
    third party would send it back on the return URL)."""
    assert out["status"] == "REDIRECT", out
    target = urlsplit(out["redirecttarget"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == env("MWAUTH_TEST_IDP_URL")
    query = parse_qs(target.query)
    assert query["redirect_uri"] == [RETURN_URL]
    assert out["redirectdata"]["state"] == query["state"][0]
    return query["state"][0]


def third_party(s: mwauth.Session, name: str, purpose: str = "login") -> Dict[str, Any]:
    """A login (or, for "link", a linkaccount) through the test identity provider as the
    identity `name`: REDIRECT, then the fields the return URL came back with."""
    button = {"login": "mwauthtestLogin", "link": "mwauthtestLink"}[purpose]
    out = s.auth_begin(purpose, {button: "1"}, returnurl=RETURN_URL)
    state = redirect_state(out)
    return s.auth_continue(mwauthtestCode=code(name), mwauthtestState=state)


def restart(s: mwauth.Session, name: str) -> Dict[str, Any]:
    """A third-party login as the new identity `name`: a RESTART that preserves its state."""
    with pytest.raises(mwauth.LoginError) as e:
        third_party(s, name)
    out = e.value.response
    assert out is not None
    assert out["status"] == "RESTART", out
    assert e.value.code == out["messagecode"] == "authmanager-authn-no-local-user-link"
    assert out["canpreservestate"] is True
    assert e.value.result == mwauth.Result.ERR_LOGIN
    return out


def login(s: mwauth.Session, user: str, password: str) -> None:
    out = s.auth_begin("login", username=user, password=password)
    assert out["status"] == "PASS" and out["username"] == user, out


def assert_no_secret(secrets: List[str], *texts: Any, caplog: Any = None) -> None:
    """None of `secrets` in any of `texts` (outputs, exceptions) nor in any "mwauth" log line."""
    lines = [r.getMessage() for r in caplog.records if r.name == "mwauth"] if caplog is not None else []
    for secret in secrets:
        for text in [repr(t) for t in texts] + [str(t) for t in texts] + lines:
            assert secret not in text


# -- the forms -----------------------------------------------------------------------------


def test_the_create_form_shows_the_captcha(session):
    s = session()
    form = s.auth_fields("create")
    fields = form["fields"]
    for name in ("username", "password", "retype", "captchaWord"):
        assert name in fields, fields
    assert fields["password"]["sensitive"] is True and fields["retype"]["type"] == "password"
    assert fields["captchaId"]["type"] == "hidden" and fields["captchaId"]["value"]
    assert fields["captchaInfo"]["type"] == "null"
    assert fields["captchaInfo"]["value"] == env("MWAUTH_TEST_CAPTCHA_QUESTION")
    assert fields["captchaWord"]["type"] == "string"
    captchas = [r for r in form["requests"] if r["id"] == "CaptchaAuthenticationRequest"]
    assert [r["required"] for r in captchas] == ["required"]
    assert form["canpreservestate"] is False and form["haspreservedstate"] is False
    # The purpose defaults to login; messageformat as for clientlogin_fields.
    login_form = s.auth_fields()
    assert "retype" not in login_form["fields"] and "mwauthtestLogin" in login_form["fields"]
    raw = s.auth_fields("create", messageformat="raw")
    assert isinstance(raw["fields"]["username"]["label"]["key"], str)
    assert s.info["logged_in"] is False


# -- createaccount -------------------------------------------------------------------------


def test_an_account_is_created_and_the_session_stays_anonymous(session, caplog):
    caplog.set_level(logging.DEBUG, logger="mwauth")
    s = session()
    s.auth_fields("create")
    name, password = fresh_name("MwPyNew"), new_password()
    # The captcha id is the form's hidden field: the library sends it back.
    out = s.auth_begin("create", username=name, password=password, retype=password, captchaWord=captcha())
    assert out["status"] == "PASS", out
    assert out["username"] == name
    # MediaWiki's createaccount does not log in.
    assert s.info["logged_in"] is False
    assert s.info["username"] is None
    assert s.request({"action": "query", "meta": "userinfo"})["query"]["userinfo"].get("anon") is True
    with pytest.raises(mwauth.StateError) as e:
        s.auth_continue(captchaWord=captcha())
    assert e.value.code == "no_flow"  # a PASS ends the flow
    # The new account logs in with its password.
    t = session()
    login(t, name, password)
    assert user_name(t) == name
    assert_no_secret([password], out, s.info, t.info, caplog=caplog)
    assert any(r.levelno == logging.DEBUG and "createaccount" in r.getMessage() for r in caplog.records)


def test_a_taken_name_and_a_wrong_captcha_fail_with_the_form_again(session, human, caplog):
    caplog.set_level(logging.DEBUG, logger="mwauth")
    s = session()
    s.auth_fields("create")
    password = new_password()
    with pytest.raises(mwauth.LoginError) as e:
        s.auth_begin("create", username=human[0], password=password, retype=password, captchaWord=captcha())
    assert e.value.code == "userexists"
    taken = e.value.response
    assert taken["status"] == "FAIL" and taken["messagecode"] == "userexists"
    assert taken["canpreservestate"] is False
    # After a FAIL, the form as the wiki now wants it, with a new captcha.
    assert taken["fields"]["captchaId"]["type"] == "hidden" and taken["fields"]["captchaId"]["value"]
    assert any(r["id"] == "CaptchaAuthenticationRequest" for r in taken["requests"])

    name = fresh_name("MwPyRetry")
    with pytest.raises(mwauth.LoginError) as wrong:
        s.auth_begin("create", username=name, password=password, retype=password, captchaWord="not the answer")
    assert wrong.value.code == "captcha-createaccount-fail"
    assert wrong.value.response["status"] == "FAIL"
    # The FAIL's own form (its new captcha id) is the one the next try sends back.
    out = s.auth_begin("create", username=name, password=password, retype=password, captchaWord=captcha())
    assert out == {"status": "PASS", "username": name}
    assert s.info["logged_in"] is False
    assert_no_secret([password], taken, wrong.value, e.value, caplog=caplog)


# -- a third-party identity: RESTART, then a new account or a link on login ----------------


def test_restart_then_create_an_account_for_the_identity(session):
    s = session()
    restart(s, "py-create")
    form = s.auth_fields("create")
    assert form["canpreservestate"] is True
    assert form["haspreservedstate"] is True and form["hasprimarypreservedstate"] is True
    assert form["preservedusername"] == "MwIdp-py-create"
    # No password: the preserved request is the identity provider's.
    out = s.auth_begin("create", preservestate=True, username="MwIdp-py-create", captchaWord=captcha())
    assert out["status"] == "PASS", out
    assert out["username"] == "MwIdp-py-create"
    assert s.info["logged_in"] is False
    assert linked_to("py-create") == "MwIdp-py-create"
    # The identity logs in as the new account now.
    t = session()
    out = third_party(t, "py-create")
    assert out["status"] == "PASS" and out["username"] == "MwIdp-py-create", out
    assert t.info["logged_in"] is True and t.info["auth"] == "clientlogin"
    assert user_name(t) == "MwIdp-py-create"


def test_restart_then_login_with_preservestate_links_the_identity(session, link_user):
    s = session()
    restart(s, "py-loginlink")
    assert s.auth_fields("login")["canpreservestate"] is True
    out = s.auth_begin("login", preservestate=True, username=link_user[0], password=link_user[1])
    assert out["status"] == "UI", out
    assert out["messagecode"] == "authprovider-confirmlink-message"
    confirm = out["fields"]["confirmedLinkIDs"]
    assert confirm["type"] == "multiselect"
    assert list(confirm["options"]) == [f"{IDENTITY}:py-loginlink"]
    assert s.info["logged_in"] is False  # not yet
    out = s.auth_continue(confirmedLinkIDs=f"{IDENTITY}:py-loginlink")
    assert out["status"] == "PASS" and out["username"] == link_user[0], out
    assert s.info["logged_in"] is True and s.info["username"] == link_user[0]
    assert linked_to("py-loginlink") == link_user[0]
    t = session()
    out = third_party(t, "py-loginlink")
    assert out["status"] == "PASS" and out["username"] == link_user[0], out


def test_the_restart_of_an_identity_that_cannot_be_linked_preserves_nothing(session, human):
    s = session()
    redirect_state(s.auth_begin("login", {"mwauthtestLogin": True}, returnurl=RETURN_URL))
    # The hidden state is the REDIRECT's: the library sends it back, only the code is given.
    with pytest.raises(mwauth.LoginError) as e:
        s.auth_continue(mwauthtestCode=env("MWAUTH_TEST_RESTART_CODE"))
    assert e.value.response["status"] == "RESTART"
    assert e.value.code == "authmanager-authn-no-local-user"
    assert e.value.response["canpreservestate"] is False
    assert "password" in e.value.response["fields"]  # the full login form again
    assert s.auth_fields("create")["canpreservestate"] is False
    # A RESTART ends the flow: logging in is a new first step.
    with pytest.raises(mwauth.StateError) as state:
        s.auth_continue(username=human[0], password=human[1])
    assert state.value.code == "no_flow"
    login(s, *human)


# -- logged in: linkaccount, unlinkaccount, removeauthenticationdata -----------------------


def test_linkaccount_from_a_logged_in_session(session, link_user):
    s = session()
    login(s, *link_user)
    form = s.auth_fields("link")
    assert [r["id"] for r in form["requests"]] == ["MediaWiki\\Extension\\MwauthTestAuth\\LinkAuthenticationRequest"]
    assert form["fields"]["mwauthtestLink"]["type"] == "button"
    out = third_party(s, "py-link", "link")
    assert out == {"status": "PASS"}
    assert linked_to("py-link") == link_user[0]
    assert user_name(s) == link_user[0]  # still logged in as itself
    # The same identity again: the wiki's FAIL, a LoginError.
    with pytest.raises(mwauth.LoginError) as e:
        third_party(s, "py-link", "link")
    assert e.value.code == "mwauthtestauth-already-linked"
    assert e.value.response["status"] == "FAIL"
    t = session()
    out = third_party(t, "py-link")
    assert out["status"] == "PASS" and out["username"] == link_user[0], out


def link(s: mwauth.Session, name: str, user: str) -> None:
    assert third_party(s, name, "link")["status"] == "PASS"
    assert linked_to(name) == user


def test_unlinkaccount_by_the_request_id_the_form_lists(session, link_user):
    s = session()
    login(s, *link_user)
    link(s, "py-unlink", link_user[0])
    form = s.auth_fields("unlink")
    ids = [r["id"] for r in form["requests"]]
    assert f"{IDENTITY}:py-unlink" in ids, ids
    assert s.auth_begin("unlink", request=f"{IDENTITY}:py-unlink") == {"status": "success"}
    assert linked_to("py-unlink") is None
    with pytest.raises(mwauth.StateError) as state:
        s.auth_continue({})
    assert state.value.code == "no_flow"  # unlink has no steps
    # Not listed any more: the wiki's refusal is an ApiError.
    with pytest.raises(mwauth.ApiError) as e:
        s.auth_begin("unlink", request=f"{IDENTITY}:py-unlink")
    assert e.value.code == "badrequest"
    assert e.value.result == mwauth.Result.ERR_API
    assert f"{IDENTITY}:py-unlink" not in [r["id"] for r in s.auth_fields("unlink")["requests"]]
    restart(session(), "py-unlink")  # the identity has no local account again


def test_removeauthenticationdata_of_what_a_user_may_remove(session, link_user):
    s = session()
    login(s, *link_user)
    link(s, "py-remove", link_user[0])
    ids = [r["id"] for r in s.auth_fields("remove")["requests"]]
    assert TEMPORARY_PASSWORD_REQUEST in ids and f"{IDENTITY}:py-remove" in ids, ids
    assert PASSWORD_REQUEST not in ids
    assert s.auth_begin("remove", request=TEMPORARY_PASSWORD_REQUEST) == {"status": "success"}
    assert s.auth_begin("remove", request=f"{IDENTITY}:py-remove") == {"status": "success"}
    assert linked_to("py-remove") is None
    # The password is not removable ($wgRemoveCredentialsBlacklist).
    with pytest.raises(mwauth.ApiError) as e:
        s.auth_begin("remove", request=PASSWORD_REQUEST)
    assert e.value.code == "badrequest"
    assert user_name(s) == link_user[0]
    assert s.info["logged_in"] is True


# -- changeauthenticationdata ---------------------------------------------------------------


def test_a_changed_password_is_the_only_one_that_logs_in(session, change_user, caplog):
    caplog.set_level(logging.DEBUG, logger="mwauth")
    user, old = change_user
    new = new_password()
    s = session()
    login(s, user, old)
    form = s.auth_fields("change")
    assert [r["id"] for r in form["requests"]] == [PASSWORD_REQUEST]
    assert set(form["fields"]) == {"password", "retype"}
    assert form["fields"]["password"]["sensitive"] is True
    with pytest.raises(mwauth.ApiError) as e:
        s.auth_begin("change", request=PASSWORD_REQUEST, password=new, retype=new + "x")
    assert e.value.code == "badretype"
    out = s.auth_begin("change", request=PASSWORD_REQUEST, password=new, retype=new)
    assert out == {"status": "success"}
    assert user_name(s) == user  # the session stays logged in
    t = session()
    with pytest.raises(mwauth.LoginError) as refused:
        t.auth_begin("login", username=user, password=old)
    assert refused.value.code == "wrongpassword"
    login(t, user, new)
    assert user_name(t) == user
    assert_no_secret([old, new, new + "x"], form, out, e.value, refused.value, s.info, t.info, caplog=caplog)


# -- what fails before any request ----------------------------------------------------------


def test_bad_input_and_wrong_state_fail_before_any_request(session, link_user):
    anon = session()
    s = session()
    login(s, *link_user)
    argument = {
        "an unknown purpose (fields)": lambda: anon.auth_fields("signup"),
        "an unknown purpose (begin)": lambda: anon.auth_begin("signup", username="X"),
        "a purpose that is not a str": lambda: anon.auth_fields(5),  # type: ignore[arg-type]
        "a bad messageformat": lambda: anon.auth_fields("create", messageformat="shouting"),
        "preservestate for link": lambda: s.auth_begin("link", preservestate=True, mwauthtestLink=True),
        "preservestate not a bool": lambda: anon.auth_begin("login", preservestate="yes"),  # type: ignore[arg-type]
        "request missing for change": lambda: s.auth_begin("change", password="x", retype="x"),
        "request missing for unlink": lambda: s.auth_begin("unlink"),
        "an empty request": lambda: s.auth_begin("remove", request=""),
        "request for login": lambda: anon.auth_begin("login", request=PASSWORD_REQUEST),
        "returnurl for change": lambda: s.auth_begin("change", request=PASSWORD_REQUEST, returnurl=RETURN_URL),
        "a field the library sends": lambda: anon.auth_begin("create", {"createtoken": "x"}),
        "a field the library sends (continue)": lambda: anon.auth_continue(logincontinue="1"),
        "a field named request": lambda: anon.auth_begin("login", {"request": "x"}),
        "a field named token": lambda: s.auth_begin("link", {"token": "x"}),
        "a field that is a number": lambda: anon.auth_begin("login", {"username": 5}),
        "fields not a dict": lambda: anon.auth_begin("login", ["username"]),  # type: ignore[arg-type]
        "the fields dict by name": lambda: anon.auth_begin("login", fields={"username": "X"}),
        "the fields dict by name (continue)": lambda: anon.auth_continue(fields={"OATHToken": "1"}),
        "purpose as a keyword too": lambda: anon.auth_begin("login", purpose="create"),
        "a lone surrogate": lambda: anon.auth_begin("login", username="X\ud800"),
        "a set": lambda: anon.auth_begin("login", {"username": {"X"}}),
    }
    state = {
        "link fields, anonymous": (lambda: anon.auth_fields("link"), "not_logged_in"),
        "link, anonymous": (lambda: anon.auth_begin("link", mwauthtestLink=True), "not_logged_in"),
        "change, anonymous": (lambda: anon.auth_begin("change", request=PASSWORD_REQUEST, password="x",
                                                     retype="x"), "not_logged_in"),
        "remove fields, anonymous": (lambda: anon.auth_fields("remove"), "not_logged_in"),
        "unlink, anonymous": (lambda: anon.auth_begin("unlink", request=f"{IDENTITY}:py-x"), "not_logged_in"),
        "continue with no flow": (lambda: anon.auth_continue(OATHToken="123456"), "no_flow"),
        "continue with no flow (logged in)": (lambda: s.auth_continue({"mwauthtestCode": "x"}), "no_flow"),
    }
    before = server_requests()
    for name, call in argument.items():
        with pytest.raises(mwauth.ArgumentError) as e:
            call()
        assert e.value.result == mwauth.Result.ERR_ARGUMENT, name
        assert e.value.code in ("invalid_value", "wrong_type", "invalid_json", "invalid_utf8"), (name, e.value.code)
        assert e.value.info, name
    for name, (call, code_) in state.items():
        with pytest.raises(mwauth.StateError) as se:
            call()
        assert se.value.code == code_, name
        assert se.value.result == mwauth.Result.ERR_STATE, name
    assert server_requests() == before, "a bad argument or a wrong state made a request"
    # Neither session was changed by any of it.
    assert anon.info["logged_in"] is False
    assert s.info["logged_in"] is True and user_name(s) == link_user[0]
    s.close()
    with pytest.raises(mwauth.StateError) as closed:
        s.auth_fields("create")
    assert closed.value.code == "closed"


# -- the JSON the binding builds --------------------------------------------------------------


class Recorder:
    """A loopback api.php that plays an AuthManager wiki just well enough, and records every
    POST's parameters."""

    def __init__(self) -> None:
        self.posts: List[Dict[str, str]] = []

    def serving(self) -> Any:
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def answer(self, body: Dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                tokens = {f"{t}token": f"{t}-token+\\" for t in ("login", "createaccount", "csrf")}
                self.answer({"query": {"tokens": tokens,
                                       "authmanagerinfo": {"requests": [], "fields": {}},
                                       "userinfo": {"id": 1, "name": "U"}}})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                params = dict(parse_qsl(self.rfile.read(length).decode(), keep_blank_values=True))
                recorder.posts.append(params)
                action = params.get("action", "")
                if action in ("clientlogin", "createaccount", "linkaccount"):
                    self.answer({action: {"status": "PASS", "username": "U"}})
                else:
                    self.answer({action: {"status": "success"}})

            def log_message(self, *args: Any) -> None:
                pass

        return loopback_server(Handler)


def test_fields_as_keywords_or_one_dict_and_the_names_that_clash():
    recorder = Recorder()
    with recorder.serving() as url, mwauth.Session(url, user_agent=UA) as s:
        # The dict holds any name: not an identifier, or one of auth_begin's own keywords.
        odd = {"odd-name.x": "1", "returnurl": "a field", "preservestate": "a field too",
               "username": "overridden", "skipped": False, "none": None}
        out = s.auth_begin("login", odd, preservestate=True, returnurl="http://127.0.0.1:9/r",
                           username="U", password="P", rememberMe=True)
        assert out == {"status": "PASS", "username": "U"}
        sent = recorder.posts[-1]
        assert sent["action"] == "clientlogin"
        assert sent["loginreturnurl"] == "http://127.0.0.1:9/r"
        assert sent["loginpreservestate"] == "1"
        assert sent["returnurl"] == "a field" and sent["preservestate"] == "a field too"
        assert sent["odd-name.x"] == "1" and sent["rememberMe"] == "1"
        assert (sent["username"], sent["password"]) == ("U", "P")  # keywords win over the dict
        assert "skipped" not in sent and "none" not in sent and "loginrequest" not in sent
        assert sent["logintoken"] == "login-token+\\"

        s.auth_begin("create", {"username": "New"}, password="P", retype="P")
        sent = recorder.posts[-1]
        assert sent["action"] == "createaccount" and sent["createreturnurl"] == url  # default: api_url
        assert "createpreservestate" not in sent

        s.auth_begin("remove", request=TEMPORARY_PASSWORD_REQUEST)
        sent = recorder.posts[-1]
        assert sent["action"] == "removeauthenticationdata"
        assert sent["request"] == TEMPORARY_PASSWORD_REQUEST and sent["token"] == "csrf-token+\\"
        s.auth_begin("change", {"password": "N"}, request=PASSWORD_REQUEST, retype="N")
        sent = recorder.posts[-1]
        assert sent["action"] == "changeauthenticationdata"
        assert sent["changeauthrequest"] == PASSWORD_REQUEST and sent["changeauthtoken"] == "csrf-token+\\"
        assert (sent["password"], sent["retype"]) == ("N", "N")
        assert "returnurl" not in sent and "changeauthreturnurl" not in sent


# -- mwauth.aio --------------------------------------------------------------------------------


def run(main: Any, timeout: float = 120.0) -> Any:
    async def bounded() -> Any:
        return await asyncio.wait_for(main(), timeout)

    return asyncio.run(bounded())


async def aio_third_party(s: mwauth.aio.Session, name: str, purpose: str = "login") -> Dict[str, Any]:
    button = {"login": "mwauthtestLogin", "link": "mwauthtestLink"}[purpose]
    out = await s.auth_begin(purpose, {button: "1"}, returnurl=RETURN_URL)
    state = redirect_state(out)
    return await s.auth_continue({"mwauthtestCode": code(name), "mwauthtestState": state})  # type: ignore[no-any-return]


def test_aio_create_then_change_the_new_account_s_password(aio_session, caplog):
    caplog.set_level(logging.DEBUG, logger="mwauth")
    name, password, changed = fresh_name("MwPyAio"), new_password(), new_password()

    async def main() -> None:
        s = aio_session()
        form = await s.auth_fields("create")
        assert form["fields"]["captchaId"]["value"] and "captchaWord" in form["fields"]
        with pytest.raises(mwauth.LoginError) as e:
            await s.auth_begin("create", username=name, password=password, retype=password, captchaWord="nope")
        assert e.value.code == "captcha-createaccount-fail" and e.value.response["fields"]["captchaId"]
        out = await s.auth_begin("create", username=name, password=password, retype=password,
                                 captchaWord=captcha())
        assert out == {"status": "PASS", "username": name}
        assert s.info["logged_in"] is False
        with pytest.raises(mwauth.StateError) as state:
            await s.auth_begin("change", request=PASSWORD_REQUEST, password=changed, retype=changed)
        assert state.value.code == "not_logged_in"

        out = await s.auth_begin("login", username=name, password=password)
        assert out["status"] == "PASS" and s.info["username"] == name
        assert [r["id"] for r in (await s.auth_fields("change"))["requests"]] == [PASSWORD_REQUEST]
        assert await s.auth_begin("change", request=PASSWORD_REQUEST, password=changed, retype=changed) == \
            {"status": "success"}
        t = aio_session()
        with pytest.raises(mwauth.LoginError) as refused:
            await t.auth_begin("login", username=name, password=password)
        assert refused.value.code == "wrongpassword"
        assert (await t.auth_begin("login", username=name, password=changed))["status"] == "PASS"
        assert_no_secret([password, changed], form, out, e.value, refused.value, caplog=caplog)

    run(main)


def test_aio_restart_create_link_and_unlink(aio_session, link_user):
    async def main() -> None:
        s = aio_session()
        with pytest.raises(mwauth.LoginError) as e:
            await aio_third_party(s, "py-aio-create")
        assert e.value.response["status"] == "RESTART" and e.value.response["canpreservestate"] is True
        assert (await s.auth_fields("create"))["canpreservestate"] is True
        out = await s.auth_begin("create", preservestate=True, username="MwIdp-py-aio-create", captchaWord=captcha())
        assert out == {"status": "PASS", "username": "MwIdp-py-aio-create"}
        t = aio_session()
        out = await aio_third_party(t, "py-aio-create")
        assert out["status"] == "PASS" and out["username"] == "MwIdp-py-aio-create"

        u = aio_session()
        await u.auth_begin("login", username=link_user[0], password=link_user[1])
        assert await aio_third_party(u, "py-aio-link", "link") == {"status": "PASS"}
        assert linked_to("py-aio-link") == link_user[0]
        ids = [r["id"] for r in (await u.auth_fields("unlink"))["requests"]]
        assert f"{IDENTITY}:py-aio-link" in ids
        assert await u.auth_begin("unlink", request=f"{IDENTITY}:py-aio-link") == {"status": "success"}
        with pytest.raises(mwauth.ApiError) as api:
            await u.auth_begin("unlink", request=f"{IDENTITY}:py-aio-link")
        assert api.value.code == "badrequest"
        assert linked_to("py-aio-link") is None

    run(main)


def test_aio_bad_input_and_wrong_state_fail_before_any_request(aio_session):
    s = aio_session()
    calls = {
        "an unknown purpose": (lambda: s.auth_begin("signup"), mwauth.ArgumentError, "invalid_value"),
        "an unknown purpose (fields)": (lambda: s.auth_fields("signup"), mwauth.ArgumentError, "invalid_value"),
        "preservestate for link": (lambda: s.auth_begin("link", preservestate=True), mwauth.ArgumentError,
                                   "invalid_value"),
        "request missing for change": (lambda: s.auth_begin("change", password="x"), mwauth.ArgumentError,
                                       "invalid_value"),
        "the fields dict by name": (lambda: s.auth_continue(fields={"x": "1"}), mwauth.ArgumentError, "wrong_type"),
        "link, anonymous": (lambda: s.auth_begin("link", mwauthtestLink=True), mwauth.StateError, "not_logged_in"),
        "change fields, anonymous": (lambda: s.auth_fields("change"), mwauth.StateError, "not_logged_in"),
        "continue with no flow": (lambda: s.auth_continue(OATHToken="123456"), mwauth.StateError, "no_flow"),
    }

    async def main() -> None:
        for name, (call, cls, code_) in calls.items():
            with pytest.raises(cls) as e:
                await call()
            assert e.value.code == code_, name

    before = server_requests()
    run(main)
    assert server_requests() == before, "a bad argument or a wrong state made a request"


def test_a_library_without_the_auth_functions_gives_a_clear_error(session, monkeypatch):
    from mwauth import _ffi

    real = _ffi.optional_symbol
    monkeypatch.setattr(_ffi, "optional_symbol", lambda name: None if name.startswith("mw_auth_") else real(name))
    s = session()
    for call in (lambda: s.auth_fields("create"), lambda: s.auth_begin("login"), lambda: s.auth_continue()):
        with pytest.raises(mwauth.ArgumentError) as e:
            call()
        assert e.value.code == "unsupported" and "mw_auth_" in e.value.info
    assert s.info["logged_in"] is False


def test_the_methods_have_docstrings_and_the_same_signatures_in_aio():
    import inspect

    for name in ("auth_fields", "auth_begin", "auth_continue"):
        sync, aio = getattr(mwauth.Session, name), getattr(mwauth.aio.Session, name)
        assert sync.__doc__ and aio.__doc__
        assert inspect.iscoroutinefunction(aio)
        assert inspect.signature(sync) == inspect.signature(aio), name
    params = inspect.signature(mwauth.Session.auth_begin).parameters
    assert [p.kind for p in params.values()] == [
        inspect.Parameter.POSITIONAL_ONLY,  # self
        inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_ONLY,
        inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.KEYWORD_ONLY,
        inspect.Parameter.VAR_KEYWORD,
    ]
