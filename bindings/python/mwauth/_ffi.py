"""The one place that knows about the shared library: finding it, declaring every symbol's
argument and result types, and moving JSON text across the boundary (in the manner of
wasmtime-py's ``_ffi.py``).

The library is searched for, in order (the first that loads wins):

1. the ``MWAUTH_LIBRARY`` environment variable (a path; when it is set, nothing else is tried,
   so a wrong value is an error rather than a silent fallback to another copy);
2. a copy inside this package, ``libmwauth*.so*`` (setuptools-rust names it after Python's
   extension suffix, e.g. ``libmwauth.cpython-311-x86_64-linux-gnu.so``);
3. the repository's ``target/release`` when this package is run from a source checkout;
4. ``ctypes.util.find_library("mwauth")`` (an installed ``libmwauth.so.0``).

When none loads, :class:`LibraryNotFoundError` names every place tried and why each failed.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import os
from ctypes import POINTER, c_char_p, c_int, c_void_p
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

__all__ = [
    "LibraryNotFoundError",
    "LOG_FN",
    "DONE_FN",
    "SessionPtr",
    "lib",
    "library_path",
    "optional_symbol",
    "encode",
    "take_string",
]

ENV_VAR = "MWAUTH_LIBRARY"
PACKAGE_DIR = Path(__file__).resolve().parent
# bindings/python/mwauth/_ffi.py -> the repository root, when run from a checkout.
REPO_DIR = PACKAGE_DIR.parents[2]
PACKAGE_PATTERNS = ("libmwauth*.so*", "libmwauth*.dylib", "mwauth*.dll")
REPO_NAMES = ("libmwauth.so", "libmwauth.dylib", "mwauth.dll")


class LibraryNotFoundError(ImportError):
    """No copy of the mwauth shared library could be loaded; the message lists every place
    tried, in order, with the reason each one failed."""


class _MwSession(ctypes.Structure):
    """The opaque ``mw_session``: only ever handled through a pointer."""


SessionPtr = POINTER(_MwSession)
"""``mw_session *``: a NULL pointer is falsy."""

LOG_FN = ctypes.CFUNCTYPE(None, c_void_p, c_int, c_char_p)
"""``void (*mw_log_fn)(void *userdata, int level, const char *message)``."""

DONE_FN = ctypes.CFUNCTYPE(None, c_void_p, c_int, c_void_p)
"""``void (*mw_done_fn)(void *userdata, mw_result result, char *out_json)``: ``out_json`` is
taken as a raw pointer, since the callback owns it and must free it with ``mw_string_free``."""

_OUT = POINTER(c_void_p)  # char **out_json, read as a raw pointer so it can be freed

# name -> (argtypes, restype). Every function of the C ABI (include/mwauth.h).
_SIGNATURES: Dict[str, Tuple[List[Any], Any]] = {
    "mw_version": ([], c_char_p),  # static string: never freed, so c_char_p is right here
    "mw_session_new": ([c_char_p, _OUT], SessionPtr),
    "mw_session_free": ([SessionPtr], None),
    "mw_string_free": ([c_void_p], None),
    "mw_login": ([SessionPtr, c_char_p, _OUT], c_int),
    "mw_clientlogin_fields": ([SessionPtr, c_char_p, _OUT], c_int),
    "mw_clientlogin": ([SessionPtr, c_char_p, _OUT], c_int),
    "mw_clientlogin_step": ([SessionPtr, c_char_p, _OUT], c_int),
    "mw_auth_fields": ([SessionPtr, c_char_p, _OUT], c_int),
    "mw_auth_begin": ([SessionPtr, c_char_p, _OUT], c_int),
    "mw_auth_continue": ([SessionPtr, c_char_p, _OUT], c_int),
    "mw_request": ([SessionPtr, c_char_p, _OUT], c_int),
    "mw_upload": ([SessionPtr, c_char_p, _OUT], c_int),
    "mw_rest": ([SessionPtr, c_char_p, _OUT], c_int),
    "mw_logout": ([SessionPtr, _OUT], c_int),
    "mw_session_info": ([SessionPtr, _OUT], c_int),
    "mw_session_set_logger": ([SessionPtr, LOG_FN, c_void_p], c_int),
    "mw_version_number": ([], c_int),
    "mw_result_name": ([c_int], c_char_p),  # static string: never freed
    # The asynchronous calls (mwauth.aio): the same JSON in and out, the output handed to `done`
    # on a thread of the library's pool; userdata is a call id, not a pointer.
    "mw_request_async": ([SessionPtr, c_char_p, DONE_FN, c_void_p], c_int),
    "mw_login_async": ([SessionPtr, c_char_p, DONE_FN, c_void_p], c_int),
    "mw_clientlogin_fields_async": ([SessionPtr, c_char_p, DONE_FN, c_void_p], c_int),
    "mw_clientlogin_async": ([SessionPtr, c_char_p, DONE_FN, c_void_p], c_int),
    "mw_clientlogin_step_async": ([SessionPtr, c_char_p, DONE_FN, c_void_p], c_int),
    "mw_logout_async": ([SessionPtr, DONE_FN, c_void_p], c_int),
    "mw_auth_fields_async": ([SessionPtr, c_char_p, DONE_FN, c_void_p], c_int),
    "mw_auth_begin_async": ([SessionPtr, c_char_p, DONE_FN, c_void_p], c_int),
    "mw_auth_continue_async": ([SessionPtr, c_char_p, DONE_FN, c_void_p], c_int),
    "mw_upload_async": ([SessionPtr, c_char_p, DONE_FN, c_void_p], c_int),
    "mw_rest_async": ([SessionPtr, c_char_p, DONE_FN, c_void_p], c_int),
    "mw_async_error": ([], c_void_p),  # a new string (or NULL): freed with mw_string_free
}

# Symbols a library may lack (added after the first release of the ABI): looked up when first
# used, so an older library still serves everything else.
_OPTIONAL = frozenset({
    "mw_clientlogin_fields", "mw_clientlogin", "mw_clientlogin_step",
    "mw_version_number", "mw_result_name",
    "mw_request_async", "mw_login_async", "mw_clientlogin_fields_async", "mw_clientlogin_async",
    "mw_clientlogin_step_async", "mw_logout_async", "mw_async_error",
    # 0.2: every AuthManager operation (create, link, change, remove, unlink).
    "mw_auth_fields", "mw_auth_begin", "mw_auth_continue",
    "mw_auth_fields_async", "mw_auth_begin_async", "mw_auth_continue_async",
    # 0.2: uploads (in one request or in chunks) and MediaWiki's REST API.
    "mw_upload", "mw_rest", "mw_upload_async", "mw_rest_async",
})


def _repo_library() -> Optional[Path]:
    """The checkout's target/release directory, if this package sits in a source checkout."""
    if (REPO_DIR / "Cargo.toml").is_file() and (REPO_DIR / "include" / "mwauth.h").is_file():
        return REPO_DIR / "target" / "release"
    return None


def _load() -> Tuple[ctypes.CDLL, str]:
    tried: List[str] = []

    def attempt(path: str, place: str) -> Optional[ctypes.CDLL]:
        try:
            return ctypes.CDLL(path)
        except OSError as e:
            tried.append(f"{place}: {path}: {e}")
            return None

    def fail(extra: str = "") -> LibraryNotFoundError:
        lines = "\n".join(f"  {i}. {t}" for i, t in enumerate(tried, 1))
        return LibraryNotFoundError(
            "cannot load the mwauth shared library (libmwauth). Tried, in order:\n"
            f"{lines}\n{extra}"
            f"Set {ENV_VAR} to the library's path, or install the package from the source tree "
            "(pip install ./bindings/python builds the library into it)."
        )

    # 1. The environment variable wins; a wrong value is an error, not a reason to look elsewhere.
    env = os.environ.get(ENV_VAR)
    if env:
        found = attempt(env, f"${ENV_VAR}")
        if found is not None:
            return found, env
        others = [f"{PACKAGE_DIR / p}" for p in PACKAGE_PATTERNS[:1]]
        repo = _repo_library()
        if repo is not None:
            others.append(str(repo / REPO_NAMES[0]))
        others.append('ctypes.util.find_library("mwauth")')
        raise fail(
            f"(Not searched while {ENV_VAR} is set: {', '.join(others)}; unset it to use them.)\n"
        )
    tried.append(f"${ENV_VAR}: not set")

    # 2. A copy inside the package, whatever suffix the packaging tool gave it.
    copies = sorted(p for pattern in PACKAGE_PATTERNS for p in PACKAGE_DIR.glob(pattern))
    for copy in copies:
        found = attempt(str(copy), "inside the package")
        if found is not None:
            return found, str(copy)
    if not copies:
        tried.append(f"inside the package: no {PACKAGE_DIR / PACKAGE_PATTERNS[0]}")

    # 3. The source checkout's release build.
    repo = _repo_library()
    if repo is None:
        tried.append(f"the source checkout's target/release: {REPO_DIR} is not an mwauth checkout")
    else:
        builds = [repo / n for n in REPO_NAMES if (repo / n).exists()]
        for build in builds:
            found = attempt(str(build), "the source checkout")
            if found is not None:
                return found, str(build)
        if not builds:
            tried.append(f"the source checkout: no {repo / REPO_NAMES[0]} (run cargo build --release --lib)")

    # 4. The system's library path.
    name = ctypes.util.find_library("mwauth")
    if name is None:
        tried.append('ctypes.util.find_library("mwauth"): nothing found')
    else:
        found = attempt(name, 'ctypes.util.find_library("mwauth")')
        if found is not None:
            return found, name
    raise fail()


def _declare(library: ctypes.CDLL) -> None:
    missing = []
    for name, (argtypes, restype) in _SIGNATURES.items():
        try:
            fn = getattr(library, name)
        except AttributeError:
            if name not in _OPTIONAL:
                missing.append(name)
            continue
        fn.argtypes = argtypes
        fn.restype = restype
    if missing:
        raise LibraryNotFoundError(
            f"{_path} is not a usable mwauth library: it does not export {', '.join(missing)}"
        )


lib, _path = _load()
_declare(lib)


def library_path() -> str:
    """The path (or, when found by ``ctypes.util.find_library``, the name) of the loaded library."""
    return _path


def optional_symbol(name: str) -> Optional[Callable[..., Any]]:
    """The function ``name`` if the loaded library exports it, else None (see ``_OPTIONAL``)."""
    try:
        return getattr(lib, name)  # type: ignore[no-any-return]
    except AttributeError:
        return None


def encode(value: Any) -> bytes:
    """UTF-8 JSON text for the C side. Raises what ``json.dumps`` raises for a value JSON cannot
    represent (TypeError, ValueError, RecursionError when nested too deeply), TypeError for a dict
    key that is not a str, and UnicodeEncodeError for a str UTF-8 cannot encode (a lone
    surrogate such as ``"\\ud800"``). A NUL character is safe: JSON escapes it as ``\\u0000``."""
    text = json.dumps(value, ensure_ascii=False, allow_nan=False)
    _check_keys(value)  # after dumps, which refuses a structure that contains itself
    return text.encode("utf-8")


def _check_keys(value: Any) -> None:
    """``json.dumps`` quietly turns int, float, bool and None keys into strings (``{1: "x"}``
    becomes ``{"1": "x"}``); refuse them instead. A loop, not recursion, so depth is no limit."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            for key in item:
                if not isinstance(key, str):
                    raise TypeError(f"keys must be str, not {type(key).__name__} ({key!r:.40})")
            pending.extend(item.values())
        elif isinstance(item, (list, tuple)):
            pending.extend(item)


def take_string(ptr: c_void_p) -> Optional[str]:
    """Copies a string the library returned through an out pointer and frees it with
    ``mw_string_free`` (a ``c_char_p`` result would lose the pointer and leak it)."""
    if not ptr.value:
        return None
    try:
        return ctypes.string_at(ptr.value).decode("utf-8", errors="replace")
    finally:
        lib.mw_string_free(ptr)
        ptr.value = None
