"""mwauth: log in to a MediaWiki wiki and call its Action API as that user.

A ctypes binding of libmwauth (the Rust library's C ABI: JSON in, JSON out)::

    import mwauth

    with mwauth.Session("https://wiki.example.org/w/api.php",
                        user_agent="MyBot/1.0 (me@example.org)", assert_="bot") as s:
        s.login("MyUser@mybot", "0123456789abcdefghijklmnopqrstuv")
        s.request({"action": "query", "meta": "userinfo"})
        s.request({"action": "edit", "title": "T", "text": "x"}, token="csrf")

Files, the REST API and continuation::

    s.upload("Diagram.png", "diagram.png", comment="new")   # in chunks when over chunk_bytes
    s.request({"action": "upload", "filename": "B.bin"}, token="csrf", files={"file": b"..."})
    s.rest("GET", "/v1/page/Main_Page")                     # {"status": 200, "body": {...}}
    for answer in s.request_all({"action": "query", "list": "allpages"}):
        ...                                                 # one request per batch, lazily

Every AuthManager operation (login, create, link, change, remove, unlink) goes through
:meth:`Session.auth_fields`, :meth:`Session.auth_begin` and :meth:`Session.auth_continue`::

    form = s.auth_fields("create")          # username, password, retype, a captcha, ...
    s.auth_begin("create", username="New", password="P", retype="P", captchaWord="42")

Failures raise a subclass of :class:`Error`, one per result code of the C ABI. The library's
log lines go to ``logging.getLogger("mwauth")``.

For asyncio, :mod:`mwauth.aio` has the same Session with coroutines, over the library's
``*_async`` functions (its calls never block the event loop)::

    import mwauth.aio

    async with mwauth.aio.Session(api_url, user_agent="MyBot/1.0 (me@example.org)") as s:
        await s.login("MyUser@mybot", "0123456789abcdefghijklmnopqrstuv")
        answers = await asyncio.gather(*(s.request({"action": "query", "titles": t}) for t in titles))

The shared library is found through ``MWAUTH_LIBRARY``, then a copy inside this package, then a
source checkout's ``target/release``, then ``ctypes.util.find_library("mwauth")``;
:func:`library_path` tells which one was loaded.
"""

from __future__ import annotations

from typing import Any

from ._errors import (
    ApiError,
    ArgumentError,
    Error,
    HttpError,
    InternalError,
    LoginError,
    Result,
    StateError,
    TransportError,
)
from ._ffi import LibraryNotFoundError, library_path
from ._session import LOGGER_NAME, Session, version

try:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as _dist_version

    __version__: str = _dist_version("mwauth")
except PackageNotFoundError:  # run from a checkout without being installed
    __version__ = version()

__all__ = [
    "Session",
    "version",
    "library_path",
    "LOGGER_NAME",
    "Result",
    "Error",
    "ArgumentError",
    "StateError",
    "TransportError",
    "HttpError",
    "ApiError",
    "LoginError",
    "InternalError",
    "LibraryNotFoundError",
    "aio",
    "__version__",
]


def __getattr__(name: str) -> Any:
    """``mwauth.aio`` without importing it first (it imports asyncio, so only when used)."""
    if name == "aio":
        import importlib

        return importlib.import_module(f"{__name__}.aio")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
