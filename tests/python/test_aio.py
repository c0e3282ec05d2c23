"""mwauth.aio against the real test wiki (and, where the wiki cannot be made slow on demand, a
scripted loopback server): logins, gathered requests, an edit, errors, cancellation, closing with
calls in flight, logging from the library's pool threads, garbage collection. Each test runs its
own event loop with asyncio.run (no pytest plugin), under a timeout, so a hang fails the test."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import subprocess
import sys
import threading
import time
import uuid
import weakref
from http.server import BaseHTTPRequestHandler
from typing import Any, Awaitable, Callable, Iterator, List, Optional, TypeVar
from urllib.parse import parse_qs, urlsplit

import pytest

import mwauth
import mwauth.aio
from conftest import env, loopback_server, server_requests

T = TypeVar("T")
UA = "mwauth-python-tests/1.0"


def run(main: Callable[[], Awaitable[T]], timeout: float = 120.0) -> T:
    """Runs the coroutine function `main` in a fresh event loop; a hang fails after `timeout`."""

    async def bounded() -> T:
        return await asyncio.wait_for(main(), timeout)

    return asyncio.run(bounded())


async def user_name(s: mwauth.aio.Session) -> str:
    answer = await s.request({"action": "query", "meta": "userinfo"})
    return answer["query"]["userinfo"]["name"]  # type: ignore[no-any-return]


class Slow:
    """A loopback api.php whose answers to ``titles=slow`` come after `delay` seconds (every
    other answer at once): `arrived` counts the slow requests that reached it, `answered` those
    it finished answering."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.arrived = 0
        self.answered = 0
        self.lock = threading.Condition()

    def wait_arrived(self, n: int, timeout: float = 10.0) -> None:
        with self.lock:
            assert self.lock.wait_for(lambda: self.arrived >= n, timeout), f"{self.arrived} of {n} arrived"

    @contextlib.contextmanager
    def serving(self) -> Iterator[str]:
        slow = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                query = parse_qs(urlsplit(self.path).query)
                if query.get("titles") == ["slow"]:
                    with slow.lock:
                        slow.arrived += 1
                        slow.lock.notify_all()
                    time.sleep(slow.delay)
                body = b'{"batchcomplete": true, "query": {"pages": [{"title": "Slow", "missing": true}]}}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                if query.get("titles") == ["slow"]:
                    with slow.lock:
                        slow.answered += 1
                        slow.lock.notify_all()

            def log_message(self, *args: Any) -> None:
                pass

        with loopback_server(Handler) as url:
            yield url


SLOW = {"action": "query", "titles": "slow"}
FAST = {"action": "query", "titles": "fast"}


# -- a bot's day -------------------------------------------------------------------------


def test_login_gathered_requests_an_edit_and_logout(api_url, bot):
    async def main() -> None:
        async with mwauth.aio.Session(api_url, user_agent=UA, assert_="bot") as s:
            assert s.info["logged_in"] is False
            out = await s.login(*bot)
            assert out["status"] == "PASS" and out["username"] == "MwBot"
            assert bot[1] not in repr(out)
            assert (s.info["logged_in"], s.info["auth"], s.info["username"]) == (True, "botpassword", "MwBot")

            titles = [f"Python aio {i}" for i in range(8)]
            answers = await asyncio.gather(
                *(s.request({"action": "query", "meta": "userinfo", "titles": t}) for t in titles))
            assert [a["query"]["userinfo"]["name"] for a in answers] == ["MwBot"] * 8
            assert [a["query"]["pages"][0]["title"] for a in answers] == titles

            text = f"Written from asyncio, {uuid.uuid4()}."
            edit = await s.request({"action": "edit", "title": "Python aio page", "text": text, "bot": True},
                                   token="csrf")
            assert edit["edit"]["result"] == "Success"
            page = (await s.request({"action": "query", "prop": "revisions", "titles": "Python aio page",
                                     "rvprop": ["content", "user"], "rvslots": "main"}))["query"]["pages"][0]
            assert page["revisions"][0]["user"] == "MwBot"
            assert page["revisions"][0]["slots"]["main"]["content"] == text

            assert await s.logout() == {}
            assert s.info["logged_in"] is False
            anon = await s.request({"action": "query", "meta": "userinfo"})
            assert anon["query"]["userinfo"].get("anon") is True
        assert s.closed
        assert "closed" in repr(s)

    run(main)


def test_the_mwauth_package_exposes_aio():
    assert mwauth.aio is sys.modules["mwauth.aio"]
    assert "aio" in mwauth.__all__


def test_bot_password_config_and_a_pathlike_cookie_file(aio_session, session, bot, tmp_path):
    cookies = tmp_path / "cookies.txt"  # a pathlib.Path

    async def main() -> None:
        s = aio_session(bot_password={"username": bot[0], "password": bot[1]}, cookie_file=cookies)
        assert await user_name(s) == "MwBot"
        assert s.info["auth"] == "botpassword"
        await s.close()

    run(main)
    assert cookies.is_file()
    resumed = session(cookie_file=cookies)  # the sync Session reads what the aio one wrote
    assert resumed.info["auth"] == "cookies"
    assert resumed.request({"action": "query", "meta": "userinfo"})["query"]["userinfo"]["name"] == "MwBot"


# -- errors --------------------------------------------------------------------------------


def test_a_wrong_password_is_a_login_error(aio_session, bot):
    async def main() -> None:
        s = aio_session()
        with pytest.raises(mwauth.LoginError) as e:
            await s.login(bot[0], "wrong-password-0123456789abcdefgh")
        assert e.value.code == "Failed"
        assert e.value.error["reason"] == "wrongpassword"
        assert e.value.result == mwauth.Result.ERR_LOGIN
        assert "wrong-password" not in str(e.value) + repr(e.value.response)
        assert s.info["logged_in"] is False
        assert (await s.login(*bot))["status"] == "PASS"

    run(main)


def test_the_constructor_raises_what_the_sync_one_raises(api_url):
    for config, code in (({"no_such_key": 1}, "unknown_key"), ({"assert_": "sometimes"}, "invalid_value"),
                         ({"cookie_file": 5}, "wrong_type")):
        with pytest.raises(mwauth.ArgumentError) as sync_error:
            mwauth.Session(api_url, **config)
        with pytest.raises(mwauth.ArgumentError) as aio_error:
            mwauth.aio.Session(api_url, **config)
        assert aio_error.value.code == sync_error.value.code == code
        assert aio_error.value.info == sync_error.value.info


def test_bad_arguments_are_argument_errors_before_any_request(aio_session):
    s = aio_session()
    bad = {
        # refused by the binding: nothing reaches the library
        "params not a dict": lambda: s.request("action=query"),  # type: ignore[arg-type]
        "a set": lambda: s.request({"action": "query", "titles": {"a"}}),
        "a lone surrogate": lambda: s.login("U@app\ud800", "p" * 32),
        "nested too deeply": lambda: s.clientlogin(username=_nested(100_000)),
        "fields not a dict": lambda: s.clientlogin_step(["OATHToken"]),  # type: ignore[arg-type]
        # refused by the *_async function at once (mw_async_error says why)
        "a bad method": lambda: s.request({"action": "query"}, method="PATCH"),
        "format=xml": lambda: s.request({"action": "query", "format": "xml"}),
        "a token over GET": lambda: s.request({"action": "query"}, method="GET", token="csrf"),
        "credentials not strings": lambda: s.login(5, None),  # type: ignore[arg-type]
        "a bad messageformat": lambda: s.clientlogin_fields("shouting"),
        "a field the library sends": lambda: s.clientlogin(username="U", password="P", logintoken="x"),
    }

    async def main() -> None:
        for name, call in bad.items():
            with pytest.raises(mwauth.ArgumentError) as e:
                await call()
            assert e.value.result == mwauth.Result.ERR_ARGUMENT, name
            assert e.value.code and e.value.info, name
        assert s.info["logged_in"] is False

    before = server_requests()
    run(main)
    assert server_requests() == before, "a bad argument made a request"

    async def still_usable() -> None:
        assert (await s.request({"action": "query", "meta": "siteinfo"}))["query"]["general"]

    run(still_usable)


def _nested(depth: int) -> list:
    outer: list = []
    inner = outer
    for _ in range(depth - 1):
        inner.append([])
        inner = inner[0]
    return outer


def test_a_refusal_carries_the_library_s_error_object(aio_session):
    async def main() -> None:
        s = aio_session()
        with pytest.raises(mwauth.ArgumentError) as e:
            await s.request({"action": "query"}, method="PATCH")
        assert e.value.response == {"error": e.value.error, "result": 1}
        async with mwauth.aio.Session("http://wiki.invalid/w/api.php") as insecure:
            with pytest.raises(mwauth.ArgumentError) as e:
                await insecure.login("U@app", "p" * 32)
        assert e.value.code == "insecure_http"

    run(main)


def test_errors_from_the_wiki_and_the_network(aio_session, api_url):
    async def main() -> None:
        s = aio_session()
        with pytest.raises(mwauth.ApiError) as e:
            await s.request({"action": "nosuchaction"})
        assert e.value.code == "badvalue" and e.value.response["error"] is e.value.error
        with pytest.raises(mwauth.StateError) as state:
            await s.clientlogin_step(OATHToken="123456")
        assert state.value.code == "no_flow"
        base = api_url.rsplit("/", 1)[0]
        async with mwauth.aio.Session(base + "/no-such-script.php") as missing:
            with pytest.raises(mwauth.HttpError) as http:
                await missing.request({"action": "query", "meta": "siteinfo"})
        assert http.value.error["http_status"] == 404
        async with mwauth.aio.Session("http://127.0.0.1:9/api.php", timeout_ms=5000) as closed_port:
            with pytest.raises(mwauth.TransportError) as transport:
                await closed_port.request({"action": "query"})
        assert transport.value.code == "connect"

    run(main)


def test_a_library_without_the_async_functions_gives_a_clear_error(aio_session, monkeypatch):
    from mwauth import _ffi

    real = _ffi.optional_symbol
    monkeypatch.setattr(_ffi, "optional_symbol", lambda name: None if name.endswith("_async") else real(name))

    async def main() -> None:
        s = aio_session()
        with pytest.raises(mwauth.ArgumentError) as e:
            await s.request({"action": "query"})
        assert e.value.code == "unsupported" and "mw_request_async" in e.value.info
        assert s.info["logged_in"] is False

    run(main)


# -- the event loop is never blocked -----------------------------------------------------


def test_the_loop_keeps_ticking_while_8_requests_run():
    slow = Slow(delay=1.0)

    async def main() -> None:
        with slow.serving() as url:
            async with mwauth.aio.Session(url) as s:
                ticks: List[float] = []
                stop = asyncio.Event()

                async def ticker() -> None:
                    while not stop.is_set():
                        ticks.append(time.monotonic())
                        await asyncio.sleep(0.01)

                ticking = asyncio.ensure_future(ticker())
                start = time.monotonic()
                answers = await asyncio.gather(*(s.request(SLOW) for _ in range(8)))
                took = time.monotonic() - start
                stop.set()
                await ticking
        assert [a["query"]["pages"][0]["title"] for a in answers] == ["Slow"] * 8
        assert slow.answered == 8
        assert took < 4.0, f"8 requests of 1 s took {took:.1f} s: they did not run side by side"
        during = [t for t in ticks if start <= t <= start + took]
        assert len(during) >= 30, f"{len(during)} ticks in {took:.1f} s"
        gaps = [b - a for a, b in zip(ticks, ticks[1:])]
        assert max(gaps) < 0.25, f"the loop stalled for {max(gaps):.2f} s"

    run(main)


def test_the_loop_keeps_ticking_while_8_requests_run_on_the_wiki(aio_session, bot):
    async def main() -> None:
        s = aio_session()
        await s.login(*bot)
        ticks: List[float] = []
        running = True

        async def ticker() -> None:
            while running:
                ticks.append(time.monotonic())
                await asyncio.sleep(0.005)

        ticking = asyncio.ensure_future(ticker())
        await asyncio.sleep(0)
        names = await asyncio.gather(*(user_name(s) for _ in range(8)))
        running = False
        await ticking
        assert names == ["MwBot"] * 8
        assert len(ticks) >= 3
        gaps = [b - a for a, b in zip(ticks, ticks[1:])]
        assert max(gaps) < 0.5, f"the loop stalled for {max(gaps):.2f} s"

    run(main)


# -- cancellation and closing ------------------------------------------------------------


def test_a_cancelled_request_completes_in_the_background_and_the_session_works():
    slow = Slow(delay=1.0)

    async def main() -> None:
        with slow.serving() as url:
            async with mwauth.aio.Session(url) as s:
                task = asyncio.ensure_future(s.request(SLOW))
                await asyncio.get_running_loop().run_in_executor(None, slow.wait_arrived, 1)
                task.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await task
                assert slow.answered == 0  # cancelled mid-flight
                # The session works while the cancelled call is still running...
                answer = await s.request(FAST)
                assert answer["query"]["pages"][0]["title"] == "Slow"
                assert s.info["logged_in"] is False
                # ...and after it has finished (its result dropped, nothing left pending).
                await asyncio.get_running_loop().run_in_executor(None, _wait_for, lambda: slow.answered == 1)
                await asyncio.sleep(0.1)
                assert (await s.request(FAST))["batchcomplete"] is True
                assert mwauth.aio._pending == {} or all(c.session is not s for c in mwauth.aio._pending.values())

    run(main, timeout=30)


def _wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_close_after_a_cancel_waits_for_the_call_and_does_not_hang():
    slow = Slow(delay=1.0)

    async def main() -> None:
        with slow.serving() as url:
            s = mwauth.aio.Session(url)
            tasks = [asyncio.ensure_future(s.request(SLOW)) for _ in range(3)]
            await asyncio.get_running_loop().run_in_executor(None, slow.wait_arrived, 3)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            assert all(t.cancelled() for t in tasks)
            start = time.monotonic()
            await asyncio.wait_for(s.close(), 10)
            assert s.closed
            assert slow.answered == 3, "close() returned before the cancelled calls ended"
            assert time.monotonic() - start < 5
            await s.close()  # idempotent
            with pytest.raises(mwauth.StateError) as e:
                await s.request(FAST)
            assert e.value.code == "closed"

    run(main, timeout=30)


def test_a_cancelled_call_on_the_wiki_leaves_the_session_usable(aio_session, bot):
    async def main() -> None:
        s = aio_session()
        login = asyncio.ensure_future(s.login(*bot))
        await asyncio.sleep(0)  # submitted
        login.cancel()
        with pytest.raises(asyncio.CancelledError):
            await login
        # The login goes on in the background, and its result is dropped: the session is
        # logged in all the same once it has finished.
        deadline = time.monotonic() + 30
        while not s.info["logged_in"]:
            assert time.monotonic() < deadline, "the cancelled login never finished"
            await asyncio.sleep(0.02)
        tasks = [asyncio.ensure_future(user_name(s)) for _ in range(4)]
        await asyncio.sleep(0)
        tasks[0].cancel()
        names = await asyncio.gather(*tasks[1:])
        assert names == ["MwBot"] * 3
        assert s.info["username"] == "MwBot"
        await s.close()

    run(main)


def test_close_with_pending_calls_lets_them_finish(aio_session, bot):
    async def main() -> None:
        s = aio_session()
        await s.login(*bot)
        tasks = [asyncio.ensure_future(user_name(s)) for _ in range(8)]
        await asyncio.sleep(0)  # all 8 submitted
        await s.close()
        assert s.closed
        assert all(t.done() for t in tasks)
        assert [t.result() for t in tasks] == ["MwBot"] * 8
        with pytest.raises(mwauth.StateError):
            _ = s.info
        with pytest.raises(mwauth.StateError):
            await s.logout()
        # Two close() at once, while calls are pending: both return when the calls are done.
        t = aio_session()
        pending = asyncio.ensure_future(t.request({"action": "query", "meta": "siteinfo"}))
        await asyncio.sleep(0)
        await asyncio.gather(t.close(), t.close())
        assert t.closed and pending.done() and pending.result()["query"]["general"]

    run(main)


def test_calls_after_close_has_begun_are_refused(aio_session):
    slow = Slow(delay=0.5)

    async def main() -> None:
        with slow.serving() as url:
            s = aio_session(api_url=url)
            first = asyncio.ensure_future(s.request(SLOW))
            await asyncio.sleep(0)
            closing = asyncio.ensure_future(s.close())
            await asyncio.sleep(0)
            assert not s.closed  # waiting for the call in flight
            with pytest.raises(mwauth.StateError) as e:
                await s.request(FAST)
            assert e.value.code == "closed"
            await closing
            assert (await first)["batchcomplete"] is True

    run(main, timeout=30)


# -- logging -----------------------------------------------------------------------------


def test_log_lines_come_from_the_pool_threads(aio_session, bot, secrets, caplog):
    caplog.set_level(logging.DEBUG, logger="mwauth")

    async def main() -> int:
        s = aio_session()
        with pytest.raises(mwauth.LoginError):
            await s.login(bot[0], "wrong-password-0123456789abcdefgh")
        await s.login(*bot)
        await asyncio.gather(*(user_name(s) for _ in range(8)))
        await s.request({"action": "edit", "title": "Python aio log", "text": "x", "bot": True}, token="csrf")
        return threading.get_ident()

    loop_thread = run(main)
    records = [r for r in caplog.records if r.name == "mwauth"]
    exchanges = [r for r in records if r.levelno == logging.DEBUG]
    # login token + login (twice), 8 userinfo queries, the csrf token, the edit
    assert len(exchanges) >= 14, [r.getMessage() for r in records]
    assert any(r.levelno == logging.WARNING and "refused the login" in r.getMessage() for r in records)
    assert all(r.thread != loop_thread for r in records), "a log line came from the event loop's thread"
    assert len({r.thread for r in exchanges}) > 1  # several pool threads
    for r in records:
        for secret in list(secrets) + ["wrong-password-0123456789abcdefgh"]:
            assert secret not in r.getMessage()


def test_changing_the_logger_while_calls_are_in_flight_does_not_hang(caplog):
    from mwauth import _ffi, _session

    slow = Slow(delay=0.5)
    seen: List[str] = []

    class Calling(logging.Handler):
        """A handler that calls back into the session from the pool thread (the library
        allows a log callback to call the session's functions)."""

        def __init__(self, s: mwauth.aio.Session) -> None:
            super().__init__(logging.DEBUG)
            self.s = s

        def emit(self, record: logging.LogRecord) -> None:
            seen.append(str(self.s.info["logged_in"]))

    async def main() -> None:
        logger = logging.getLogger("mwauth")
        with slow.serving() as url:
            async with mwauth.aio.Session(url) as s:
                caplog.set_level(logging.DEBUG, logger="mwauth")
                handler = Calling(s)
                tasks = [asyncio.ensure_future(s.request(SLOW)) for _ in range(8)]
                await asyncio.get_running_loop().run_in_executor(None, slow.wait_arrived, 8)
                logger.addHandler(handler)
                try:
                    for level in (logging.WARNING, logging.DEBUG):
                        logger.setLevel(level)
                        # The library's logger itself, replaced while calls are running: it must
                        # not wait for them (nor for a callback waiting for this thread).
                        start = time.monotonic()
                        assert _ffi.lib.mw_session_set_logger(s._ptr, _session._LOG_CALLBACK, None) == 0
                        assert time.monotonic() - start < 0.25
                        await asyncio.sleep(0)
                    answers = await asyncio.gather(*tasks)
                    assert len(answers) == 8
                    await s.request(FAST)
                finally:
                    logger.removeHandler(handler)

    run(main, timeout=30)
    assert seen and set(seen) == {"False"}


# -- clientlogin -------------------------------------------------------------------------


def test_clientlogin_pass_fail_and_redirect(aio_session, human):
    async def main() -> None:
        s = aio_session()
        form = await s.clientlogin_fields()
        assert form["fields"]["password"]["sensitive"] is True
        with pytest.raises(mwauth.LoginError) as e:
            await s.clientlogin({"username": human[0], "password": "not the password"})
        assert e.value.code == "wrongpassword" and e.value.response["status"] == "FAIL"
        out = await s.clientlogin(username=human[0], password=human[1])
        assert out["status"] == "PASS"
        assert s.info["auth"] == "clientlogin"
        assert await user_name(s) == human[0]

        t = aio_session()
        out = await t.clientlogin(mwauthtestLogin=True, returnurl="http://127.0.0.1:9/back")
        assert out["status"] == "REDIRECT", out
        state = parse_qs(urlsplit(out["redirecttarget"]).query)["state"][0]
        out = await t.clientlogin_step({"mwauthtestCode": env("MWAUTH_TEST_REDIRECT_CODE"),
                                        "mwauthtestState": state})
        assert out["status"] == "PASS", out
        assert await user_name(t) == env("MWAUTH_TEST_REDIRECT_USER")

    run(main)


def test_clientlogin_two_factor_asks_again_after_a_wrong_code(aio_session):
    # Only the UI half: MwTwoFactor3's 30-second windows belong to test_clientlogin.py (OATHAuth
    # accepts each once per user), so no code is used up here.
    user, password = env("MWAUTH_TEST_TOTP3_USER"), env("MWAUTH_TEST_TOTP3_PASSWORD")

    async def main() -> None:
        s = aio_session()
        out = await s.clientlogin(username=user, password=password)
        assert out["status"] == "UI", out
        assert "OATHToken" in out["fields"]
        out = await s.clientlogin_step(OATHToken="abcdef")  # never a valid code
        assert out["status"] == "UI", out
        assert out["messagecode"] == "oathauth-login-failed"
        assert s.info["logged_in"] is False

    run(main)


# -- garbage collection and exit ---------------------------------------------------------


def test_garbage_collection_frees_an_unclosed_session(api_url):
    refs = []
    for _ in range(20):
        refs.append(weakref.ref(mwauth.aio.Session(api_url)))
    gc.collect()
    assert all(r() is None for r in refs)


def test_a_call_in_flight_keeps_its_session_alive():
    slow = Slow(delay=1.0)

    async def main() -> None:
        with slow.serving() as url:
            s: Optional[mwauth.aio.Session] = mwauth.aio.Session(url)
            ref = weakref.ref(s)
            task = asyncio.ensure_future(s.request(SLOW))
            await asyncio.get_running_loop().run_in_executor(None, slow.wait_arrived, 1)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            del s, task
            gc.collect()
            assert ref() is not None, "collected (and freed) with a call in flight"
            # Once the call has ended, nothing holds it: it is collected and freed.
            deadline = time.monotonic() + 10
            while ref() is not None:
                assert time.monotonic() < deadline, "never collected"
                await asyncio.sleep(0.05)
                gc.collect()
            # A new session works (the library and the pool are fine).
            async with mwauth.aio.Session(url) as t:
                assert (await t.request(FAST))["batchcomplete"] is True

    run(main, timeout=30)


EXIT_PROGRAM = """
import asyncio, sys, mwauth.aio

async def main(mode):
    s = mwauth.aio.Session(sys.argv[1], user_agent="mwauth-python-tests/1.0")
    tasks = [asyncio.ensure_future(s.request({"action": "query", "meta": "siteinfo"})) for _ in range(8)]
    await asyncio.sleep(0)  # submitted; then the loop ends with them in flight
    if mode == "drop":
        del s

asyncio.run(main(sys.argv[2]))
print("exited")
"""


@pytest.mark.parametrize("mode", ["keep", "drop"])
def test_the_interpreter_exits_cleanly_with_calls_in_flight(api_url, mode):
    out = subprocess.run([sys.executable, "-c", EXIT_PROGRAM, api_url, mode], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "exited"
    assert "Traceback" not in out.stderr and "Exception ignored" not in out.stderr, out.stderr
