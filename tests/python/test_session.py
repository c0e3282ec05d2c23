"""A bot's day through the Python binding against the real test wiki: log in, read, edit with a
csrf token, share the session among threads, log out; the Session's lifetime."""

from __future__ import annotations

import gc
import os
import threading
import time
import uuid

import pytest

import mwauth
from conftest import user_name


def test_version_is_the_library_s():
    assert mwauth.version().count(".") == 2
    assert mwauth.__version__ == mwauth.version()


def test_bot_login_userinfo_and_logout(session, bot):
    s = session(assert_="bot")
    out = s.login(*bot)
    assert out["status"] == "PASS"
    assert out["username"] == "MwBot"
    assert isinstance(out["userid"], int) and out["userid"] > 0
    assert bot[1] not in repr(out)
    info = s.info
    assert info["logged_in"] is True
    assert info["auth"] == "botpassword"
    assert info["username"] == "MwBot"
    userinfo = s.request({"action": "query", "meta": "userinfo", "uiprop": ["groups", "rights"]})
    assert userinfo["query"]["userinfo"]["name"] == "MwBot"
    assert "bot" in userinfo["query"]["userinfo"]["groups"]
    assert s.logout() == {}
    assert s.info["logged_in"] is False
    anon = s.request({"action": "query", "meta": "userinfo"})
    assert anon["query"]["userinfo"].get("anon") is True


def test_edit_with_a_csrf_token(session, bot):
    s = session()
    s.login(*bot)
    title = "Python test page"
    text = f"Written from Python, {uuid.uuid4()}."
    edit = s.request({"action": "edit", "title": title, "text": text, "summary": "mwauth Python test", "bot": True},
                     token="csrf")
    assert edit["edit"]["result"] == "Success"
    # A second edit reuses the cached token; method and token_param given explicitly.
    edit = s.request({"action": "edit", "title": title, "appendtext": "\nMore.", "bot": True},
                     method="POST", token="csrf", token_param="token")
    assert edit["edit"]["result"] == "Success"
    page = s.request({"action": "query", "prop": "revisions", "titles": title, "rvprop": ["content", "user"],
                      "rvslots": "main"})["query"]["pages"][0]
    assert page["revisions"][0]["user"] == "MwBot"
    assert page["revisions"][0]["slots"]["main"]["content"] == text + "\nMore."


def test_bot_password_config_logs_in_on_first_request(session, bot):
    s = session(bot_password={"username": bot[0], "password": bot[1]}, assert_="bot")
    assert user_name(s) == "MwBot"
    assert s.info["auth"] == "botpassword"


def test_a_dict_and_keyword_config_values_pass_through(session, api_url):
    s = session(timeout_ms=10000, maxlag=None, max_retries=1, relogin=False, max_response_bytes=1 << 20)
    assert s.info["api_url"] == api_url
    assert s.info["logged_in"] is False


def test_threads_share_one_session(session, bot):
    s = session(assert_="bot")
    s.login(*bot)
    names, errors = [], []
    lock = threading.Lock()

    def reader():
        try:
            for _ in range(5):
                name = user_name(s)
                with lock:
                    names.append(name)
        except Exception as e:  # noqa: BLE001 - reported below
            with lock:
                errors.append(e)

    threads = [threading.Thread(target=reader) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert names == ["MwBot"] * 40


def test_close_while_other_threads_call(session, bot):
    s = session()
    s.login(*bot)
    outcomes, lock = [], threading.Lock()

    def worker():
        try:
            while True:
                user_name(s)
        except mwauth.StateError as e:
            with lock:
                outcomes.append(e.code)
        except Exception as e:  # noqa: BLE001
            with lock:
                outcomes.append(repr(e))

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    time.sleep(0.5)
    s.close()  # waits for the calls in flight; later ones raise StateError("closed")
    for t in threads:
        t.join()
    assert outcomes == ["closed"] * 4


def test_close_twice_and_use_after_close(session):
    s = session()
    assert not s.closed
    s.close()
    s.close()
    assert s.closed
    assert "closed" in repr(s)
    with pytest.raises(mwauth.StateError) as e:
        _ = s.info
    assert e.value.code == "closed"
    with pytest.raises(mwauth.StateError):
        s.request({"action": "query"})


def test_context_manager(api_url, bot):
    with mwauth.Session(api_url, user_agent="mwauth-python-tests/1.0") as s:
        assert s.login(*bot)["status"] == "PASS"
        assert user_name(s) == "MwBot"
    assert s.closed
    with pytest.raises(mwauth.StateError):
        s.logout()
    # The session is closed also when the block raises.
    with pytest.raises(KeyError):
        with mwauth.Session(api_url) as t:
            raise KeyError("x")
    assert t.closed


def test_garbage_collection_frees_the_session_and_keeps_the_logger_alive(api_url):
    for _ in range(20):
        mwauth.Session(api_url)  # dropped at once: __del__ closes it
    gc.collect()
    s = mwauth.Session(api_url)
    gc.collect()  # the log callback must survive this: the library still calls it
    assert s.request({"action": "query", "meta": "siteinfo"})["query"]["general"]["sitename"]
    del s
    gc.collect()


def test_a_bot_resumed_from_a_temporary_accounts_cookies_acts_as_the_bot(session, bot, tmp_path):
    # On 1.43 (temporary accounts on) an anonymous edit makes the cookie file a ~2026-N user's,
    # who passes assert=user; the bot must log in again and edit as itself. On 1.39 the file
    # holds an anonymous session.
    release = os.environ["MWAUTH_TEST_MW_VERSION"]
    cookies = tmp_path / "cookies.txt"
    anon = session(cookie_file=str(cookies))
    out = anon.request({"action": "edit", "title": "Python temporary", "text": "anonymous"}, token="csrf")
    assert out["edit"]["result"] == "Success"
    assert out["edit"].get("tempusercreated", False) is (release == "1.43")
    assert anon.info["temp"] is (release == "1.43")
    assert anon.info["username"] is None
    anon.close()

    s = session(cookie_file=str(cookies), bot_password={"username": bot[0], "password": bot[1]})
    out = s.request({"action": "edit", "title": "Python temporary", "text": "the bot's"}, token="csrf")
    assert out["edit"]["result"] == "Success"
    assert user_name(s) == "MwBot"
    assert (s.info["username"], s.info["temp"], s.info["auth"]) == ("MwBot", False, "botpassword")
    page = s.request({"action": "query", "prop": "revisions", "titles": "Python temporary",
                      "rvprop": "user"})["query"]["pages"][0]
    assert page["revisions"][0]["user"] == "MwBot"
