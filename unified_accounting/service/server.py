"""Running the service app with the server settings of ``ua serve``.

uvloop (the event loop) and httptools (the HTTP parser) are used when installed, as they are with
unified-accounting on Linux and macOS: a webhook receiver answering hundreds of deliveries a second
on a small machine spends most of its time in the event loop and HTTP parsing otherwise. The
hardened protocol (:mod:`..http.deadlines`) bounds each request's read time and head size.
"""

from __future__ import annotations

import gc
import socket
from typing import TYPE_CHECKING, Any

import uvicorn

from ..http.deadlines import DEFAULT_LIMIT_CONCURRENCY, DEFAULT_READ_TIMEOUT, hardened_server_options
from .webhook_http import webhook_protocol

if TYPE_CHECKING:
    from ..webhooks.receiver import WebhookReceiver


def server_config(
    app: Any,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    read_timeout: float = DEFAULT_READ_TIMEOUT,
    limit_concurrency: int = DEFAULT_LIMIT_CONCURRENCY,
    webhooks: WebhookReceiver | None = None,
    webhooks_prefix: str = "/webhooks",
    sleep_through_windows: bool = True,
) -> uvicorn.Config:
    """The uvicorn configuration ``ua serve`` runs ``app`` with. ``webhooks``: the receiver that
    ``app`` mounts at ``webhooks_prefix``, whose deliveries the HTTP protocol then answers itself
    (:mod:`.webhook_http`) and whose event loop sleeps through its commit windows
    (``sleep_through_windows``: see :meth:`WebhookReceiver.sleep_through_windows`; the server's
    loop runs nothing else that cannot wait one)."""
    options = hardened_server_options(read_timeout=read_timeout, limit_concurrency=limit_concurrency)
    if webhooks is not None:
        options["http"] = webhook_protocol(options["http"], webhooks, webhooks_prefix)
        webhooks.sleep_through_windows(sleep_through_windows)
    # No access log: a line per webhook delivery would cost more than answering it.
    return uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False, **options)


class _Server(uvicorn.Server):
    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        # What start-up made (modules, the app, the database's engine) lives as long as the server:
        # kept out of the garbage collector's full passes, which would otherwise walk all of it
        # again and again while requests are answered.
        gc.freeze()


def serve_app(app: Any, *, sockets: list[socket.socket] | None = None, **settings: Any) -> None:
    """Serve ``app`` until interrupted, as ``ua serve`` does (``settings``: see :func:`server_config`),
    on ``sockets`` already bound when given (``ua serve`` takes its port before printing anything)."""
    _Server(server_config(app, **settings)).run(sockets=sockets)
