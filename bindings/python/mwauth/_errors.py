"""The exception tree: one class per ``mw_result`` code of the C ABI, all under :class:`Error`."""

from __future__ import annotations

import enum
from typing import Any, Dict, Optional, Type

__all__ = [
    "Result",
    "Error",
    "ArgumentError",
    "StateError",
    "TransportError",
    "HttpError",
    "ApiError",
    "LoginError",
    "InternalError",
    "error_for",
]


class Result(enum.IntEnum):
    """The C ABI's ``mw_result`` values (part of the ABI: they never change)."""

    OK = 0
    ERR_ARGUMENT = 1
    ERR_STATE = 2
    ERR_TRANSPORT = 3
    ERR_HTTP = 4
    ERR_API = 5
    ERR_LOGIN = 6
    ERR_INTERNAL = 99


class Error(Exception):
    """Any failure the library reports.

    Attributes:
        code: the error's machine-readable code (the library's own, such as ``"invalid_json"``,
            or the wiki's, such as ``"badtoken"`` or ``"wrongpassword"``).
        info: the error's sentence for people.
        result: the ``mw_result`` number of the failed call (see :class:`Result`).
        error: the whole ``"error"`` object (it may hold more, e.g. ``"http_status"``,
            ``"retry_after"``, ``"reason"`` or MediaWiki's ``"errors"`` array).
        response: the whole output object of the call, when it returned one (for a clientlogin
            ``FAIL`` it holds ``"status"``, ``"messagecode"`` and the form to ask again), else
            None.
    """

    result_code: int = -1

    def __init__(
        self,
        code: str,
        info: str,
        *,
        result: Optional[int] = None,
        error: Optional[Dict[str, Any]] = None,
        response: Optional[Dict[str, Any]] = None,
    ) -> None:
        super().__init__(f"{code}: {info}")
        self.code: str = code
        self.info: str = info
        self.result: int = self.result_code if result is None else result
        self.error: Dict[str, Any] = error if error is not None else {"code": code, "info": info}
        self.response: Optional[Dict[str, Any]] = response

    def __reduce__(self) -> Any:
        return (
            _rebuild,
            (type(self), self.code, self.info, self.result, self.error, self.response),
        )


def _rebuild(cls: Type[Error], code: str, info: str, result: int, error: Any, response: Any) -> Error:
    return cls(code, info, result=result, error=error, response=response)


class ArgumentError(Error):
    """``MW_ERR_ARGUMENT``: the input is unusable (malformed JSON, a missing, ill-typed or unknown
    field or config key, credentials that would go over plain http: ``insecure_http``). This
    binding raises it too, before any call, for what cannot be sent: ``wrong_type`` (a dict
    argument that is not one), ``invalid_json`` (a value JSON has no form for),
    ``invalid_utf8`` (a str with a lone surrogate)."""

    result_code = Result.ERR_ARGUMENT


class StateError(Error):
    """``MW_ERR_STATE``: the call does not fit the session's state (``no_flow``: a clientlogin
    step or :meth:`~mwauth.Session.auth_continue` with no flow in progress; ``not_logged_in``:
    link, change, remove or unlink in a session that is not logged in; ``oauth_session``;
    ``closed``: the Session was closed)."""

    result_code = Result.ERR_STATE


class TransportError(Error):
    """``MW_ERR_TRANSPORT``: no HTTP answer (``dns``, ``connect``, ``timeout``, ``tls``, ``io``)."""

    result_code = Result.ERR_TRANSPORT


class HttpError(Error):
    """``MW_ERR_HTTP``: an HTTP answer that is not an API response (``http_status``,
    ``not_json``, ``too_large``); also ``not_json`` for an answer beyond Python's json parser
    (nested too deeply, an int with too many digits)."""

    result_code = Result.ERR_HTTP


class ApiError(Error):
    """``MW_ERR_API``: the API answered with an error; ``error`` is MediaWiki's error object
    (also a refused change, remove or unlink of :meth:`~mwauth.Session.auth_begin`, such as
    ``badrequest`` or ``badretype``)."""

    result_code = Result.ERR_API


class LoginError(Error):
    """``MW_ERR_LOGIN``: the wiki refused a login (``action=login``'s result, with ``"reason"``
    in ``error``), or an AuthManager step (clientlogin, :meth:`~mwauth.Session.auth_begin`,
    :meth:`~mwauth.Session.auth_continue`: login, create or link) answered ``FAIL`` or
    ``RESTART``: ``code`` is its messagecode (``wrongpassword``, ``userexists``, ...) and
    ``response`` the whole object (``"status"``, ``"canpreservestate"``, after a ``FAIL`` the
    form to ask again)."""

    result_code = Result.ERR_LOGIN


class InternalError(Error):
    """``MW_ERR_INTERNAL``: a bug in the library (``panic``, ``poisoned``), or output this binding
    could not read."""

    result_code = Result.ERR_INTERNAL


_CLASSES: Dict[int, Type[Error]] = {
    cls.result_code: cls
    for cls in (ArgumentError, StateError, TransportError, HttpError, ApiError, LoginError, InternalError)
}


def error_for(result: int, response: Optional[Dict[str, Any]]) -> Error:
    """The exception for a call that returned ``result`` with the output object ``response``."""
    cls = _CLASSES.get(result, Error)
    error = response.get("error") if isinstance(response, dict) else None
    if not isinstance(error, dict):
        error = {"code": "no_error_object", "info": f"the library returned {result} without an error object"}
    code = str(error.get("code", "unknown"))
    info = str(error.get("info", ""))
    return cls(code, info, result=result, error=error, response=response)
