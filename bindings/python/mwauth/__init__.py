"""mwauth: log in to a MediaWiki wiki and call its Action API as that user.

A ctypes binding of libmwauth (the Rust library's C ABI: JSON in, JSON out)::

    import mwauth

    with mwauth.Session("https://wiki.example.org/w/api.php",
                        user_agent="MyBot/1.0 (me@example.org)", assert_="bot") as s:
        s.login("MyUser@mybot", "0123456789abcdefghijklmnopqrstuv")
        s.request({"action": "query", "meta": "userinfo"})
        s.request({"action": "edit", "title": "T", "text": "x"}, token="csrf")

Failures raise a subclass of :class:`Error`, one per result code of the C ABI. The library's
log lines go to ``logging.getLogger("mwauth")``.

The shared library is found through ``MWAUTH_LIBRARY``, then a copy inside this package, then a
source checkout's ``target/release``, then ``ctypes.util.find_library("mwauth")``;
:func:`library_path` tells which one was loaded.
"""

from __future__ import annotations

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
    "__version__",
]
