"""Shared fixtures for the Python binding's tests. They run against the real test wiki
(tests/wiki/with-wiki.sh exports where it is and who its users are); without it they FAIL,
on purpose: a test suite that skips itself green proves nothing. Run them with
`tests/wiki/with-wiki.sh tests/python/run.sh` (make test does)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable, Iterator, List, Type

import pytest

import mwauth

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "bindings" / "python" / "examples"


def env(name: str) -> str:
    """The test wiki's variable `name`; fails the test (never skips it) when it is not set."""
    value = os.environ.get(name)
    if not value:
        pytest.fail(
            f"{name} is not set: these tests need the real test wiki; run them with "
            "`tests/wiki/with-wiki.sh tests/python/run.sh` (make test does)",
            pytrace=False,
        )
    return value


@pytest.fixture
def api_url() -> str:
    return env("MWAUTH_TEST_API_URL")


@pytest.fixture
def bot() -> tuple:
    return env("MWAUTH_TEST_BOT_USER"), env("MWAUTH_TEST_BOT_PASSWORD")


@pytest.fixture
def plain() -> tuple:
    return env("MWAUTH_TEST_PLAIN_USER"), env("MWAUTH_TEST_PLAIN_PASSWORD")


@pytest.fixture
def human() -> tuple:
    return env("MWAUTH_TEST_HUMAN_USER"), env("MWAUTH_TEST_HUMAN_PASSWORD")


@pytest.fixture
def link_user() -> tuple:
    """MwLink2, this suite's user to link identities to (the Rust tests have MwLink1, the smoke
    test MwLink3)."""
    return env("MWAUTH_TEST_LINK2_USER"), env("MWAUTH_TEST_LINK2_PASSWORD")


@pytest.fixture
def change_user() -> tuple:
    """MwChange2, this suite's user whose password a test changes (its exported password is
    stale after that)."""
    return env("MWAUTH_TEST_CHANGE2_USER"), env("MWAUTH_TEST_CHANGE2_PASSWORD")


@pytest.fixture
def secrets() -> List[str]:
    """Every password of the test wiki, for checks that none leaks."""
    names = ["MWAUTH_TEST_BOT_PASSWORD", "MWAUTH_TEST_PLAIN_PASSWORD", "MWAUTH_TEST_HUMAN_PASSWORD"]
    return [env(n) for n in names]


@pytest.fixture
def session(api_url: str) -> Iterator[Callable[..., mwauth.Session]]:
    """A factory of sessions on the test wiki (closed after the test)."""
    made: List[mwauth.Session] = []

    def make(**config: Any) -> mwauth.Session:
        config.setdefault("user_agent", "mwauth-python-tests/1.0")
        s = mwauth.Session(config.pop("api_url", api_url), **config)
        made.append(s)
        return s

    yield make
    for s in made:
        s.close()


@pytest.fixture
def aio_session(api_url: str) -> Iterator[Callable[..., "mwauth.aio.Session"]]:
    """A factory of mwauth.aio sessions on the test wiki; any a test left open is closed after it."""
    import mwauth.aio

    made: List[mwauth.aio.Session] = []

    def make(**config: Any) -> mwauth.aio.Session:
        config.setdefault("user_agent", "mwauth-python-tests/1.0")
        s = mwauth.aio.Session(config.pop("api_url", api_url), **config)
        made.append(s)
        return s

    yield make
    for s in made:
        if not s.closed:
            asyncio.run(asyncio.wait_for(s.close(), 60))


def user_name(s: mwauth.Session) -> str:
    """Who the wiki says the session is (an IP address when anonymous)."""
    return s.request({"action": "query", "meta": "userinfo"})["query"]["userinfo"]["name"]


@contextlib.contextmanager
def loopback_server(handler: Type[BaseHTTPRequestHandler], path: str = "/api.php") -> Iterator[str]:
    """A scripted HTTP server on 127.0.0.1 for what the real wiki will not do on demand: yields
    its URL for `path`, and stops it afterwards."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}{path}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def server_requests() -> int:
    """How many requests the test wiki's main server has logged, once its log has stopped
    growing (a request's line is written after its answer)."""
    log = Path(env("MWAUTH_TEST_SERVER_LOG"))

    def count() -> int:
        lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
        return sum(1 for line in lines if "]: GET " in line or "]: POST " in line)

    last = count()
    while True:
        time.sleep(0.3)
        now = count()
        if now == last:
            return now
        last = now
