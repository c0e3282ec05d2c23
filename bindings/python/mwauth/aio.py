"""``mwauth.aio``: the :class:`Session` for asyncio, over the library's ``*_async`` functions::

    import asyncio
    import mwauth.aio

    async def main() -> None:
        async with mwauth.aio.Session("https://wiki.example.org/w/api.php",
                                      user_agent="MyBot/1.0 (me@example.org)") as s:
            await s.login("MyUser@mybot", "0123456789abcdefghijklmnopqrstuv")
            answers = await asyncio.gather(
                *(s.request({"action": "query", "titles": t}) for t in ("A", "B", "C")))
            await s.request({"action": "edit", "title": "T", "text": "x"}, token="csrf")

    asyncio.run(main())

It mirrors :class:`mwauth.Session`: the same constructor and config keywords, the same
arguments, results and exceptions, the same log lines on the ``"mwauth"`` logger; its calls are
coroutines.

How it works: each call hands its JSON to the library's ``mw_..._async`` function, which checks
it at once (a bad argument raises here, before any request) and runs the call on a thread of the
library's own pool (8 threads unless ``MWAUTH_ASYNC_THREADS`` says otherwise). When it ends, one
module-wide callback copies the output, frees it, and resolves the call's future on its event
loop with ``call_soon_threadsafe``. So the event loop never waits for the network.

Cancelling a task that awaits a call does not stop the call: the library finishes it in the
background and its result is dropped (a cancelled :meth:`Session.login` may still log the
session in). The session stays usable.
"""

from __future__ import annotations

import asyncio
import atexit
import ctypes
import itertools
import threading
import weakref
from collections.abc import Mapping
import os
from typing import Any, AsyncIterator, Callable, Dict, List, Optional, Tuple, Union

from . import _ffi
from ._errors import Error, InternalError, Result
from ._session import (
    Continuation,
    FieldValue,
    FileValue,
    JSONObject,
    auth_begin_body,
    auth_continue_body,
    auth_fields_options,
    closed_error,
    fields_body,
    fields_options,
    login_body,
    new_session,
    outcome,
    request_body,
    rest_body,
    symbol,
    upload_body,
)

__all__ = ["Session"]

# Guards _pending and every Session's _ptr, _inflight, _closing and _waiters. Held only for a
# few Python statements, never across a call into the library. (Session.__del__ does not take
# it: garbage collection may run while this thread holds it, and an unreachable Session has no
# call in flight that could touch it.)
_lock = threading.Lock()
_pending: Dict[int, "_Call"] = {}  # call id (the done callback's userdata) -> the call
_ids = itertools.count(1)  # 0 would arrive in the callback as NULL, None
_live: "weakref.WeakSet[Session]" = weakref.WeakSet()  # for the exit hook


class _Call:
    """One call in flight: the Session (kept alive by this reference, so that it cannot be
    collected, and freed, before the library is done with it), the loop and future to resolve,
    and the C function's name for error messages."""

    __slots__ = ("session", "loop", "future", "name")

    def __init__(self, session: "Session", loop: asyncio.AbstractEventLoop, future: "asyncio.Future[Any]",
                 name: str) -> None:
        self.session = session
        self.loop = loop
        self.future = future
        self.name = name


def _settle(call: _Call, value: Any, error: Optional[BaseException]) -> None:
    """On the call's event loop: resolves its future, unless the awaiting task was cancelled."""
    future = call.future
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(value)


def _wake(waiter: "asyncio.Future[None]") -> None:
    if not waiter.done():
        waiter.set_result(None)


# Whether this thread is inside _on_done: a Session collected there (its call held the last
# reference) must not be freed on that thread, since mw_session_free must not run inside a done
# callback of the same session.
_in_done = threading.local()


def _on_done(userdata: Optional[int], result: int, out_json: Optional[int]) -> None:
    """The library's done callback, for every call of every Session: runs on a thread of the
    library's pool, once per call, with the GIL taken by ctypes. Nothing may escape it."""
    _in_done.active = True
    try:
        _complete(userdata, result, out_json)  # its references die before this returns
    except Exception:  # noqa: BLE001 - an exception cannot cross into the library
        pass
    finally:
        _in_done.active = False


def _complete(userdata: Optional[int], result: int, out_json: Optional[int]) -> None:
    try:
        text = _ffi.take_string(ctypes.c_void_p(out_json))  # copied, then mw_string_free
    except Exception:  # noqa: BLE001 - take_string frees even when the copy fails
        text = None
    with _lock:
        call = _pending.pop(userdata or 0, None)
    if call is None:  # cannot happen: each call's done comes once
        return
    try:
        value, error = None, None
        if not call.future.done():  # a cancelled call's answer is not even decoded
            try:
                value = outcome(call.name, result, text)
            except Error as e:
                error = e
            except Exception as e:  # noqa: BLE001 - reported to the caller, not lost
                error = InternalError("bad_output", f"{call.name}: reading its output failed: {e!r}")
        try:
            # The handle holds `call`, hence the Session, until _settle has run on the loop.
            call.loop.call_soon_threadsafe(_settle, call, value, error)
        except RuntimeError:  # the loop is closed: nobody is left to take the answer
            pass
    finally:
        call.session._finished()


# Kept for the whole process: the library calls it by address from its pool threads.
_DONE = _ffi.DONE_FN(_on_done)


def _free_at_exit() -> None:
    """At interpreter exit, frees every Session still open (mw_session_free waits for its calls
    in flight, whose done callbacks must run before Python is torn down)."""
    for session in list(_live):
        session._free_now()


atexit.register(_free_at_exit)


class Session:
    """A session with one wiki, for asyncio: :class:`mwauth.Session` with coroutines.

    ``Session(api_url, **config)`` takes the same keywords as :class:`mwauth.Session`
    (``user_agent``, ``timeout_ms``, ``assert_``, ``bot_password``, ``cookie_file``, ...) and
    raises the same errors; it makes no request, so it is not a coroutine. Use it with
    ``async with``, or ``await`` :meth:`close`.

    Calls may run concurrently (``asyncio.gather``): requests share the login, while
    :meth:`login`, :meth:`logout`, the clientlogin and auth calls wait for running requests and
    requests wait for them. An argument that cannot be sent raises :class:`mwauth.ArgumentError`
    when the call is awaited, before any request. A cancelled call completes in the background
    and its result is dropped; the session stays usable. Log lines go to
    ``logging.getLogger("mwauth")``, emitted from the library's pool threads.

    Each call's result goes to the event loop it was awaited on, so a session may serve several
    loops in turn (one ``asyncio.run`` after another). An unclosed Session is freed on garbage
    collection, which cannot happen while calls are in flight (they keep it alive), and at
    interpreter exit, which waits for them.
    """

    def __init__(self, api_url: str, **config: Any) -> None:
        self._ptr: Any = None  # set first, so __del__ works even when __init__ fails
        self._inflight = 0  # calls submitted whose done callback has not come (and info calls)
        self._closing = False
        self._waiters: List[Tuple[asyncio.AbstractEventLoop, "asyncio.Future[None]"]] = []
        self._ptr = new_session(api_url, config)
        self._api_url = api_url
        _live.add(self)

    # -- lifetime -------------------------------------------------------------------------

    async def close(self) -> None:
        """Waits for every call in flight (also cancelled ones, which finish in the background),
        then releases the session (``mw_session_free``). Safe to call more than once; calls
        made after it has begun raise :class:`mwauth.StateError` (code ``"closed"``)."""
        loop = asyncio.get_running_loop()
        while True:
            with _lock:
                if self._ptr is None:
                    return
                self._closing = True
                if self._inflight == 0:
                    ptr, self._ptr = self._ptr, None
                    break
                waiter: "asyncio.Future[None]" = loop.create_future()
                self._waiters.append((loop, waiter))
            await waiter  # set when the last call's done callback has come
        # No call is pending now, so this returns at once (it waits only for a done callback
        # that is still returning).
        _ffi.lib.mw_session_free(ptr)

    @property
    def closed(self) -> bool:
        """Whether the session has been released (:meth:`close` has finished)."""
        return self._ptr is None

    async def __aenter__(self) -> "Session":
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self.close()

    def __del__(self) -> None:
        # Unreachable, so no call is in flight (each holds a reference) and nothing else can
        # use the pointer. Inside a done callback (its call held the last reference), the
        # session must not be freed on this thread: another one does it, which waits until
        # that callback has returned.
        ptr = getattr(self, "_ptr", None)
        if ptr is None:
            return
        self._ptr = None
        try:
            if getattr(_in_done, "active", False):
                try:
                    threading.Thread(target=_ffi.lib.mw_session_free, args=(ptr,),
                                     name="mwauth-aio-free").start()
                    return
                except RuntimeError:  # no new thread at interpreter shutdown
                    pass
            _ffi.lib.mw_session_free(ptr)
        except Exception:  # noqa: BLE001 - e.g. during interpreter shutdown
            pass

    def _free_now(self) -> None:
        """Closes without an event loop, blocking (the exit hook): mw_session_free waits for
        the calls in flight itself."""
        with _lock:
            ptr, self._ptr = self._ptr, None
            self._closing = True
        if ptr is not None:
            _ffi.lib.mw_session_free(ptr)

    def __repr__(self) -> str:
        state = "closed" if self._ptr is None else "open"
        return f"<mwauth.aio.Session {getattr(self, '_api_url', '?')!r} {state}>"

    # -- calls ----------------------------------------------------------------------------

    def _finished(self) -> None:
        """One call has ended (its done callback came, or it never started); wakes the waiting
        :meth:`close` calls when it was the last."""
        with _lock:
            self._inflight -= 1
            if self._inflight:
                return
            waiters, self._waiters = self._waiters, []
        for loop, waiter in waiters:
            try:
                loop.call_soon_threadsafe(_wake, waiter)
            except RuntimeError:  # that loop is closed
                pass

    async def _call(self, name: str, *args: Any) -> Any:
        """Submits ``name_async(session, *args, done, id)`` and awaits its output."""
        fn: Callable[..., int] = symbol(name + "_async")
        error_fn = symbol("mw_async_error")
        loop = asyncio.get_running_loop()
        future: "asyncio.Future[Any]" = loop.create_future()
        call = _Call(self, loop, future, name)
        with _lock:
            if self._ptr is None or self._closing:
                raise closed_error()
            ptr = self._ptr
            call_id = next(_ids)
            _pending[call_id] = call
            self._inflight += 1
        rc: Optional[int] = None
        text: Optional[str] = None
        try:
            rc = fn(ptr, *args, _DONE, call_id)
            if rc != Result.OK:  # this thread's last *_async error: read it before anything else
                text = _ffi.take_string(ctypes.c_void_p(error_fn()))
        finally:
            if rc != Result.OK:  # refused at once (or ctypes raised): done will never come
                with _lock:
                    refused = _pending.pop(call_id, None)
                if refused is not None:
                    self._finished()
        if rc != Result.OK:
            raise self._refusal(name, int(rc or 0), text)
        return await future

    @staticmethod
    def _refusal(name: str, rc: int, text: Optional[str]) -> Error:
        """The error of an ``*_async`` call that returned ``rc``: mw_async_error()'s object
        ``{"error": {...}, "result": N}``."""
        try:
            outcome(name, rc, text)
        except Error as e:
            return e
        return InternalError("no_error", f"{name}_async returned {rc} without an error")

    # -- the API --------------------------------------------------------------------------

    async def login(self, username: str, password: str) -> JSONObject:
        """Logs in with a bot password (``action=login``); see :meth:`mwauth.Session.login`.
        Raises :class:`mwauth.LoginError` when the wiki refuses."""
        return await self._call("mw_login", login_body(username, password))  # type: ignore[no-any-return]

    async def request(
        self,
        params: Mapping[str, Any],
        *,
        method: Optional[str] = None,
        token: Optional[str] = None,
        token_param: Optional[str] = None,
        files: Optional[Mapping[str, FileValue]] = None,
    ) -> JSONObject:
        """Calls the Action API as the session's user and returns its response; see
        :meth:`mwauth.Session.request` (``token="csrf"`` for an edit, ``files`` for a multipart
        POST: paths and files opened on disk are streamed by the library, while bytes and other
        file objects are read when the call is made, on the event loop's thread)."""
        body = request_body(params, method, token, token_param, files)
        return await self._call("mw_request", body)  # type: ignore[no-any-return]

    def request_all(
        self,
        params: Mapping[str, Any],
        *,
        method: Optional[str] = None,
        token: Optional[str] = None,
        token_param: Optional[str] = None,
        max_batches: Optional[int] = None,
    ) -> AsyncIterator[JSONObject]:
        """Follows MediaWiki's ``continue`` protocol, lazily: an asynchronous iterator of the
        API's answers, one per batch (not a coroutine: iterate it, do not await it)::

            async for answer in s.request_all({"action": "query", "list": "allpages"}):
                ...

        Each request goes only when its answer is asked for, and no answer is held once it has
        been yielded; see :meth:`mwauth.Session.request_all`. ``params`` and ``max_batches`` are
        checked when this is called (:class:`mwauth.ArgumentError` before any request)."""
        return self._batches(Continuation(params, method, token, token_param, max_batches))

    async def _batches(self, state: Continuation) -> AsyncIterator[JSONObject]:
        while state.body is not None:
            answer = await self._call("mw_request", state.body)
            state.advance(answer)
            yield answer

    async def upload(
        self,
        filename: str,
        path: Union[str, "os.PathLike[str]"],
        *,
        text: Optional[str] = None,
        comment: Optional[str] = None,
        ignorewarnings: bool = False,
        chunk_bytes: int = 1 << 20,
    ) -> JSONObject:
        """Uploads the local file ``path`` as ``File:filename``, in one request or, when larger
        than ``chunk_bytes``, in chunks (``mw_upload_async``); see
        :meth:`mwauth.Session.upload`. Returns the ``"upload"`` object (``"result"``
        ``"Success"`` or ``"Warning"``); a path that is not a readable, non-empty regular file
        raises :class:`mwauth.ArgumentError` before any request."""
        body = upload_body(filename, path, text, comment, ignorewarnings, chunk_bytes)
        return await self._call("mw_upload", body)  # type: ignore[no-any-return]

    async def rest(
        self,
        method: str,
        path: str,
        *,
        query: Optional[Mapping[str, Any]] = None,
        body: Any = None,
    ) -> JSONObject:
        """One call of MediaWiki's REST API (``mw_rest_async``); see
        :meth:`mwauth.Session.rest`. Returns ``{"status", "body"}``; another status than 2xx
        raises :class:`mwauth.HttpError`."""
        request = rest_body(method, path, query, body)
        return await self._call("mw_rest", request)  # type: ignore[no-any-return]

    async def logout(self) -> JSONObject:
        """Logs out (``action=logout``) and forgets the session's cookies, tokens and
        credentials, whatever the wiki answered. Returns ``{}``."""
        return await self._call("mw_logout")  # type: ignore[no-any-return]

    @property
    def info(self) -> JSONObject:
        """What the session knows now, without a request (not a coroutine: it does not wait);
        see :attr:`mwauth.Session.info`."""
        with _lock:
            if self._ptr is None:
                raise closed_error()
            ptr = self._ptr
            self._inflight += 1  # close() waits for it
        out = ctypes.c_void_p()
        try:
            rc = _ffi.lib.mw_session_info(ptr, ctypes.byref(out))
        finally:
            text = _ffi.take_string(out)
            self._finished()
        return outcome("mw_session_info", rc, text)  # type: ignore[no-any-return]

    async def clientlogin_fields(self, messageformat: Optional[str] = None) -> JSONObject:
        """What a login form must ask (``meta=authmanagerinfo``); see
        :meth:`mwauth.Session.clientlogin_fields`."""
        return await self._call("mw_clientlogin_fields", fields_options(messageformat))  # type: ignore[no-any-return]

    async def clientlogin(self, fields: Optional[Mapping[str, Any]] = None, /, **more: Any) -> JSONObject:
        """Starts an interactive login (``action=clientlogin``) with the form's fields, as a dict
        and/or keywords; see :meth:`mwauth.Session.clientlogin`. ``FAIL`` and ``RESTART`` raise
        :class:`mwauth.LoginError`."""
        return await self._call("mw_clientlogin", fields_body(fields, more))  # type: ignore[no-any-return]

    async def clientlogin_step(self, fields: Optional[Mapping[str, Any]] = None, /, **more: Any) -> JSONObject:
        """Continues a clientlogin after ``UI`` or ``REDIRECT``; see
        :meth:`mwauth.Session.clientlogin_step`."""
        return await self._call("mw_clientlogin_step", fields_body(fields, more))  # type: ignore[no-any-return]

    # -- every AuthManager operation (0.2) ------------------------------------------------

    async def auth_fields(self, purpose: str = "login", messageformat: Optional[str] = None) -> JSONObject:
        """What the form of an AuthManager operation (``"login"``, ``"create"``, ``"link"``,
        ``"change"``, ``"remove"``, ``"unlink"``) must ask, with ``"canpreservestate"``; see
        :meth:`mwauth.Session.auth_fields`. Raises :class:`mwauth.StateError`
        (``"not_logged_in"``) for link, change, remove and unlink in a session not logged in."""
        return await self._call("mw_auth_fields", auth_fields_options(purpose, messageformat))  # type: ignore[no-any-return]

    async def auth_begin(
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
        """The first step of an AuthManager operation, its fields as keywords and/or one dict;
        see :meth:`mwauth.Session.auth_begin`. ``FAIL`` and ``RESTART`` raise
        :class:`mwauth.LoginError`, a refused change, remove or unlink :class:`mwauth.ApiError`;
        a bad argument raises :class:`mwauth.ArgumentError` before any request."""
        body = auth_begin_body(purpose, fields, more, preservestate, returnurl, request)
        return await self._call("mw_auth_begin", body)  # type: ignore[no-any-return]

    async def auth_continue(self, fields: Optional[Mapping[str, FieldValue]] = None, /,
                            **more: FieldValue) -> JSONObject:
        """Continues the AuthManager flow in progress after ``UI`` or ``REDIRECT``; see
        :meth:`mwauth.Session.auth_continue`. With no flow in progress it raises
        :class:`mwauth.StateError` (``"no_flow"``)."""
        return await self._call("mw_auth_continue", auth_continue_body(fields, more))  # type: ignore[no-any-return]
