"""``Session``: one wiki login, wrapping an ``mw_session *``."""

from __future__ import annotations

import base64
import ctypes
import io
import json
import keyword
import logging
import os
import stat
import tempfile
import threading
from collections.abc import Mapping
from typing import Any, BinaryIO, Callable, Dict, Iterator, List, Optional, Tuple, Union

from . import _ffi
from ._errors import ArgumentError, HttpError, InternalError, Result, StateError, error_for

__all__ = ["Session", "version", "LOGGER_NAME"]

LOGGER_NAME = "mwauth"
"""The :mod:`logging` logger the library's log lines go to, at the level the library gives:
DEBUG (each HTTP exchange), INFO (retries, waits, re-logins), WARNING (dropped sessions, refused
credentials). No line ever holds a password, token or cookie value."""

JSONObject = Dict[str, Any]

FieldValue = Union[str, bool, None]
"""A form field's value: a str, or a bool for a checkbox or button (``False`` and ``None``
leave the field out)."""

# A library's logger gets a NullHandler, so that without any logging configuration its WARNING
# lines are not printed by logging's last-resort handler (the application decides).
logging.getLogger(LOGGER_NAME).addHandler(logging.NullHandler())


def version() -> str:
    """The loaded library's version, ``"MAJOR.MINOR.PATCH"`` (``mw_version()``)."""
    raw: bytes = _ffi.lib.mw_version()
    return raw.decode("ascii")


def _config_key(name: str) -> str:
    """A keyword argument's config key: ``assert_`` is ``"assert"`` (a trailing underscore is
    dropped from any Python keyword, the usual spelling for such names)."""
    if name.endswith("_") and keyword.iskeyword(name[:-1]):
        return name[:-1]
    return name


# Config keys whose value is a file's path: str, bytes or os.PathLike, sent as str.
_PATH_KEYS = frozenset({"cookie_file", "ca_file"})


def _config_value(key: str, value: Any) -> Any:
    """A keyword's value as the config's JSON wants it: a path (``_PATH_KEYS``) becomes a str."""
    if key not in _PATH_KEYS or value is None:
        return value
    try:
        return os.fsdecode(value)
    except TypeError as e:  # "expected str, bytes or os.PathLike object, not int"
        raise ArgumentError("wrong_type", f"config.{key} must be a path: {e}") from None


def _object(value: Any, what: str) -> JSONObject:
    """A dict argument (any Mapping) as a fresh dict; anything else is an ArgumentError."""
    if not isinstance(value, Mapping):
        raise ArgumentError("wrong_type", f"{what} must be a dict, not {type(value).__name__}")
    return dict(value)


def _encode(value: Any) -> bytes:
    """The library's JSON input; a value JSON or UTF-8 cannot carry is an ArgumentError."""
    try:
        return _ffi.encode(value)
    except UnicodeEncodeError as e:  # before ValueError, its base class
        bad = e.object[e.start : e.end]  # only the offending characters: never a whole password
        raise ArgumentError("invalid_utf8", f"a str holds {bad!r}, a lone surrogate UTF-8 cannot encode") from None
    except RecursionError:
        raise ArgumentError("invalid_json", "cannot be sent as JSON: it is nested too deeply") from None
    except (TypeError, ValueError) as e:
        raise ArgumentError("invalid_json", f"cannot be sent as JSON: {e}") from None


def _decode(text: Optional[str], what: str) -> Any:
    """The library's JSON output. The library has checked that the wiki's answer is JSON, but
    Python's parser has limits of its own (nesting depth, digits of an int): past them the answer
    is as unreadable as one that is not JSON, an HttpError ``not_json``."""
    if text is None:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        raise InternalError("bad_output", f"{what} returned text that is not JSON: {text[:200]!r}") from None
    except (ValueError, RecursionError) as e:
        why = "it is nested too deeply" if isinstance(e, RecursionError) else str(e)
        info = f"the wiki's answer to {what} ({len(text)} characters) is beyond Python's json parser: {why}"
        raise HttpError("not_json", info) from None


def _make_log_callback(logger: logging.Logger) -> Any:
    """A C log callback routing to ``logger``. It closes over the logger only (not a Session),
    so it creates no reference cycle."""

    def on_log(_userdata: Optional[int], level: int, message: Optional[bytes]) -> None:
        # Runs on whichever thread made the call (for mwauth.aio, a thread of the library's
        # pool), with the GIL taken by ctypes. An exception cannot cross back into the library:
        # ctypes would print and drop it, so catch here.
        try:
            if logger.isEnabledFor(level):
                text = message.decode("utf-8", errors="replace") if message else ""
                logger.log(level, "%s", text)
        except Exception:  # noqa: BLE001 - a log handler's failure must not break a request
            pass

    return _ffi.LOG_FN(on_log)


# One log callback for every session (sync and mwauth.aio), alive for the whole process: the
# library holds only its address, and mw_session_set_logger does not wait for a replaced
# callback that is still finishing a line. A callback that never goes away is always safe.
_LOG_CALLBACK = _make_log_callback(logging.getLogger(LOGGER_NAME))


# -- what both Session classes share: building the calls' JSON, reading their answers ----------


def closed_error() -> StateError:
    """The error of a call on a closed Session."""
    return StateError("closed", "this Session has been closed", result=Result.ERR_STATE)


def new_session(api_url: str, config: Mapping[str, Any]) -> Any:
    """``mw_session_new`` with ``api_url`` and the keyword ``config``, its logger set to the
    ``"mwauth"`` logger; returns the ``mw_session *`` or raises the library's error."""
    body: JSONObject = {"api_url": api_url}
    for name, value in config.items():
        key = _config_key(name)
        body[key] = _config_value(key, value)
    error = ctypes.c_void_p()
    ptr = _ffi.lib.mw_session_new(_encode(body), ctypes.byref(error))
    text = _ffi.take_string(error)
    if not ptr:
        out = _decode(text, "mw_session_new")
        result = out.get("result", Result.ERR_INTERNAL) if isinstance(out, dict) else Result.ERR_INTERNAL
        raise error_for(int(result), out)
    rc = _ffi.lib.mw_session_set_logger(ptr, _LOG_CALLBACK, None)
    if rc != Result.OK:
        _ffi.lib.mw_session_free(ptr)
        raise error_for(rc, None)
    return ptr


def outcome(name: str, rc: int, text: Optional[str]) -> Any:
    """The decoded output of the call ``name`` that returned ``rc`` with the output ``text``, or
    its error raised."""
    value = _decode(text, name)
    if rc != Result.OK:
        raise error_for(rc, value if isinstance(value, dict) else None)
    if value is None:
        raise InternalError("no_output", f"{name} succeeded but returned no output")
    return value


def symbol(name: str) -> Callable[..., int]:
    """The library's function ``name``, or ArgumentError ``unsupported`` when the loaded library
    is older than this package and lacks it."""
    fn = _ffi.optional_symbol(name)
    if fn is None:
        raise ArgumentError(
            "unsupported",
            f"the loaded library ({_ffi.library_path()}, version {version()}) does not export "
            f"{name}: it is older than this Python package",
            result=Result.ERR_ARGUMENT,
        )
    return fn


def login_body(username: str, password: str) -> bytes:
    """``mw_login``'s credentials."""
    return _encode({"username": username, "password": password})


def request_body(
    params: Mapping[str, Any],
    method: Optional[str],
    token: Optional[str],
    token_param: Optional[str],
    files: Optional[Mapping[str, Any]] = None,
) -> bytes:
    """``mw_request``'s request object (``files`` as :func:`file_parts` makes them)."""
    body: JSONObject = {"params": _object(params, "params")}
    if method is not None:
        body["method"] = method
    if token is not None:
        body["token"] = token
    if token_param is not None:
        body["token_param"] = token_param
    if files is not None:
        body["files"] = file_parts(files)
    return _encode(body)


def fields_options(messageformat: Optional[str]) -> Optional[bytes]:
    """``mw_clientlogin_fields``'s options (NULL for the default)."""
    return None if messageformat is None else _encode({"messageformat": messageformat})


def fields_body(fields: Optional[Mapping[str, Any]], more: Mapping[str, Any]) -> bytes:
    """A clientlogin call's fields: the dict, then the keywords (which win)."""
    body = _object({} if fields is None else fields, "fields")
    body.update(more)
    return _encode(body)


def _merged_fields(call: str, fields: Optional[Mapping[str, Any]], more: Mapping[str, Any]) -> JSONObject:
    """An AuthManager step's fields: the dict, then the keywords (which win). A keyword
    ``fields`` holding a dict is the dict given by name by mistake (it is positional-only, as
    a form may well have a field called ``fields``): refused with a hint rather than sent as
    the value of a field."""
    if isinstance(more.get("fields"), Mapping):
        raise ArgumentError(
            "wrong_type",
            f"{call}: the fields dict is a positional argument ({call}(..., {{...}})); a keyword "
            "fields= is a form field named \"fields\", whose value must be a str or a bool",
            result=Result.ERR_ARGUMENT,
        )
    body = _object({} if fields is None else fields, "fields")
    body.update(more)
    return body


def auth_fields_options(purpose: str, messageformat: Optional[str]) -> bytes:
    """``mw_auth_fields``'s options: ``{"purpose", "messageformat"?}``."""
    options: JSONObject = {"purpose": purpose}
    if messageformat is not None:
        options["messageformat"] = messageformat
    return _encode(options)


def auth_begin_body(
    purpose: str,
    fields: Optional[Mapping[str, Any]],
    more: Mapping[str, Any],
    preservestate: bool,
    returnurl: Optional[str],
    request: Optional[str],
) -> bytes:
    """``mw_auth_begin``'s request: ``{"purpose", "fields": {...}, "returnurl"?,
    "preservestate"?, "request"?}``. The library checks each against the purpose (e.g.
    ``preservestate`` only for login and create) before any request."""
    if "purpose" in more:
        raise ArgumentError(
            "invalid_value",
            "auth_begin: the purpose is the first argument; a form field named \"purpose\" goes "
            "in the fields dict",
            result=Result.ERR_ARGUMENT,
        )
    body: JSONObject = {"purpose": purpose, "fields": _merged_fields("auth_begin", fields, more)}
    if preservestate is not False:  # anything else, True or a wrong type, is the library's to judge
        body["preservestate"] = preservestate
    if returnurl is not None:
        body["returnurl"] = returnurl
    if request is not None:
        body["request"] = request
    return _encode(body)


def auth_continue_body(fields: Optional[Mapping[str, Any]], more: Mapping[str, Any]) -> bytes:
    """``mw_auth_continue``'s fields: the dict, then the keywords (which win)."""
    return _encode(_merged_fields("auth_continue", fields, more))


# -- files, uploads, REST and continuation (0.2) -----------------------------------------------

FileContent = Union[str, "os.PathLike[str]", bytes, bytearray, memoryview, BinaryIO]
"""What a file of :meth:`Session.request`'s ``files`` may be: a path (str or
:class:`os.PathLike`), bytes (``bytes``, ``bytearray``, ``memoryview``), or a binary file
object."""

FileValue = Union[FileContent, Tuple[str, FileContent], Tuple[str, FileContent, str]]
"""A ``files`` value: a :data:`FileContent`, or a tuple ``(filename, content)`` or ``(filename,
content, content_type)`` that also names the file and its type (as ``requests`` takes them)."""

# The wrapper tempfile.NamedTemporaryFile returns: its .file is the real file object.
_TEMPFILE_WRAPPER: Tuple[type, ...] = tuple(
    t for t in (getattr(tempfile, "_TemporaryFileWrapper", None),) if isinstance(t, type)
)


def _path_text(what: str, value: Any) -> str:
    """A path argument (str, bytes or os.PathLike) as the str the library takes."""
    if isinstance(value, (bytearray, memoryview)) or value is None:
        raise ArgumentError("wrong_type", f"{what} must be a path (str or os.PathLike), not {type(value).__name__}")
    try:
        return os.fsdecode(value)
    except TypeError as e:  # "expected str, bytes or os.PathLike object, not int"
        raise ArgumentError("wrong_type", f"{what} must be a path: {e}") from None


def _file_on_disk(f: Any) -> Optional[str]:
    """The path of the regular file a binary file object reads, when sending that file from
    disk gives exactly what ``f.read()`` would: ``f`` is an :class:`io.FileIO`, or a buffered
    reader over one (``open(path, "rb")``, ``"r+b"``, ``"w+b"``, a NamedTemporaryFile), it is at
    position 0, and its ``name`` still names the same file (same device and inode as its
    descriptor). Anything else (BytesIO, a socket, a gzip file, a file opened from a descriptor,
    renamed or removed since) gives None: its bytes are read instead."""
    if _TEMPFILE_WRAPPER and isinstance(f, _TEMPFILE_WRAPPER):
        f = getattr(f, "file", f)
    raw = f if isinstance(f, io.FileIO) else getattr(f, "raw", None)
    if not isinstance(raw, io.FileIO) or not isinstance(f, (io.FileIO, io.BufferedReader, io.BufferedRandom)):
        return None
    name = getattr(f, "name", None)
    if not isinstance(name, (str, bytes, os.PathLike)):  # an int: opened from a descriptor
        return None
    try:
        if f.closed or not f.readable():
            return None
        if f.writable():
            f.flush()  # what was written must be on disk before the library reads the file
        if f.tell() != 0:
            return None
        own = os.fstat(f.fileno())
        path = os.path.abspath(os.fsdecode(name))
        there = os.stat(path)
    except (OSError, ValueError):
        return None
    if not stat.S_ISREG(own.st_mode) or (own.st_dev, own.st_ino) != (there.st_dev, there.st_ino):
        return None
    return path


def _file_part(param: str, value: Any) -> JSONObject:
    """One ``files`` value as the library's ``{"path"} | {"data_base64"}`` object (with
    ``"filename"`` and ``"content_type"`` where given)."""
    what = f"files[{param!r}]"
    spec: JSONObject = {}
    if isinstance(value, tuple):
        if len(value) not in (2, 3):
            raise ArgumentError(
                "wrong_type", f"{what} as a tuple must be (filename, content) or (filename, content, content_type)"
            )
        spec["filename"] = value[0]
        if len(value) == 3:
            spec["content_type"] = value[2]
        value = value[1]
    if isinstance(value, (bytes, bytearray, memoryview)):
        spec["data_base64"] = base64.b64encode(value).decode("ascii")
    elif isinstance(value, (str, os.PathLike)):
        spec["path"] = _path_text(what, value)
    elif isinstance(value, io.TextIOBase) or (
        _TEMPFILE_WRAPPER and isinstance(value, _TEMPFILE_WRAPPER) and isinstance(getattr(value, "file", None), io.TextIOBase)
    ):
        raise ArgumentError("wrong_type", f"{what} is a text file object: open the file in binary mode (\"rb\")")
    elif callable(getattr(value, "read", None)):
        path = _file_on_disk(value)
        if path is not None:
            spec["path"] = path
        else:
            try:
                data = value.read()
            except (OSError, ValueError) as e:  # io.UnsupportedOperation, a closed file, ...
                raise ArgumentError("invalid_value", f"{what} cannot be read: {e}") from None
            if not isinstance(data, (bytes, bytearray, memoryview)):
                raise ArgumentError(
                    "wrong_type", f"{what}.read() returned {type(data).__name__}, not bytes: use a binary file object"
                )
            spec["data_base64"] = base64.b64encode(data).decode("ascii")
            name = getattr(value, "name", None)
            if "filename" not in spec and isinstance(name, str) and os.path.basename(name):
                spec["filename"] = os.path.basename(name)
    else:
        raise ArgumentError(
            "wrong_type",
            f"{what} must be a path (str or os.PathLike), bytes or a binary file object, not {type(value).__name__}",
        )
    return spec


def file_parts(files: Mapping[str, Any]) -> JSONObject:
    """``mw_request``'s ``"files"`` object from :meth:`Session.request`'s ``files``."""
    if not isinstance(files, Mapping):
        raise ArgumentError("wrong_type", f"files must be a dict, not {type(files).__name__}")
    parts: JSONObject = {}
    for param, value in files.items():
        if not isinstance(param, str):
            raise ArgumentError("wrong_type", f"files: a parameter name must be a str, not {type(param).__name__}")
        parts[param] = _file_part(param, value)
    return parts


def upload_body(
    filename: str,
    path: Union[str, "os.PathLike[str]"],
    text: Optional[str],
    comment: Optional[str],
    ignorewarnings: bool,
    chunk_bytes: int,
) -> bytes:
    """``mw_upload``'s request: ``{"filename", "path", "text"?, "comment"?, "ignorewarnings",
    "chunk_bytes"}``. The library checks the file (a regular, readable, non-empty one) and the
    values before any request."""
    body: JSONObject = {
        "filename": filename,
        "path": _path_text("path", path),
        "ignorewarnings": ignorewarnings,
        "chunk_bytes": chunk_bytes,
    }
    if text is not None:
        body["text"] = text
    if comment is not None:
        body["comment"] = comment
    return _encode(body)


def rest_body(method: str, path: str, query: Optional[Mapping[str, Any]], body: Any) -> bytes:
    """``mw_rest``'s request: ``{"method", "path", "query"?, "body"?}``."""
    request: JSONObject = {"method": method, "path": path}
    if query is not None:
        request["query"] = _object(query, "query")
    if body is not None:
        request["body"] = body
    return _encode(request)


class Continuation:
    """What :meth:`Session.request_all` (and mwauth.aio's) needs between two batches: the
    parameters of the next request, in MediaWiki's ``continue`` protocol as the library follows
    it for ``"continue": true`` (each answer's ``continue`` members replace the last ones), and
    how many batches are left. Everything is checked when it is made, so a bad argument raises
    before the first request."""

    def __init__(
        self,
        params: Mapping[str, Any],
        method: Optional[str],
        token: Optional[str],
        token_param: Optional[str],
        max_batches: Optional[int],
    ) -> None:
        if max_batches is not None:
            if isinstance(max_batches, bool) or not isinstance(max_batches, int):
                raise ArgumentError("wrong_type", f"max_batches must be an int or None, not {type(max_batches).__name__}")
            if max_batches < 1:
                raise ArgumentError("invalid_value", f"max_batches must be at least 1, not {max_batches}")
        self._params = _object(params, "params")
        self._method, self._token, self._token_param = method, token, token_param
        self._max = max_batches
        self._continued: List[str] = []
        self.batches = 0
        self.body: Optional[bytes] = request_body(self._params, method, token, token_param)
        """The next request's JSON, or None when the last answer has come."""

    def advance(self, answer: Any) -> None:
        """Takes the answer to :attr:`body`: the next body from its ``continue``, or None."""
        self.batches += 1
        more = answer.get("continue") if isinstance(answer, dict) else None
        if not isinstance(more, dict) or not more or (self._max is not None and self.batches >= self._max):
            self.body = None
            return
        for name in self._continued:
            self._params.pop(name, None)
        for name, value in more.items():
            self._params[name] = value if isinstance(value, str) else json.dumps(value)
        self._continued = list(more)
        self.body = request_body(self._params, self._method, self._token, self._token_param)


class Session:
    """A session with one wiki: its cookies, tokens and login.

    ``Session(api_url, **config)`` passes ``api_url`` and every keyword to ``mw_session_new`` as
    its JSON config: ``user_agent``, ``timeout_ms``, ``maxlag``, ``max_retries``,
    ``max_retry_wait_ms``, ``assert_`` (the key ``"assert"``: ``"user"``, ``"bot"`` or
    ``"none"``), ``relogin``, ``bot_password`` (``{"username": ..., "password": ...}``),
    ``cookie_file``, ``allow_insecure_http``, ``ca_file``, ``proxy``, ``max_response_bytes``,
    ``oauth2_token``, ``oauth1``, ``rest_url`` (the wiki's ``rest.php`` for :meth:`rest`, on
    the api_url's scheme and host; by default beside ``api.php``), ``max_concurrent_requests``
    (at most that many HTTP requests of the session at once, its own token and login requests
    included, the others let through in the order they came). ``None`` is sent as JSON ``null``; ``cookie_file`` and
    ``ca_file`` take a str, bytes or :class:`os.PathLike` path. An unknown or ill-typed key
    raises :class:`ArgumentError` (the library decides what it knows).

    Every method raises :class:`ArgumentError` for an argument it cannot send: a dict argument
    that is not a Mapping (code ``"wrong_type"``), a value JSON has no form for, such as a set,
    bytes, ``nan``, a non-str dict key or a list that contains itself (``"invalid_json"``), or a
    str with a lone surrogate (``"invalid_utf8"``). An answer too deep for Python's json parser
    raises :class:`HttpError` (``"not_json"``).

    A Session may be shared by threads: requests run concurrently (ctypes releases the GIL for
    each call) and share the login. :meth:`close` waits for calls still running on other
    threads. Use it as a context manager, or call :meth:`close`; garbage collection closes it
    too. The session's log lines go to ``logging.getLogger("mwauth")``; a log handler must not
    call back into the same Session. For asyncio, :class:`mwauth.aio.Session` is this class
    with coroutines.

    Calls: :meth:`request` (any Action API call, with ``files`` a multipart one),
    :meth:`request_all` (its ``continue`` batches, lazily), :meth:`upload` (a file, in chunks
    when large) and :meth:`rest` (MediaWiki's REST API).

    Logins: :meth:`login` (a bot password), :meth:`clientlogin_fields` / :meth:`clientlogin` /
    :meth:`clientlogin_step` (the interactive login), and for every AuthManager operation
    (login, create an account, link, change, remove, unlink) :meth:`auth_fields`,
    :meth:`auth_begin` and :meth:`auth_continue`.
    """

    def __init__(self, api_url: str, **config: Any) -> None:
        self._ptr: Any = None  # set first, so __del__ works even when __init__ fails
        self._cond = threading.Condition(threading.Lock())
        self._active = 0
        self._closing = False
        self._ptr = new_session(api_url, config)
        self._api_url = api_url

    # -- lifetime -------------------------------------------------------------------------

    def close(self) -> None:
        """Releases the session (``mw_session_free``). Safe to call more than once; calls
        running on other threads are waited for, later calls raise :class:`StateError`
        (code ``"closed"``)."""
        with self._cond:
            if self._ptr is None or self._closing:
                while self._ptr is not None:  # another thread is closing it: wait for that
                    self._cond.wait()
                return
            self._closing = True
            while self._active:
                self._cond.wait()
            ptr, self._ptr = self._ptr, None
            _ffi.lib.mw_session_free(ptr)
            self._cond.notify_all()

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` has run."""
        return self._ptr is None

    def __enter__(self) -> "Session":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            if getattr(self, "_ptr", None) is not None:
                self.close()
        except Exception:  # noqa: BLE001 - e.g. during interpreter shutdown
            pass

    def __repr__(self) -> str:
        state = "closed" if self._ptr is None else "open"
        return f"<mwauth.Session {getattr(self, '_api_url', '?')!r} {state}>"

    # -- calls ----------------------------------------------------------------------------

    def _acquire(self) -> Any:
        with self._cond:
            if self._ptr is None or self._closing:
                raise closed_error()
            self._active += 1
            return self._ptr

    def _release(self) -> None:
        with self._cond:
            self._active -= 1
            if self._active == 0:
                self._cond.notify_all()

    def _call(self, name: str, fn: Callable[..., int], *args: Any) -> Any:
        """Calls ``fn(session, *args, &out)``; returns the decoded output or raises its error."""
        ptr = self._acquire()
        out = ctypes.c_void_p()
        try:
            rc = fn(ptr, *args, ctypes.byref(out))
        finally:
            text = _ffi.take_string(out)
            self._release()
        return outcome(name, rc, text)

    # -- the API --------------------------------------------------------------------------

    def login(self, username: str, password: str) -> JSONObject:
        """Logs in with a bot password (``action=login``): ``username`` is ``"User@appid"``.

        Returns ``{"status": "PASS", "username": ..., "userid": ..., "warnings"?: ...}``. Raises
        :class:`LoginError` when the wiki refuses (``code`` is MediaWiki's result, e.g.
        ``"Failed"``, and ``error["reason"]`` its reason, e.g. ``"wrongpassword"``); the
        session is then anonymous.
        """
        return self._call("mw_login", _ffi.lib.mw_login, login_body(username, password))  # type: ignore[no-any-return]

    def request(
        self,
        params: Mapping[str, Any],
        *,
        method: Optional[str] = None,
        token: Optional[str] = None,
        token_param: Optional[str] = None,
        files: Optional[Mapping[str, FileValue]] = None,
    ) -> JSONObject:
        """Calls the Action API as the session's user and returns its response.

        ``params`` values may be str, int, float, bool (``True`` sends ``1``, ``False`` omits the
        parameter), None (omitted) or lists of str and numbers (joined with ``|``).
        ``format=json`` and ``formatversion=2`` are always sent. ``token`` names a token type
        (``"csrf"``, ...): it is fetched and cached by the library and sent as ``token_param``
        (default ``"token"``); ``method`` defaults to GET, or POST with a token or files.

        ``files`` (parameter name -> file) makes the request a ``multipart/form-data`` POST (the
        parameters as text parts, then the files), as ``action=upload`` takes a file::

            s.request({"action": "upload", "filename": "A.png"}, token="csrf",
                      files={"file": pathlib.Path("a.png")})

        A file is a path (str or :class:`os.PathLike`: streamed from disk by the library as the
        request goes, never read whole into memory), bytes (``bytes``, ``bytearray``,
        ``memoryview``), or a binary file object. A file object is sent as what ``f.read()``
        would return: when it is a file opened on disk (``open(path, "rb")``, a
        :func:`tempfile.NamedTemporaryFile`) at position 0 whose ``name`` still names that file,
        the library streams the file from its path (after a ``flush()``); any other (a
        :class:`io.BytesIO`, a file not at its start, a socket's, a gzip file's) is read here,
        whole, into memory. Text file objects are refused. A tuple ``(filename, file)`` or
        ``(filename, file, content_type)`` names the file and its type (the defaults: the path's
        file name, else the parameter's name; ``application/octet-stream``). With OAuth 1.0a no
        multipart body parameter is signed (RFC 5849 §3.4.1.3.1).

        Raises :class:`ApiError` for an API error (``error`` is MediaWiki's error object),
        :class:`TransportError`, :class:`HttpError` and so on; :class:`ArgumentError` before any
        request for files with ``method="GET"``, a path that is not a readable regular file, or a
        file that is neither a path, bytes nor a binary file object.
        """
        body = request_body(params, method, token, token_param, files)
        return self._call("mw_request", _ffi.lib.mw_request, body)  # type: ignore[no-any-return]

    def request_all(
        self,
        params: Mapping[str, Any],
        *,
        method: Optional[str] = None,
        token: Optional[str] = None,
        token_param: Optional[str] = None,
        max_batches: Optional[int] = None,
    ) -> Iterator[JSONObject]:
        """Follows MediaWiki's ``continue`` protocol, lazily: an iterator of the API's answers,
        one per batch::

            for answer in s.request_all({"action": "query", "list": "allpages", "aplimit": 50}):
                for page in answer["query"]["allpages"]:
                    ...

        The first request goes when the first answer is asked for, each next one (``params``
        with the last answer's ``continue`` members, which replace the ones before) only when
        its answer is; no answer is held once it has been yielded, so any number of batches
        take the memory of one. It ends after an answer without ``continue``, or after
        ``max_batches`` answers (None, the default: no limit), the last of which then keeps the
        ``continue`` to resume from (pass its members in ``params``). ``method``, ``token`` and
        ``token_param`` are as for :meth:`request`, for every batch.

        ``params`` and ``max_batches`` are checked when this is called (:class:`ArgumentError`
        before any request); each batch raises what :meth:`request` raises, and an error ends
        the iteration (the batches before it have been yielded already).
        """
        return self._batches(Continuation(params, method, token, token_param, max_batches))

    def _batches(self, state: Continuation) -> Iterator[JSONObject]:
        while state.body is not None:
            answer = self._call("mw_request", _ffi.lib.mw_request, state.body)
            state.advance(answer)
            yield answer

    def upload(
        self,
        filename: str,
        path: Union[str, "os.PathLike[str]"],
        *,
        text: Optional[str] = None,
        comment: Optional[str] = None,
        ignorewarnings: bool = False,
        chunk_bytes: int = 1 << 20,
    ) -> JSONObject:
        """Uploads the local file ``path`` (str or :class:`os.PathLike`) as ``File:filename``
        (``mw_upload``), streamed from disk.

        A file of up to ``chunk_bytes`` (default 1 MiB) goes in one ``action=upload`` request;
        a larger one in MediaWiki's chunked upload (each chunk into the upload stash, then one
        request that publishes the file), with one INFO line per chunk on the ``"mwauth"``
        logger. ``text`` is the new file page's text, ``comment`` the upload's summary;
        ``ignorewarnings=True`` uploads in spite of warnings (a duplicate, an existing file).
        Every request carries a csrf token the library fetches, and is retried as configured.

        Returns MediaWiki's ``"upload"`` object: ``"result"`` is ``"Success"`` (with
        ``"filename"`` and ``"imageinfo"``) or ``"Warning"`` (with ``"warnings"``, e.g.
        ``{"duplicate": [...]}`` or ``{"exists": ...}``, and ``"filekey"`` where the wiki stashed
        the file, so that ``request({"action": "upload", "filename": ..., "filekey": ...,
        "ignorewarnings": True}, token="csrf")`` can publish it); a warning ends the upload.

        Raises :class:`ArgumentError` before any request for a path that is not a readable,
        non-empty regular file or ``chunk_bytes`` below 1 (``"invalid_value"``), and, after the
        wiki's siteinfo, for ``chunk_bytes`` below its ``minuploadchunksize``; :class:`ApiError`
        for the wiki's refusal (e.g. ``"permissiondenied"``).
        """
        body = upload_body(filename, path, text, comment, ignorewarnings, chunk_bytes)
        return self._call("mw_upload", symbol("mw_upload"), body)  # type: ignore[no-any-return]

    def rest(
        self,
        method: str,
        path: str,
        *,
        query: Optional[Mapping[str, Any]] = None,
        body: Any = None,
    ) -> JSONObject:
        """One call of MediaWiki's REST API (``rest.php``: beside ``api.php`` unless the config's
        ``rest_url`` says where) with the session's cookies or OAuth header (``mw_rest``)::

            s.rest("GET", "/v1/page/Main_Page")
            s.rest("PUT", "/v1/page/Sandbox", body={"source": "x", "comment": "y",
                                                    "latest": {"id": 1}})

        ``method`` is ``"GET"``, ``"POST"``, ``"PUT"``, ``"PATCH"`` or ``"DELETE"``; ``path`` is
        sent as given, after ``rest.php`` (percent-encode a title's ``/`` as ``%2F`` yourself);
        ``query`` (a dict) becomes the query string; ``body`` (any JSON value; None sends none,
        and GET takes none) goes as ``application/json``. A write (any method but GET) from a
        cookie session carries the csrf token as the body object's ``"token"`` (added unless the
        body has one), so its body must be a dict; an OAuth session sends no token. The REST
        API has no ``assert``: a session the wiki dropped reads as anonymous.

        Returns ``{"status": 200, "body": ...}`` for a 2xx answer, ``body`` the JSON answer (or
        its text, a str, when it is not JSON). Raises :class:`HttpError` for any other status,
        with ``error["http_status"]``, ``code`` from the wiki's ``"errorKey"`` (else
        ``"http_status"``), ``info`` from its message, and the whole answer under
        ``error["body"]``; :class:`ArgumentError` before any request for a bad method or path, a
        body with GET, or a cookie session's write whose body is not a dict (``"invalid_value"``).
        """
        request = rest_body(method, path, query, body)
        return self._call("mw_rest", symbol("mw_rest"), request)  # type: ignore[no-any-return]

    def logout(self) -> JSONObject:
        """Logs out (``action=logout``) and forgets the session's cookies, tokens and
        credentials, whatever the wiki answered. Returns ``{}``."""
        return self._call("mw_logout", _ffi.lib.mw_logout)  # type: ignore[no-any-return]

    @property
    def info(self) -> JSONObject:
        """What the session knows now, without a request: ``{"api_url", "logged_in" (True,
        False or None when unknown), "username", "userid", "auth", "temp"}``; ``temp`` is True
        when the wiki said the session's user is a temporary account (MediaWiki 1.42+), which
        is never taken as the session's ``username``."""
        return self._call("mw_session_info", _ffi.lib.mw_session_info)  # type: ignore[no-any-return]

    def clientlogin_fields(self, messageformat: Optional[str] = None) -> JSONObject:
        """What a login form must ask (``meta=authmanagerinfo``): ``{"requests": [...],
        "fields": {name: {"type", "label", "help", "optional", "sensitive", "value"?,
        "options"?}}}``. ``messageformat`` is ``"html"``, ``"wikitext"`` (the default),
        ``"raw"`` or ``"none"``. A logged-in session is logged out of first (locally)."""
        options = fields_options(messageformat)
        return self._call("mw_clientlogin_fields", symbol("mw_clientlogin_fields"), options)  # type: ignore[no-any-return]

    def clientlogin(self, fields: Optional[Mapping[str, Any]] = None, /, **more: Any) -> JSONObject:
        """Starts an interactive login (``action=clientlogin``) with the form's fields, given as
        a dict, as keywords, or both (keywords win): ``username``, ``password``, a captcha's
        ``captchaWord``, ``rememberMe=True``, any field an extension asks for; also
        ``returnurl`` and ``preservestate=True``. Values are str, or bool for checkboxes.

        Returns MediaWiki's clientlogin object with ``"status"`` ``"PASS"`` (logged in),
        ``"UI"`` (ask the ``"fields"`` it lists, then :meth:`clientlogin_step`) or
        ``"REDIRECT"`` (send the user to ``"redirecttarget"``, then :meth:`clientlogin_step`
        with what came back). ``FAIL`` and ``RESTART`` raise :class:`LoginError`, whose
        ``response`` holds the object (after ``FAIL`` also the form to ask again).
        """
        body = fields_body(fields, more)
        return self._call("mw_clientlogin", symbol("mw_clientlogin"), body)  # type: ignore[no-any-return]

    def clientlogin_step(self, fields: Optional[Mapping[str, Any]] = None, /, **more: Any) -> JSONObject:
        """Continues a clientlogin after ``UI`` or ``REDIRECT`` with the next fields (e.g.
        ``OATHToken="123456"``, or the query parameters the return URL came back with). Same
        results as :meth:`clientlogin`; with no flow in progress it raises :class:`StateError`
        (code ``"no_flow"``)."""
        body = fields_body(fields, more)
        return self._call("mw_clientlogin_step", symbol("mw_clientlogin_step"), body)  # type: ignore[no-any-return]

    # -- every AuthManager operation (0.2) ------------------------------------------------

    def auth_fields(self, purpose: str = "login", messageformat: Optional[str] = None) -> JSONObject:
        """What the form of an AuthManager operation must ask (``mw_auth_fields``: one request,
        ``meta=authmanagerinfo|tokens`` with ``amirequestsfor=purpose``).

        ``purpose`` is ``"login"`` (the default), ``"create"`` (a new account), ``"link"`` (link
        a third-party identity to the logged-in user), ``"change"`` (e.g. the password),
        ``"remove"`` or ``"unlink"``; ``messageformat`` as for :meth:`clientlogin_fields`.

        Returns MediaWiki's authmanagerinfo object: ``"requests"`` (for change, remove and unlink,
        each one's ``"id"`` is what :meth:`auth_begin`'s ``request`` takes), the merged
        ``"fields"`` (name -> ``{"type", "label", "help", "optional", "sensitive", "value"?,
        "options"?}``: a captcha's ``captchaId``, ``captchaInfo``, ``captchaWord`` among them),
        ``"haspreservedstate"``, ``"preservedusername"``, ... and ``"canpreservestate"``: whether
        ``preservestate=True`` would add what the wiki kept from a ``FAIL`` or ``RESTART`` (after
        a third-party login's RESTART it is True for ``"create"``). Hidden fields of the form (a
        captcha's id) are kept and sent back by the next :meth:`auth_begin` of the same purpose.

        ``"login"`` logs a logged-in session out first (locally). ``"link"``, ``"change"``,
        ``"remove"`` and ``"unlink"`` raise :class:`StateError` (``"not_logged_in"``) in a session
        that is not logged in, before any request. An unknown purpose or message format raises
        :class:`ArgumentError` (``"invalid_value"``).
        """
        options = auth_fields_options(purpose, messageformat)
        return self._call("mw_auth_fields", symbol("mw_auth_fields"), options)  # type: ignore[no-any-return]

    def auth_begin(
        self,
        purpose: str,
        fields: Optional[Mapping[str, FieldValue]] = None,
        /,
        *,
        preservestate: bool = False,
        returnurl: Optional[str] = None,
        request: Optional[str] = None,
        **more: FieldValue,
    ) -> JSONObject:
        """The first step of an AuthManager operation (``mw_auth_begin``), posted to the
        purpose's module: ``"login"`` (``action=clientlogin``), ``"create"``
        (``createaccount``), ``"link"`` (``linkaccount``), ``"change"``
        (``changeauthenticationdata``), ``"remove"`` (``removeauthenticationdata``) or
        ``"unlink"`` (``unlinkaccount``). The library fetches the token itself.

        The form's fields go as keywords, as one dict, or both (keywords win)::

            s.auth_begin("create", username="New", password="P", retype="P", captchaWord="42")
            s.auth_begin("login", {"username": "U", "password": "P", "odd-name.x": "1"})

        A field whose name is not a Python identifier, or is ``purpose``, ``preservestate``,
        ``returnurl`` or ``request``, goes in the dict. Values are str, or bool for checkboxes
        and buttons (``False`` and ``None`` leave the field out). Hidden fields of the last form
        :meth:`auth_fields` fetched for the same purpose (a captcha's ``captchaId``) are sent back
        unless given; a captcha id is good once (after a ``FAIL``, the new form's goes). Names
        the library sends itself (``token``, ``request``, ``createtoken``, ``logincontinue``,
        ...) are refused with :class:`ArgumentError` (``"invalid_value"``).

        ``preservestate=True`` (login and create) adds what the wiki kept from a ``FAIL`` or
        ``RESTART``: after a third-party login's ``RESTART``, ``auth_begin("create",
        preservestate=True, username=..., captchaWord=...)`` creates an account linked to the
        identity (a username and the form's captcha, no password, although the form lists one),
        and ``auth_begin("login", preservestate=True, username=..., password=...)`` links it to
        an existing account, on a wiki that links on login: it answers ``UI`` with a
        ``confirmedLinkIDs`` field, and the :meth:`auth_continue` that sends it makes the link.
        A change, remove or unlink ends the account's bot passwords. ``returnurl`` (login,
        create and link; default: the api_url) is where a third party sends the browser back.
        ``request`` (required for change, remove and unlink, refused for the others) is the
        ``"id"`` of one of :meth:`auth_fields`'s ``"requests"``, e.g.
        ``r"MediaWiki\\Auth\\PasswordAuthenticationRequest"`` for a new password (fields
        ``password``, ``retype``). Each misfit raises :class:`ArgumentError` (``"invalid_value"``)
        before any request, as does an unknown purpose. Beginning ends the flow in progress.

        Returns the module's object: for login, create and link ``"status"`` ``"PASS"``
        (``"username"``: who logged in, or the new account; a create does not log the session
        in), ``"UI"`` (ask its ``"fields"``, then :meth:`auth_continue`) or ``"REDIRECT"`` (send
        the user to ``"redirecttarget"``, then :meth:`auth_continue` with what came back); for
        change, remove and unlink ``{"status": "success"}``.

        Raises :class:`LoginError` for ``FAIL`` and ``RESTART``, its ``response`` the whole
        object (``"status"``, ``"messagecode"``, ``"canpreservestate"``; after a ``FAIL`` the
        form as the wiki now wants it, ``"fields"`` and ``"requests"``); :class:`ApiError` when
        the wiki refuses a change, remove or unlink (``"badrequest"``, ``"badretype"``, ...);
        :class:`StateError` (``"not_logged_in"``) for link, change, remove and unlink in a
        session that is not logged in, before any request.
        """
        body = auth_begin_body(purpose, fields, more, preservestate, returnurl, request)
        return self._call("mw_auth_begin", symbol("mw_auth_begin"), body)  # type: ignore[no-any-return]

    def auth_continue(self, fields: Optional[Mapping[str, FieldValue]] = None, /, **more: FieldValue) -> JSONObject:
        """Continues the AuthManager flow in progress (login, create or link) after ``UI`` or
        ``REDIRECT`` (``mw_auth_continue``), with the next fields as keywords, one dict, or both
        (keywords win): a two-factor code (``OATHToken="123456"``), the confirmation of a link
        (``confirmedLinkIDs=ID``), or the query parameters the third party appended to the
        return URL (``auth_continue(dict(urllib.parse.parse_qsl(query)))``). Hidden fields of
        the last step are sent back unless given.

        Same results and errors as :meth:`auth_begin`; with no flow in progress (never begun,
        or ended by ``PASS``, ``FAIL`` or ``RESTART``) it raises :class:`StateError`
        (``"no_flow"``) before any request.
        """
        body = auth_continue_body(fields, more)
        return self._call("mw_auth_continue", symbol("mw_auth_continue"), body)  # type: ignore[no-any-return]
