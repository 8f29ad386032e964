"""Webhook deliveries answered by the HTTP protocol itself, without an ASGI request cycle.

A delivery is small and its answer is an empty ``200``; what a delivery costs is mostly the server
around it. uvicorn gives each request an ASGI cycle (a scope, a task, an event, ``receive`` and
``send`` messages): at 200 deliveries a second on a small machine that alone costs about twice
the CPU of reading, checking and storing the delivery. So ``ua serve``'s HTTP protocol (the
hardened httptools one, :mod:`..http.deadlines`) hands ``POST /webhooks/{provider}`` straight to
the receiver: the body is collected as it is parsed, checked (signature, parse) when complete, and
once it is committed a prepared answer is written. No task per request: the answer is written by
the callback of the commit's future.

Everything the receiver's ASGI app guarantees holds here too: a body declaring or growing past
the size limit gets ``413`` and the connection is closed; an unknown provider ``404`` and one
without a secret ``401``, both before the body is read and closing the connection; ``401`` bad
signature, ``400`` unreadable, ``500`` not stored (the provider retries); ``200`` only once the
delivery is committed. The protocol's read deadline bounds how long the request may take to
arrive. Any other request — and a delivery that does not fit this path (``Expect:
100-continue``, an escaped path, a request pipelined behind an unanswered one, the server at its
concurrency limit) — goes through the ASGI app as before, which answers it the same way.
"""

from __future__ import annotations

import http
import logging
from typing import TYPE_CHECKING, Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from ..http.deadlines import DeadlineHttpToolsProtocol
from ..webhooks.inbox import Delivery

if TYPE_CHECKING:
    from ..webhooks.receiver import WebhookReceiver

logger = logging.getLogger(__name__)


def _head(status: int, close: bool) -> bytes:
    phrase = http.HTTPStatus(status).phrase
    connection = "connection: close\r\n" if close else ""
    return f"HTTP/1.1 {status} {phrase}\r\ncontent-length: 0\r\n{connection}".encode("latin-1")


#: Prepared answers (status line and headers up to the server's default ones), by (status, close).
_HEADS = {
    (status, close): _head(status, close)
    for status in (200, 400, 401, 404, 413, 500)
    for close in (False, True)
}


#: The server's default headers (the date, changed once a second) as bytes, and their list.
_default_heads: list[Any] = [None, b"\r\n"]


def _default_head(headers: list[tuple[bytes, bytes]]) -> bytes:
    """``headers`` (uvicorn's default headers, a new list whenever they change) as the end of an
    answer's head, built once per list."""
    if _default_heads[0] is not headers:
        lines = [name + b": " + value + b"\r\n" for name, value in headers]
        _default_heads[:] = [headers, b"".join(lines) + b"\r\n"]
    return _default_heads[1]  # type: ignore[no-any-return]


class _Delivery:
    """One delivery in progress on a connection; it stands in for uvicorn's request cycle (the
    attributes the protocol and the server read: ``response_complete``, ``keep_alive``, ...) and,
    while it is being stored, for a task in the server's tasks (counted by the concurrency limit,
    cancelled by a shutdown that runs out of time)."""

    __slots__ = (
        "body",
        "disconnected",
        "keep_alive",
        "message_event",
        "more_body",
        "name",
        "protocol",
        "refused",
        "response_complete",
        "size",
    )

    def __init__(self, protocol: WebhookHttpToolsProtocol, name: str, keep_alive: bool) -> None:
        self.protocol = protocol
        self.name = name
        self.keep_alive = keep_alive
        self.body: list[bytes] = []
        self.size = 0
        self.refused = False  # answered before its body ended: the rest of it is ignored
        self.response_complete = False
        self.disconnected = False
        self.more_body = True
        self.message_event = _NOT_AN_EVENT

    def stored(self, error: BaseException | None) -> None:
        """The receiver's word on this delivery: committed (``None``), or not."""
        protocol = self.protocol
        protocol.tasks.discard(self)
        if error is not None:
            logger.error(
                "webhook for %s could not be stored: answered 500, the provider retries",
                self.name,
                exc_info=error,
            )
        protocol._answer(self, 500 if error is not None else 200)

    def cancel(self, msg: str | None = None) -> None:
        """The server stops and will not wait: the connection is closed unanswered (the provider
        retries; the delivery may still be committed, and a retry of it is stored once). It
        stays among the server's tasks until the receiver settles it: uvicorn cancels them while
        iterating over them."""
        self.protocol.transport.close()


class _NoEvent:
    """What uvicorn sets when a connection is lost: nobody waits on it here."""

    __slots__ = ()

    def set(self) -> None:
        pass


_NOT_AN_EVENT = _NoEvent()


class WebhookHttpToolsProtocol(DeadlineHttpToolsProtocol):
    """The hardened httptools protocol, answering webhook deliveries itself (see the module
    docstring). ``receiver`` and ``prefix`` are set on a subclass by :func:`webhook_protocol`."""

    receiver: WebhookReceiver
    prefix: bytes = b"/webhooks/"
    _delivery: _Delivery | None = None

    def on_message_begin(self) -> None:
        # uvicorn's request state, except its ASGI scope: a delivery answered here needs none,
        # so it is built once the head shows the request is not one (see on_headers_complete).
        self._delivery = None
        self._receiving, self._head_done = True, False
        self.url = b""
        self.expect_100_continue = False
        self.headers = []

    def _begin_asgi_request(self) -> None:
        """uvicorn's ``on_message_begin`` (its scope), keeping the head read so far."""
        url, headers, expect_100_continue = self.url, self.headers, self.expect_100_continue
        HttpToolsProtocol.on_message_begin(self)
        self.url, self.expect_100_continue = url, expect_100_continue
        self.headers.extend(headers)  # the list the scope holds

    def on_headers_complete(self) -> None:
        name = self._fast_path_name()
        if name is None:
            self._begin_asgi_request()
            super().on_headers_complete()
            return
        self._head_done = True
        keep_alive = self.parser.get_http_version() != "1.0" and self.parser.should_keep_alive()
        delivery = self._delivery = _Delivery(self, name, keep_alive)
        self.cycle = delivery  # type: ignore[assignment]
        refused = self.receiver.refuse_before_body(name)
        if refused is None:
            refused = self._refuse_declared_length()
        if refused is not None:
            self._refuse(delivery, refused)

    def _fast_path_name(self) -> str | None:
        """The provider of a delivery this protocol answers itself, or ``None`` (the ASGI app's)."""
        url = self.url
        if not url.startswith(self.prefix) or self.parser.get_method() != b"POST" or self.root_path:
            return None
        name = url[len(self.prefix) :]
        if not name or b"/" in name or b"?" in name or b"%" in name or not name.isascii():
            return None
        if self.expect_100_continue or self.parser.should_upgrade():
            return None
        if self.cycle is not None and not self.cycle.response_complete:
            return None  # pipelined behind an unanswered request: uvicorn queues it
        if self.limit_concurrency is not None and (
            len(self.connections) >= self.limit_concurrency or len(self.tasks) >= self.limit_concurrency
        ):
            return None  # uvicorn answers 503
        return name.decode("ascii")

    def _refuse_declared_length(self) -> int | None:
        for key, value in self.headers:
            if key == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    return 400
                return 413 if declared > self.receiver.limits.max_bytes else None
        return None

    def on_body(self, body: bytes) -> None:
        delivery = self._delivery
        if delivery is None:
            super().on_body(body)
            return
        if delivery.refused:
            return
        delivery.size += len(body)
        if delivery.size > self.receiver.limits.max_bytes:
            self._refuse(delivery, 413)
            return
        delivery.body.append(body)

    def on_message_complete(self) -> None:
        delivery = self._delivery
        if delivery is None:
            super().on_message_complete()
            return
        self._receiving = False
        delivery.more_body = False
        if delivery.refused:
            return
        parts = delivery.body
        body = parts[0] if len(parts) == 1 else b"".join(parts)
        delivery.body = []
        headers = {key.decode("latin-1"): value.decode("latin-1") for key, value in self.headers}
        checked = self.receiver.check(delivery.name, headers, body)
        if not isinstance(checked, Delivery):
            self._answer(delivery, checked)
            return
        self.tasks.add(delivery)  # type: ignore[arg-type]  # counted by the concurrency limit and shutdown
        self.receiver.store_then(checked, delivery.stored)

    def _refuse(self, delivery: _Delivery, status: int) -> None:
        """Answer before the body ended, and close: the rest of it must not be read as a request."""
        delivery.refused = True
        if status == 413:
            logger.warning(
                "webhook for %s refused: body larger than %d bytes",
                delivery.name,
                self.receiver.limits.max_bytes,
            )
        delivery.keep_alive = False
        self._answer(delivery, status)

    def _answer(self, delivery: _Delivery, status: int) -> None:
        if delivery.response_complete:
            return
        delivery.response_complete = True
        if self.transport.is_closing() or delivery.disconnected:
            return
        close = not delivery.keep_alive
        self.transport.write(_HEADS[(status, close)] + _default_head(self.server_state.default_headers))
        if self.access_log and self.access_logger.isEnabledFor(logging.INFO):
            self.access_logger.info(
                '%s - "POST %s HTTP/1.1" %d',
                self.client[0] if self.client else "-",
                self.url.decode("ascii"),
                status,
            )
        if close:
            self.transport.close()
            return
        self.on_response_complete()  # the next request, or the keep-alive and read deadlines


def webhook_protocol(base: type[Any], receiver: WebhookReceiver, prefix: str) -> type[Any]:
    """``base`` (a :func:`..http.deadlines.deadline_protocol` class on httptools) answering
    ``POST {prefix}/{provider}`` with ``receiver`` itself; another ``base`` is returned as is."""
    if not issubclass(base, DeadlineHttpToolsProtocol):
        return base
    attributes = {"receiver": receiver, "prefix": prefix.rstrip("/").encode("ascii") + b"/"}
    return type(WebhookHttpToolsProtocol.__name__, (WebhookHttpToolsProtocol, base), attributes)
