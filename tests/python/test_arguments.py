"""What a caller can get wrong is an mwauth.ArgumentError, whichever method gets it, never a bare
TypeError, ValueError, RecursionError or UnicodeEncodeError; an answer Python's json parser cannot
read is an mwauth.HttpError; paths may be str, bytes or os.PathLike."""

from __future__ import annotations

import contextlib
import math
import os
import shutil
import subprocess
import sys
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from types import MappingProxyType
from typing import Any, Callable, Dict, Iterator

import pytest

import mwauth
from conftest import loopback_server, user_name

DEEP = 100_000  # far beyond Python's recursion limit (1000 by default)


def nested(depth: int) -> list:
    """[[[...]]], `depth` lists deep, built without recursion."""
    outer: list = []
    inner = outer
    for _ in range(depth - 1):
        inner.append([])
        inner = inner[0]
    return outer


def contains_itself(kind: type) -> Any:
    value = kind()
    if kind is list:
        value.append(value)
    else:
        value["self"] = value
    return value


# Values JSON has no form for (or Python's json module refuses to write).
UNSENDABLE = {
    "set": lambda: {"a"},
    "bytes": lambda: b"bytes",
    "object": object,
    "nan": lambda: math.nan,
    "infinity": lambda: -math.inf,
    "int key": lambda: {1: "x"},  # json.dumps would quietly send {"1": "x"}
    "None key": lambda: {None: "x"},
    "tuple key": lambda: {(1, 2): "x"},
    "list containing itself": lambda: contains_itself(list),
    "dict containing itself": lambda: contains_itself(dict),
    "nested 100000 deep": lambda: nested(DEEP),
}

# Every method that sends a value the caller chose, with that value put where it goes.
ENTRY_POINTS: Dict[str, Callable[[Callable[..., mwauth.Session], Any], Any]] = {
    "Session()": lambda session, v: session(user_agent=v),
    "Session(bot_password=)": lambda session, v: session(bot_password={"username": v, "password": "p"}),
    "login": lambda session, v: session().login(v, "p" * 32),
    "request": lambda session, v: session().request({"action": "query", "titles": v}),
    "request(token=)": lambda session, v: session().request({"action": "query"}, token=v),
    "clientlogin": lambda session, v: session().clientlogin(username="U", password=v),
    "clientlogin(dict)": lambda session, v: session().clientlogin({"username": v}),
    "clientlogin_step": lambda session, v: session().clientlogin_step(OATHToken=v),
    "clientlogin_fields": lambda session, v: session().clientlogin_fields(v),
    "upload(text=)": lambda session, v: session().upload("X.bin", __file__, text=v),
    "rest(query=)": lambda session, v: session().rest("GET", "/v1/page/X", query={"q": v}),
    "rest(body=)": lambda session, v: session().rest("POST", "/v1/page", body={"source": v}),
    "request_all": lambda session, v: next(session().request_all({"action": "query", "titles": v})),
    "request(files=) tuple": lambda session, v: session().request({"action": "upload"}, files={"file": (v, b"x")}),
}


@pytest.mark.parametrize("value", UNSENDABLE.values(), ids=UNSENDABLE.keys())
@pytest.mark.parametrize("entry", ENTRY_POINTS.values(), ids=ENTRY_POINTS.keys())
def test_a_value_json_cannot_carry_is_an_argument_error(session, entry, value):
    with pytest.raises(mwauth.ArgumentError) as e:
        entry(session, value())
    assert e.value.code == "invalid_json"
    assert e.value.info.startswith("cannot be sent as JSON: ")
    assert e.value.result == mwauth.Result.ERR_ARGUMENT


@pytest.mark.parametrize("text", ["\ud800", "a\udfffb", "\ud83d\ude00"], ids=["high", "low", "split pair"])
@pytest.mark.parametrize("entry", ENTRY_POINTS.values(), ids=ENTRY_POINTS.keys())
def test_a_lone_surrogate_is_an_argument_error(session, entry, text):
    with pytest.raises(mwauth.ArgumentError) as e:
        entry(session, text)
    assert e.value.code == "invalid_utf8"
    assert "UTF-8" in e.value.info
    assert e.value.result == mwauth.Result.ERR_ARGUMENT


def test_a_lone_surrogate_in_the_api_url_or_a_key_is_an_argument_error(session):
    for call in (lambda: mwauth.Session("http://127.0.0.1/\udc80/api.php"),
                 lambda: session().request({"action": "query", "\ud800": "x"})):
        with pytest.raises(mwauth.ArgumentError) as e:
            call()
        assert e.value.code == "invalid_utf8"


def test_a_password_with_a_lone_surrogate_is_not_echoed(session):
    password = "secret-0123456789abcdefghij\ud800"
    with pytest.raises(mwauth.ArgumentError) as e:
        session().login("U@app", password)
    assert "secret" not in str(e.value) + repr(e.value.error)


NOT_A_DICT = {"str": "action=query", "list": ["action"], "pairs": [("action", "query")], "int": 5}


@pytest.mark.parametrize("value", NOT_A_DICT.values(), ids=NOT_A_DICT.keys())
def test_a_dict_argument_that_is_not_one_is_an_argument_error(session, value):
    s = session()
    for method in (s.request, s.clientlogin, s.clientlogin_step):
        with pytest.raises(mwauth.ArgumentError) as e:
            method(value)
        assert e.value.code == "wrong_type"
        assert type(value).__name__ in e.value.info
    with pytest.raises(mwauth.ArgumentError) as e:
        s.request(None)  # type: ignore[arg-type]
    assert e.value.code == "wrong_type"
    assert s.info["logged_in"] is False


def test_any_mapping_is_a_dict_argument(session):
    s = session()
    answer = s.request(MappingProxyType({"action": "query", "meta": "siteinfo"}))
    assert answer["query"]["general"]


def test_text_beyond_ascii_and_a_nul_arrive_intact(session):
    s = session()
    # Sent as UTF-8 JSON now (not \u escapes); the wiki names the page as it was asked for.
    title = "Zürich ✓ 😀"
    assert s.request({"action": "query", "titles": title})["query"]["pages"][0]["title"] == title
    # JSON escapes a NUL, so it cannot cut the C string short: the library sees it and refuses
    # it where it cannot go, rather than using what came before it.
    with pytest.raises(mwauth.ArgumentError) as e:
        session(user_agent="bot\0/1.0")
    assert e.value.code == "invalid_value"
    with pytest.raises(mwauth.ArgumentError) as e:
        session(cookie_file="/tmp/cookies\0.txt")
    assert e.value.code == "invalid_value"


def test_bad_arguments_leave_the_session_usable(session):
    s = session()
    for value in UNSENDABLE.values():
        with pytest.raises(mwauth.ArgumentError):
            s.request({"action": "query", "titles": value()})
    with pytest.raises(mwauth.ArgumentError):
        s.request("action=query")  # type: ignore[arg-type]
    assert s.request({"action": "query", "meta": "siteinfo"})["query"]["general"]


# -- paths ---------------------------------------------------------------------------------


class FsPath:
    """An os.PathLike that is not a pathlib.Path."""

    def __init__(self, path: Any) -> None:
        self.path = path

    def __fspath__(self) -> Any:
        return self.path


def test_cookie_file_takes_a_pathlike_or_bytes(session, bot, tmp_path):
    path = tmp_path / "cookies.txt"
    s = session(cookie_file=path)
    s.login(*bot)
    assert path.is_file()
    name = bot[0].split("@")[0]
    for same in (os.fsencode(path), FsPath(str(path)), FsPath(os.fsencode(path))):
        resumed = session(cookie_file=same)
        assert resumed.info["auth"] == "cookies"
        assert user_name(resumed) == name


def self_signed_pem(folder: Path) -> Path:
    openssl = shutil.which("openssl")
    assert openssl, "openssl is needed (tests/deps.sh installs it)"
    cert = folder / "ca.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", str(folder / "key.pem"), "-out", str(cert), "-days", "1", "-subj", "/CN=mwauth test CA"],
        check=True, capture_output=True,
    )
    return cert


def test_ca_file_takes_a_pathlike_or_bytes(session, tmp_path):
    cert = self_signed_pem(tmp_path)
    for path in (cert, os.fsencode(cert), FsPath(str(cert))):
        assert session(ca_file=path).request({"action": "query", "meta": "siteinfo"})["query"]["general"]
    # The path reaches the library as the path it is: a missing file is named in the error.
    missing = tmp_path / "missing.pem"
    with pytest.raises(mwauth.ArgumentError) as e:
        session(ca_file=missing)
    assert e.value.code == "invalid_value"
    assert str(missing) in e.value.info


@pytest.mark.parametrize("key", ["cookie_file", "ca_file"])
@pytest.mark.parametrize("value", [5, ["/tmp/x"], FsPath(5)], ids=["int", "list", "bad fspath"])
def test_a_path_of_the_wrong_type_is_an_argument_error(session, key, value):
    with pytest.raises(mwauth.ArgumentError) as e:
        session(**{key: value})
    assert e.value.code == "wrong_type"
    assert f"config.{key}" in e.value.info


# -- answers Python's json parser cannot read -----------------------------------------------


@contextlib.contextmanager
def answering(body: bytes) -> Iterator[str]:
    """The api.php URL of a loopback HTTP server that answers every GET with `body` (HTTP 200,
    JSON): the real wiki will not answer 100000 nested arrays on demand."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    with loopback_server(Handler) as url:
        yield url


def test_an_answer_too_deep_for_python_is_an_http_error():
    deep = "[" * DEEP + "]" * DEEP
    with answering(f'{{"batchcomplete": true, "query": {deep}}}'.encode()) as url:
        with mwauth.Session(url) as s:
            with pytest.raises(mwauth.HttpError) as e:
                s.request({"action": "query", "meta": "siteinfo"})
            assert e.value.code == "not_json"
            assert e.value.result == mwauth.Result.ERR_HTTP
            assert "too deeply" in e.value.info
            assert s.info["logged_in"] is False  # still usable


@pytest.mark.skipif(not hasattr(sys, "set_int_max_str_digits"), reason="Python without an int digit limit")
def test_an_int_too_long_for_python_is_an_http_error():
    limit = 4300  # Python's default (PYTHONINTMAXSTRDIGITS may have changed it)
    old = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(limit)
    try:
        with answering(f'{{"query": {{"n": {"7" * (limit + 1)}}}}}'.encode()) as url:
            with mwauth.Session(url) as s:
                with pytest.raises(mwauth.HttpError) as e:
                    s.request({"action": "query"})
        assert e.value.code == "not_json"
    finally:
        sys.set_int_max_str_digits(old)
