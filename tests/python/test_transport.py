"""A bot's whole transport through the binding (Session.upload, Session.rest, Session.request_all,
Session.request(files=...) and mwauth.aio's), mirroring tests/wiki_transport.rs and
tests/loopback_transport.rs. Against the real test wiki: uploads in one request and in chunks
(the wiki's SHA-1 of each file is the local one), a duplicate's Warning, the REST API from a
cookie session (a write the page history shows), continuation over a known set of pages (lazily:
a request per answer asked for) and bad input refused before any request. On scripted loopback
servers: REST from an OAuth 2 session (no token), an OAuth 1.0a multipart upload whose signature
oauthlib verifies, multipart bodies as sent, and the concurrency cap."""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import io
import json
import logging
import os
import re
import tempfile
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple
from urllib.parse import quote, urlsplit

import pytest
from oauthlib.oauth1 import Client
from oauthlib.oauth1.rfc5849 import signature, utils

import mwauth
import mwauth.aio
from conftest import env, loopback_server, server_requests

UA = "mwauth-python-tests/1.0"
RUN = uuid.uuid4().hex[:8]  # names no other run (nor the Rust tests) uses


# -- helpers -------------------------------------------------------------------------------


def random_file(directory: Path, name: str, size: int) -> Path:
    """`size` random bytes (a file the wiki has not seen, and no other test's duplicate)."""
    path = directory / name
    path.write_bytes(os.urandom(size))
    return path


def sha1(path: Path) -> str:
    return hashlib.sha1(path.read_bytes()).hexdigest()


def wiki_sha1(s: mwauth.Session, name: str) -> str:
    """The wiki's SHA-1 of File:`name` (prop=imageinfo&iiprop=sha1)."""
    out = s.request({"action": "query", "prop": "imageinfo", "iiprop": ["sha1", "size"], "titles": f"File:{name}"})
    page = out["query"]["pages"][0]
    assert "imageinfo" in page, f"no imageinfo for {name}: {out}"
    return page["imageinfo"][0]["sha1"]  # type: ignore[no-any-return]


def run(main: Callable[[], Any], timeout: float = 120.0) -> Any:
    async def bounded() -> Any:
        return await asyncio.wait_for(main(), timeout)

    return asyncio.run(bounded())


@pytest.fixture
def bot_session(session: Callable[..., mwauth.Session], bot: Tuple[str, str]) -> Callable[..., mwauth.Session]:
    """A factory of MwBot sessions (bot_password config: it logs in before its first request)."""

    def make(**config: Any) -> mwauth.Session:
        return session(bot_password={"username": bot[0], "password": bot[1]}, assert_="bot", **config)

    return make


@pytest.fixture
def aio_bot(api_url: str, bot: Tuple[str, str]) -> Iterator[Callable[..., mwauth.aio.Session]]:
    """A factory of MwBot mwauth.aio sessions; any a test left open is closed after it."""
    made: List[mwauth.aio.Session] = []

    def make(**config: Any) -> mwauth.aio.Session:
        s = mwauth.aio.Session(api_url, user_agent=UA, bot_password={"username": bot[0], "password": bot[1]},
                               assert_="bot", **config)
        made.append(s)
        return s

    yield make
    for s in made:
        if not s.closed:
            asyncio.run(asyncio.wait_for(s.close(), 60))


def chunk_lines(caplog: Any, name: str) -> List[str]:
    """The INFO records of the "mwauth" logger that report a chunk of the upload `name`."""
    return [r.getMessage() for r in caplog.records
            if r.name == "mwauth" and r.levelno == logging.INFO and "chunk" in r.getMessage() and name in r.getMessage()]


# -- uploads on the wiki -------------------------------------------------------------------


def test_a_small_file_uploads_in_one_request_and_again_warns(bot_session, tmp_path):
    path = random_file(tmp_path, "small.bin", 20_000)
    name = f"Py-small-{RUN}.bin"
    s = bot_session()
    out = s.upload(name, path, text="A test file.", comment="mwauth python test")  # an os.PathLike
    assert out["result"] == "Success", out
    assert out["filename"] == name
    assert wiki_sha1(s, name) == sha1(path)
    page = s.request({"action": "query", "prop": "revisions", "titles": f"File:{name}",
                      "rvprop": ["user", "content", "comment"], "rvslots": "main"})["query"]["pages"][0]
    assert page["revisions"][0]["user"] == "MwBot"
    assert "A test file." in page["revisions"][0]["slots"]["main"]["content"]

    # The same bytes again (under another name, as a str path): the wiki's Warning, returned.
    again = s.upload(f"Copy-{name}", str(path))
    assert again["result"] == "Warning", again
    assert isinstance(again["warnings"]["duplicate"], list), again
    assert name in again["warnings"]["duplicate"], again
    assert isinstance(again["filekey"], str), again
    # The stashed file can be published with request(): ignorewarnings and the filekey.
    published = s.request({"action": "upload", "filename": f"Copy-{name}", "filekey": again["filekey"],
                           "ignorewarnings": True}, token="csrf")
    assert published["upload"]["result"] == "Success", published
    assert wiki_sha1(s, f"Copy-{name}") == sha1(path)


def test_a_large_file_uploads_in_chunks_with_an_info_line_per_chunk(bot_session, tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="mwauth")
    path = random_file(tmp_path, "big.bin", 5 * (1 << 20) // 2 + 12_345)  # about 2.5 MiB: 3 chunks
    name = f"Py-chunked-{RUN}.bin"
    s = bot_session()
    out = s.upload(name, path, comment="chunked", chunk_bytes=1 << 20)
    assert out["result"] == "Success", out
    assert wiki_sha1(s, name) == sha1(path)
    lines = chunk_lines(caplog, name)
    assert len(lines) == 3, lines
    assert [f"chunk {n} of 3" in line for n, line in enumerate(lines, 1)] == [True] * 3, lines

    # Below the wiki's minuploadchunksize (1024): refused, before any chunk goes.
    with pytest.raises(mwauth.ArgumentError) as e:
        s.upload(f"Tiny-{name}", path, chunk_bytes=100)
    assert e.value.code == "invalid_value"
    assert len(chunk_lines(caplog, f"Tiny-{name}")) == 0


def test_request_with_files_uploads_a_path_bytes_and_file_objects(bot_session, tmp_path):
    s = bot_session()
    path = random_file(tmp_path, "f.bin", 30_000)
    other = random_file(tmp_path, "g.bin", 40_000)
    on_disk = open(other, "rb")  # a real file at position 0: streamed from its path
    memory = io.BytesIO(os.urandom(10_000))  # read here
    cases: Dict[str, Any] = {
        "path": (path, sha1(path)),
        "bytes": (os.urandom(9_000), None),
        "file object": (on_disk, sha1(other)),
        "BytesIO": (memory, hashlib.sha1(memory.getvalue()).hexdigest()),
    }
    try:
        for i, (kind, (value, digest)) in enumerate(cases.items()):
            if digest is None:
                digest = hashlib.sha1(value).hexdigest()
            name = f"Py-files-{i}-{RUN}.bin"
            out = s.request({"action": "upload", "filename": name, "comment": kind}, token="csrf",
                            files={"file": value})
            assert out["upload"]["result"] == "Success", (kind, out)
            assert wiki_sha1(s, name) == digest, kind
    finally:
        on_disk.close()


# -- REST on the wiki ----------------------------------------------------------------------


def test_rest_reads_and_writes_from_a_cookie_session(bot_session):
    s = bot_session(rest_url=env("MWAUTH_TEST_REST_URL"))  # the config key, given as the default is
    title = f"Py REST {RUN}"
    path = "/v1/page/" + quote(title.replace(" ", "_"), safe="")
    created = s.rest("PUT", path, body={"source": "Written through rest.php.", "comment": "mwauth REST test"})
    assert created["status"] in (200, 201), created
    page = s.rest("GET", path)
    assert page["status"] == 200
    assert page["body"]["source"] == "Written through rest.php."

    # An edit of the page needs its latest revision's id.
    edited = s.rest("PUT", path, body={"source": "Edited.", "comment": "second",
                                       "latest": {"id": page["body"]["latest"]["id"]}})
    assert edited["status"] == 200, edited
    assert s.rest("GET", path)["body"]["source"] == "Edited."
    history = s.rest("GET", path + "/history")
    revisions = history["body"]["revisions"]
    assert [r["user"]["name"] for r in revisions] == ["MwBot", "MwBot"], history
    assert [r["comment"] for r in revisions] == ["second", "mwauth REST test"], history
    # Through the Action API too: the same page, written by MwBot.
    info = s.request({"action": "query", "prop": "revisions", "titles": title, "rvprop": "user"})
    assert info["query"]["pages"][0]["revisions"][0]["user"] == "MwBot"

    with pytest.raises(mwauth.HttpError) as e:
        s.rest("GET", "/v1/page/No_such_page_at_all", query={"redirect": "no"})
    assert e.value.error["http_status"] == 404
    # The code is the body's errorKey where the wiki sends one (1.43), else "http_status".
    assert e.value.code == e.value.error["body"].get("errorKey", "http_status"), e.value.error
    assert "No_such_page_at_all" in e.value.info, e.value.error


# -- continuation on the wiki --------------------------------------------------------------


def make_pages(s: mwauth.Session, prefix: str, n: int) -> List[str]:
    titles = [f"{prefix} {i}" for i in range(n)]
    for title in titles:
        s.request({"action": "edit", "title": title, "text": "x", "bot": True}, token="csrf")
    return titles


def test_request_all_yields_each_page_once_and_asks_only_when_asked(bot_session):
    s = bot_session()
    prefix = f"Py continue {RUN}"
    titles = make_pages(s, prefix, 5)
    params = {"action": "query", "list": "allpages", "apprefix": prefix, "aplimit": 2}

    before = server_requests()
    answers = s.request_all(params)
    assert server_requests() == before, "request_all made a request before the first answer was asked for"
    first = next(answers)
    assert server_requests() == before + 1
    time.sleep(0.5)
    assert server_requests() == before + 1, "the second request went before its answer was asked for"
    second = next(answers)
    assert server_requests() == before + 2
    rest = list(answers)
    assert server_requests() == before + 3
    batches = [first, second, *rest]
    assert len(batches) == 3, batches
    seen = [p["title"] for b in batches for p in b["query"]["allpages"]]
    assert sorted(seen) == titles and len(set(seen)) == 5, seen
    assert [len(b["query"]["allpages"]) for b in batches] == [2, 2, 1]
    assert "continue" in first and "continue" in second and "continue" not in batches[2]
    assert params == {"action": "query", "list": "allpages", "apprefix": prefix, "aplimit": 2}, "params changed"

    # max_batches: the last answer keeps its continue, to resume from.
    two = list(s.request_all(params, max_batches=2))
    assert len(two) == 2 and isinstance(two[1]["continue"]["apcontinue"], str), two
    resumed = list(s.request_all({**params, **two[1]["continue"]}))
    assert [p["title"] for b in resumed for p in b["query"]["allpages"]] == [seen[4]]


# -- bad input, before any request -----------------------------------------------------------


def test_bad_input_raises_argument_errors_before_any_request(bot_session, tmp_path):
    s = bot_session()  # bot_password config: its login is pending, and must stay so
    good = random_file(tmp_path, "good.bin", 2_000)
    missing = tmp_path / "missing.bin"
    empty = tmp_path / "empty.bin"
    empty.write_bytes(b"")
    text_file = open(good, "r", encoding="latin-1")
    cases: Dict[str, Tuple[Callable[[], Any], str]] = {
        "upload: a missing file": (lambda: s.upload("X.bin", missing), "invalid_value"),
        "upload: a directory": (lambda: s.upload("X.bin", tmp_path), "invalid_value"),
        "upload: an empty file": (lambda: s.upload("X.bin", empty), "invalid_value"),
        "upload: chunk_bytes 0": (lambda: s.upload("X.bin", good, chunk_bytes=0), "invalid_value"),
        "upload: chunk_bytes -1": (lambda: s.upload("X.bin", good, chunk_bytes=-1), "invalid_value"),
        "upload: a path that is an int": (lambda: s.upload("X.bin", 7), "wrong_type"),  # type: ignore[arg-type]
        "upload: an empty filename": (lambda: s.upload("", good), "invalid_value"),
        "files with GET": (lambda: s.request({"action": "upload", "filename": "X.bin"}, method="GET",
                                             files={"file": b"x"}), "invalid_value"),
        "files: a missing path": (lambda: s.request({"action": "upload"}, files={"file": missing}), "invalid_value"),
        "files: not a dict": (lambda: s.request({"action": "upload"}, files=[b"x"]), "wrong_type"),  # type: ignore[arg-type]
        "files: an int": (lambda: s.request({"action": "upload"}, files={"file": 5}), "wrong_type"),
        "files: a text file object": (lambda: s.request({"action": "upload"}, files={"file": text_file}), "wrong_type"),
        "files: a bad tuple": (lambda: s.request({"action": "upload"}, files={"file": ("a",)}), "wrong_type"),
        "files: a parameter params sets too": (lambda: s.request({"action": "upload", "file": "x"},
                                                                 files={"file": b"x"}), "invalid_value"),
        "rest: a cookie session's write with a list body": (lambda: s.rest("POST", "/v1/page", body=[1]), "invalid_value"),
        "rest: a cookie session's write with a str body": (lambda: s.rest("PUT", "/v1/page/X", body="x"), "invalid_value"),
        "rest: a body with GET": (lambda: s.rest("GET", "/v1/page/X", body={"a": 1}), "invalid_value"),
        "rest: an unknown method": (lambda: s.rest("TRACE", "/v1/page/X"), "invalid_value"),
        "rest: a path without /": (lambda: s.rest("GET", "v1/page/X"), "invalid_value"),
        "rest: a query that is not a dict": (lambda: s.rest("GET", "/v1/page/X", query=[1]), "wrong_type"),  # type: ignore[arg-type]
        "request_all: max_batches 0": (lambda: s.request_all({"action": "query"}, max_batches=0), "invalid_value"),
        "request_all: max_batches a str": (lambda: s.request_all({"action": "query"}, max_batches="2"), "wrong_type"),  # type: ignore[arg-type]
        "request_all: params not a dict": (lambda: s.request_all("action=query"), "wrong_type"),  # type: ignore[arg-type]
        "request_all: a value JSON cannot carry": (lambda: s.request_all({"titles": {1, 2}}), "invalid_json"),
    }
    before = server_requests()
    try:
        for name, (call, code) in cases.items():
            with pytest.raises(mwauth.ArgumentError) as e:
                call()
            assert e.value.code == code, (name, e.value)
    finally:
        text_file.close()
    assert server_requests() == before, "a bad argument made a request"
    assert s.info["logged_in"] is not True
    # The session is unharmed: it logs in and uploads.
    assert s.upload(f"Py-after-bad-{RUN}.bin", good)["result"] == "Success"


# -- loopback servers ------------------------------------------------------------------------


class Part:
    """One part of a multipart/form-data body."""

    def __init__(self, name: str, filename: Optional[str], content_type: Optional[str], data: bytes) -> None:
        self.name, self.filename, self.content_type, self.data = name, filename, content_type, data


def multipart(content_type: str, body: bytes) -> List[Part]:
    """The parts of a multipart/form-data body (RFC 7578), parsed strictly."""
    assert content_type.startswith("multipart/form-data; boundary="), content_type
    boundary = content_type.split("boundary=", 1)[1].strip('"').encode()
    pieces = body.split(b"--" + boundary)
    assert pieces[0] == b"", pieces[0][:100]
    assert pieces[-1] == b"--\r\n", pieces[-1][:100]
    parts = []
    for piece in pieces[1:-1]:
        assert piece.startswith(b"\r\n") and piece.endswith(b"\r\n"), piece[:100]
        head, sep, data = piece[2:-2].partition(b"\r\n\r\n")
        assert sep, piece[:200]
        headers = {}
        for line in head.decode("utf-8").split("\r\n"):
            key, _, value = line.partition(":")
            headers[key.strip().lower()] = value.strip()
        disposition = headers["content-disposition"]
        name = re.search(r'\bname="([^"]*)"', disposition)
        filename = re.search(r'\bfilename="([^"]*)"', disposition)
        assert name, disposition
        parts.append(Part(name.group(1), filename.group(1) if filename else None, headers.get("content-type"), data))
    return parts


class Recorder(BaseHTTPRequestHandler):
    """A loopback wiki that records every request and answers with `answer(record)`."""

    seen: List[Dict[str, Any]] = []
    answer: Callable[[Dict[str, Any]], Tuple[int, Any]] = staticmethod(lambda record: (200, {"batchcomplete": True}))
    lock = threading.Lock()

    def log_message(self, *args: Any) -> None:
        pass

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length) if length else b""
        record = {"method": self.command, "path": self.path, "headers": dict(self.headers.items()),
                  "authorization": self.headers.get("Authorization", ""), "cookie": self.headers.get("Cookie"),
                  "content_type": self.headers.get("Content-Type", ""),
                  "content_length": self.headers.get("Content-Length"), "body": body, "host": self.headers["Host"]}
        with Recorder.lock:
            type(self).seen.append(record)
        status, value = type(self).answer(record)
        data = json.dumps(value).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve


@pytest.fixture
def recorder() -> Iterator[Tuple[str, type]]:
    """A fresh Recorder subclass serving on loopback: (its api.php URL, the class)."""

    class Handler(Recorder):
        seen: List[Dict[str, Any]] = []

    with loopback_server(Handler, "/w/api.php") as url:
        yield url, Handler


BEARER = "owner-only-token-0123456789"


def test_rest_from_an_oauth2_session_sends_no_token(recorder):
    url, handler = recorder

    def answer(record: Dict[str, Any]) -> Tuple[int, Any]:
        if "/missing" in record["path"]:
            return 404, {"messageTranslations": {"en": "The specified page does not exist."}, "httpCode": 404,
                         "httpReason": "Not Found", "errorKey": "rest-nonexistent-title"}
        return 200, {"id": 7, "echo": record["body"].decode()}

    handler.answer = staticmethod(answer)
    with mwauth.Session(url, oauth2_token=BEARER) as s:
        out = s.rest("PUT", "/v1/page/A%2FB", query={"x": "1"}, body={"source": "text", "comment": "c"})
        assert out["status"] == 200 and out["body"]["id"] == 7
        assert len(handler.seen) == 1, "no token fetch, no login"
        request = handler.seen[0]
        assert request["method"] == "PUT"
        assert request["path"] == "/w/rest.php/v1/page/A%2FB?x=1"
        assert request["authorization"] == f"Bearer {BEARER}"
        assert request["content_type"] == "application/json"
        assert json.loads(request["body"]) == {"source": "text", "comment": "c"}, "no token added"
        assert request["cookie"] is None

        # An OAuth session's write body may be any JSON value (no token goes in it).
        assert s.rest("POST", "/v1/thing", body=[1, 2])["status"] == 200
        assert json.loads(handler.seen[1]["body"]) == [1, 2]

        with pytest.raises(mwauth.HttpError) as e:
            s.rest("GET", "/v1/page/missing")
        assert e.value.code == "rest-nonexistent-title"
        assert e.value.error["http_status"] == 404
        assert e.value.info == "The specified page does not exist."
        assert e.value.error["body"]["httpReason"] == "Not Found"
    assert len(handler.seen) == 3


def test_rest_writes_from_a_cookie_session_carry_the_csrf_token(recorder):
    url, handler = recorder

    def answer(record: Dict[str, Any]) -> Tuple[int, Any]:
        if "meta=tokens" in record["path"]:
            return 200, {"query": {"tokens": {"csrftoken": "abc+\\"}}}
        return 200, {"ok": True}

    handler.answer = staticmethod(answer)
    with mwauth.Session(url) as s:
        s.rest("POST", "/v1/page", body={"title": "T", "source": "x", "comment": "c"})
        with pytest.raises(mwauth.ArgumentError) as e:
            s.rest("POST", "/v1/page", body=[1])
        assert e.value.code == "invalid_value"
    assert len(handler.seen) == 2, "a token fetch, then the write; nothing for the refused one"
    assert json.loads(handler.seen[1]["body"]) == {"title": "T", "source": "x", "comment": "c", "token": "abc+\\"}


KEYS = {
    "consumer_key": "mwauth-consumer",
    "consumer_secret": "consumer sécret+&|",
    "access_token": "mwauth-access-token",
    "access_secret": "access/secret=+",
}
TRICKY = {"comment": "Ünïcode|A&B+C a b=c%20d", "text": "1+1=2 & ünd"}


def oauth1_valid(record: Dict[str, Any], body_params: List[Tuple[str, str]]) -> bool:
    """Whether the request's OAuth 1.0a signature is the one oauthlib computes over its URL's
    query, its Authorization header's oauth_* parameters and `body_params`."""
    authorization = record["authorization"]
    uri = f"http://{record['host']}{record['path']}"
    params = signature.collect_parameters(uri_query=urlsplit(uri).query, body=body_params,
                                          headers={"Authorization": authorization},
                                          exclude_oauth_signature=True, with_realm=False)
    oauth = {k: utils.unescape(v) for k, v in utils.parse_authorization_header(authorization)}
    base = signature.signature_base_string(record["method"], signature.base_string_uri(uri),
                                           signature.normalize_parameters(params))
    client = Client(KEYS["consumer_key"], client_secret=KEYS["consumer_secret"],
                    resource_owner_secret=KEYS["access_secret"])
    return (oauth.get("oauth_signature") == signature.sign_hmac_sha1_with_client(base, client)
            and oauth.get("oauth_consumer_key") == KEYS["consumer_key"]
            and oauth.get("oauth_token") == KEYS["access_token"]
            and oauth.get("oauth_signature_method") == "HMAC-SHA1")


def upload_answer(record: Dict[str, Any]) -> Tuple[int, Any]:
    if record["method"] == "GET" and "meta=tokens" in record["path"]:
        return 200, {"batchcomplete": True, "query": {"tokens": {"csrftoken": "tok+\\"}}}
    return 200, {"upload": {"result": "Success", "filename": "Signed.bin"}}


def test_an_oauth1_multipart_upload_signs_no_body_parameter(recorder, tmp_path):
    url, handler = recorder
    handler.answer = staticmethod(upload_answer)
    path = random_file(tmp_path, "signed.bin", 5_000)
    with mwauth.Session(url, oauth1=KEYS) as s:
        out = s.upload("Signed.bin", path, text=TRICKY["text"], comment=TRICKY["comment"])
        assert out["result"] == "Success", out
        # A multipart request() too, with a file of bytes.
        s.request({"action": "upload", "filename": "Other.bin", **TRICKY}, token="csrf",
                  files={"file": ("other.bin", b"\x00\x01 bytes", "application/x-test")})
    token, post, other = handler.seen
    assert token["method"] == "GET" and oauth1_valid(token, []), "the token request is signed as any GET"
    for record in (post, other):
        assert record["method"] == "POST" and record["cookie"] is None
        parts = multipart(record["content_type"], record["body"])
        text_params = [(p.name, p.data.decode("utf-8")) for p in parts if p.filename is None]
        assert ("token", "tok+\\") in text_params and ("comment", TRICKY["comment"]) in text_params, text_params
        assert urlsplit(record["path"]).query == "", "every parameter is in the body"
        # Signed over the URL and the oauth_* parameters only (RFC 5849 §3.4.1.3.1) ...
        assert oauth1_valid(record, []), record["authorization"]
        # ... which the verifier tells from a signature over the body's parameters: were they
        # signed, this check would fail, so the test can fail.
        assert not oauth1_valid(record, text_params)
    files = [p for p in multipart(post["content_type"], post["body"]) if p.filename is not None]
    assert [(p.name, p.filename, p.data) for p in files] == [("file", "Signed.bin", path.read_bytes())]
    files = [p for p in multipart(other["content_type"], other["body"]) if p.filename is not None]
    assert [(p.name, p.filename, p.content_type, p.data) for p in files] == [
        ("file", "other.bin", "application/x-test", b"\x00\x01 bytes")]


def test_a_wrongly_signed_multipart_request_fails_the_verifier(recorder, tmp_path):
    """The check above is not vacuous: a session with another secret does not verify."""
    url, handler = recorder
    handler.answer = staticmethod(upload_answer)
    path = random_file(tmp_path, "signed.bin", 100)
    with mwauth.Session(url, oauth1=dict(KEYS, access_secret="not the secret")) as s:
        s.upload("Signed.bin", path)
    assert [oauth1_valid(r, []) for r in handler.seen] == [False, False]


def test_multipart_bodies_carry_each_kind_of_file_as_it_is(recorder, tmp_path):
    url, handler = recorder
    handler.answer = staticmethod(lambda record: (200, {"upload": {"result": "Success"}}))
    data = bytes(i % 251 for i in range(300_000))
    path = tmp_path / "data.bin"
    path.write_bytes(data)
    positioned = open(path, "rb")
    positioned.seek(1000)  # not at its start: what read() gives, the rest of the file, is read
    named = tempfile.NamedTemporaryFile(suffix=".bin")
    named.write(b"written, not flushed yet")  # flushed by the binding, then sent from its path
    named.seek(0)
    plain = open(path, "rb")
    files = {
        "a_str": str(path),
        "a_path": path,
        "a_bytes": b"\x00raw\xff",
        "a_bytearray": bytearray(b"ba"),
        "a_memoryview": memoryview(b"mv"),
        "a_bytesio": io.BytesIO(b"in memory"),
        "a_file": plain,
        "a_positioned_file": positioned,
        "a_named_temporary_file": named,
        "a_tuple": ("renamed.txt", b"hello", "text/plain"),
        "a_pair": ("pair.bin", path),
    }
    try:
        with mwauth.Session(url) as s:
            s.request({"action": "upload", "filename": "Data.bin", "token": "+\\"}, files=files)
    finally:
        for f in (positioned, named, plain):
            f.close()
    record = handler.seen[0]
    assert record["method"] == "POST"
    assert record["content_length"] == str(len(record["body"]))
    parts = {p.name: p for p in multipart(record["content_type"], record["body"])}
    assert parts["action"].data == b"upload" and parts["format"].data == b"json" and parts["token"].data == b"+\\"
    expected = {
        "a_str": ("data.bin", data),
        "a_path": ("data.bin", data),
        "a_bytes": ("a_bytes", b"\x00raw\xff"),
        "a_bytearray": ("a_bytearray", b"ba"),
        "a_memoryview": ("a_memoryview", b"mv"),
        "a_bytesio": ("a_bytesio", b"in memory"),
        "a_file": ("data.bin", data),
        "a_positioned_file": ("data.bin", data[1000:]),
        "a_named_temporary_file": (os.path.basename(named.name), b"written, not flushed yet"),
        "a_tuple": ("renamed.txt", b"hello"),
        "a_pair": ("pair.bin", data),
    }
    for name, (filename, content) in expected.items():
        part = parts[name]
        assert (part.filename, part.data) == (filename, content), name
        assert part.content_type == ("text/plain" if name == "a_tuple" else "application/octet-stream"), name


def test_file_objects_on_disk_go_by_path_and_others_are_read(tmp_path):
    """Which file objects the library streams from their path (no copy in memory): the spec of
    each ``files`` value the binding hands to mw_request."""
    from mwauth._session import file_parts

    path = tmp_path / "f.bin"
    path.write_bytes(b"0123456789")
    with open(path, "rb") as f, open(path, "r+b") as g, open(path, "rb", buffering=0) as raw, \
            tempfile.NamedTemporaryFile() as t, open(path, "rb") as moved:
        moved.seek(3)
        specs = file_parts({"f": f, "g": g, "raw": raw, "t": t, "moved": moved, "b": io.BytesIO(b"x")})
        assert specs["f"] == specs["g"] == specs["raw"] == {"path": str(path)}
        assert specs["t"] == {"path": t.name}
        assert specs["moved"] == {"data_base64": "MzQ1Njc4OQ==", "filename": "f.bin"}
        assert specs["b"] == {"data_base64": "eA=="}
    # A file renamed since it was opened is read, not taken from a path that now names another.
    with open(path, "rb") as f:
        path.rename(tmp_path / "elsewhere.bin")
        path.write_bytes(b"another file")
        assert file_parts({"f": f}) == {"f": {"data_base64": "MDEyMzQ1Njc4OQ==", "filename": "f.bin"}}
    # A file opened from a descriptor has no path (its name is the int).
    fd = os.open(path, os.O_RDONLY)
    with open(fd, "rb") as f:
        assert file_parts({"f": f}) == {"f": {"data_base64": "YW5vdGhlciBmaWxl"}}


class Busy(BaseHTTPRequestHandler):
    """A loopback api.php that takes `DELAY` s per request and counts how many it has in hand."""

    DELAY = 0.03
    lock = threading.Lock()
    in_flight = 0
    most = 0
    served = 0

    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        cls = type(self)
        with cls.lock:
            cls.in_flight += 1
            cls.most = max(cls.most, cls.in_flight)
        time.sleep(cls.DELAY)
        with cls.lock:
            cls.in_flight -= 1
            cls.served += 1
        body = b'{"batchcomplete": true}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def most_in_flight(cap: Optional[int]) -> int:
    """8 threads of 4 requests each on one session with max_concurrent_requests=`cap`: the most
    requests the server had in hand at once."""

    class Handler(Busy):
        in_flight = most = served = 0

    with loopback_server(Handler) as url, mwauth.Session(url, max_concurrent_requests=cap) as s:
        errors: List[BaseException] = []

        def work() -> None:
            try:
                for _ in range(4):
                    s.request({"action": "query", "meta": "siteinfo"})
            except BaseException as e:  # noqa: BLE001 - reported below
                errors.append(e)

        threads = [threading.Thread(target=work) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert not errors, errors
    assert Handler.served == 32
    return Handler.most


def test_max_concurrent_requests_2_is_never_exceeded_by_8_threads():
    assert most_in_flight(2) == 2
    # Without the cap the same load has more in flight (so the figure above can fail).
    assert most_in_flight(None) > 2


# -- mwauth.aio --------------------------------------------------------------------------------


def test_aio_upload_small_and_chunked(aio_bot, tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="mwauth")
    small = random_file(tmp_path, "small.bin", 12_000)
    big = random_file(tmp_path, "big.bin", 5 * (1 << 20) // 2)
    names = f"Py-aio-small-{RUN}.bin", f"Py-aio-chunked-{RUN}.bin"

    async def main() -> None:
        async with aio_bot() as s:
            one, chunked = await asyncio.gather(s.upload(names[0], small, text="aio"),
                                                s.upload(names[1], str(big), chunk_bytes=1 << 20))
            assert one["result"] == "Success" and chunked["result"] == "Success", (one, chunked)
            again = await s.upload(f"Copy-{names[0]}", small)
            assert again["result"] == "Warning" and "duplicate" in again["warnings"], again
            for name, path in zip(names, (small, big)):
                out = await s.request({"action": "query", "prop": "imageinfo", "iiprop": "sha1",
                                       "titles": f"File:{name}"})
                assert out["query"]["pages"][0]["imageinfo"][0]["sha1"] == sha1(path)
            with pytest.raises(mwauth.ArgumentError) as e:
                await s.upload("X.bin", tmp_path / "missing.bin")
            assert e.value.code == "invalid_value"
            files = await s.request({"action": "upload", "filename": f"Py-aio-files-{RUN}.bin"}, token="csrf",
                                    files={"file": io.BytesIO(b"aio bytes " + RUN.encode())})
            assert files["upload"]["result"] == "Success", files

    run(main)
    lines = chunk_lines(caplog, names[1])
    assert len(lines) == 3 and "chunk 3 of 3" in lines[2], lines
    assert chunk_lines(caplog, names[0]) == []


def test_aio_rest_reads_and_writes(aio_bot):
    title = f"Py aio REST {RUN}"
    path = "/v1/page/" + quote(title.replace(" ", "_"), safe="")

    async def main() -> None:
        async with aio_bot() as s:
            created = await s.rest("PUT", path, body={"source": "From asyncio.", "comment": "aio REST"})
            assert created["status"] in (200, 201), created
            page = await s.rest("GET", path)
            assert page["body"]["source"] == "From asyncio."
            history = await s.rest("GET", path + "/history")
            assert history["body"]["revisions"][0]["user"]["name"] == "MwBot"
            with pytest.raises(mwauth.HttpError) as e:
                await s.rest("GET", "/v1/page/No_such_page_at_all_aio")
            assert e.value.error["http_status"] == 404
            with pytest.raises(mwauth.ArgumentError) as bad:
                await s.rest("POST", "/v1/page", body=[1])
            assert bad.value.code == "invalid_value"

    run(main)


def test_aio_request_all_is_a_lazy_async_iterator(aio_bot, bot_session):
    prefix = f"Py aio continue {RUN}"
    titles = make_pages(bot_session(), prefix, 5)
    params = {"action": "query", "list": "allpages", "apprefix": prefix, "aplimit": 2}
    counts: List[int] = []

    async def main() -> List[Dict[str, Any]]:
        async with aio_bot() as s:
            await s.request({"action": "query", "meta": "userinfo"})  # logged in: no login in the counts
            with pytest.raises(mwauth.ArgumentError):
                s.request_all(params, max_batches=0)  # checked when called, not when iterated
            answers = s.request_all(params)
            assert not inspect.iscoroutine(answers) and hasattr(answers, "__anext__")
            counts.append(server_requests())
            batches = []
            async for answer in answers:
                batches.append(answer)
                counts.append(server_requests())
            two = [a async for a in s.request_all(params, max_batches=2)]
            assert len(two) == 2 and "continue" in two[1]
            return batches

    batches = run(main)
    assert [c - counts[0] for c in counts] == [0, 1, 2, 3], counts
    seen = [p["title"] for b in batches for p in b["query"]["allpages"]]
    assert len(batches) == 3 and sorted(seen) == titles, batches


def test_aio_bad_input_before_any_request(aio_bot, tmp_path):
    good = random_file(tmp_path, "good.bin", 100)

    async def main() -> None:
        s = aio_bot()
        for call, code in [
            (lambda: s.upload("X.bin", tmp_path / "missing.bin"), "invalid_value"),
            (lambda: s.upload("X.bin", good, chunk_bytes=0), "invalid_value"),
            (lambda: s.request({"action": "upload"}, method="GET", files={"file": b"x"}), "invalid_value"),
            (lambda: s.request({"action": "upload"}, files={"file": 1.5}), "wrong_type"),
            (lambda: s.rest("POST", "/v1/page", body="text"), "invalid_value"),
            (lambda: s.rest("GET", "/v1/page/X", body={}), "invalid_value"),
        ]:
            with pytest.raises(mwauth.ArgumentError) as e:
                await call()
            assert e.value.code == code
        await s.close()

    before = server_requests()
    run(main)
    assert server_requests() == before, "a bad argument made a request"


def test_the_new_methods_have_docstrings_and_the_same_parameters_in_aio():
    for name in ("upload", "rest", "request", "request_all"):
        sync, aio = getattr(mwauth.Session, name), getattr(mwauth.aio.Session, name)
        assert sync.__doc__ and aio.__doc__, name
        assert inspect.iscoroutinefunction(aio) is (name != "request_all"), name
        assert list(inspect.signature(sync).parameters.values()) == list(inspect.signature(aio).parameters.values()), name
    assert inspect.isasyncgenfunction(mwauth.aio.Session._batches)
    params = inspect.signature(mwauth.Session.upload).parameters
    assert params["chunk_bytes"].default == 1 << 20 and params["ignorewarnings"].default is False


def test_a_library_without_upload_and_rest_gives_a_clear_error(session, monkeypatch, tmp_path):
    from mwauth import _ffi

    real = _ffi.optional_symbol
    monkeypatch.setattr(_ffi, "optional_symbol",
                        lambda name: None if name.startswith(("mw_upload", "mw_rest")) else real(name))
    s = session()
    path = random_file(tmp_path, "x.bin", 10)
    for call in (lambda: s.upload("X.bin", path), lambda: s.rest("GET", "/v1/page/X")):
        with pytest.raises(mwauth.ArgumentError) as e:
            call()
        assert e.value.code == "unsupported"


UPLOAD_MEMORY_SCRIPT = r"""
import json, os, resource, sys
import mwauth

api_url, user, password, path, name = sys.argv[1:6]
peak = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux
out = {}
with mwauth.Session(api_url, user_agent="mwauth-python-tests/1.0", timeout_ms=300000,
                    bot_password={"username": user, "password": password}) as s:
    s.request({"action": "query", "meta": "userinfo"})
    for what, chunk in (("whole", 1 << 30), ("chunked", 4 << 20)):
        before = peak()
        r = s.upload(f"{what}-{name}", path, chunk_bytes=chunk, ignorewarnings=True)
        out[what] = {"result": r["result"], "growth": peak() - before}
print(json.dumps(out))
"""


def test_a_64_mib_upload_through_the_binding_keeps_memory_flat(bot, tmp_path):
    """A 64 MiB file in one request and in 4 MiB chunks, in a Python process of its own (so its
    peak RSS is this upload's): the library streams the file, so the peak hardly moves."""
    import subprocess
    import sys

    path = tmp_path / "big.bin"
    with open(path, "wb") as f:
        for _ in range(64):
            f.write(os.urandom(1 << 20))
    done = subprocess.run(
        [sys.executable, "-c", UPLOAD_MEMORY_SCRIPT, env("MWAUTH_TEST_API_URL"), bot[0], bot[1],
         str(path), f"Py-64MiB-{RUN}.bin"],
        capture_output=True, text=True, timeout=600, check=True,
    )
    out = json.loads(done.stdout)
    for what in ("whole", "chunked"):
        assert out[what]["result"] == "Success", out
        assert out[what]["growth"] < 16 << 20, out  # far below the file's 64 MiB
