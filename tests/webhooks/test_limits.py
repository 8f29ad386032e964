"""The receiver under abuse: oversized, slow, repeated and malformed (yet signed) deliveries."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.routing import Mount

from unified_accounting.http.deadlines import MAX_HEAD_BYTES, hardened_server_options
from unified_accounting.http.server import serve
from unified_accounting.webhooks.body import BodyLimits
from unified_accounting.webhooks.receiver import WebhookReceiver

from ..sync.providers import CASES, ProviderCase
from .helpers import RecordingQueue, inbox_counts, mount, post
from .test_receiver import sample_body, sign, signature_header

pytestmark = pytest.mark.anyio


@pytest.fixture(params=sorted(CASES))
def case(request: pytest.FixtureRequest) -> ProviderCase:
    return CASES[request.param]


class Trickle:
    """A request body that counts how much of it the server pulled."""

    def __init__(self, size: int, chunk: int = 64 * 1024) -> None:
        self.size, self.chunk, self.pulled = size, chunk, 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while self.pulled < self.size:
            piece = b"x" * min(self.chunk, self.size - self.pulled)
            self.pulled += len(piece)
            yield piece


async def test_a_body_over_the_limit_gets_413_before_it_is_read(
    case: ProviderCase, database_url: str, secret_key: str
) -> None:
    app = case.seeded(invoices=1)
    async with case.client(app, database_url, secret_key) as client:
        receiver = _receiver_app(client, BodyLimits(max_bytes=64 * 1024))
        big = 50 * 1024 * 1024
        declared = Trickle(big)
        answer = await post(receiver, case.name, declared, {"content-length": str(big)})  # type: ignore[arg-type]
        assert answer.status_code == 413 and answer.headers["connection"] == "close"
        assert declared.pulled <= 64 * 1024  # refused on the declared length: nothing read
        undeclared = Trickle(big)  # chunked: no length given, refused as soon as it passes the limit
        answer = await post(receiver, case.name, undeclared, {})  # type: ignore[arg-type]
        assert answer.status_code == 413 and undeclared.pulled <= 2 * 64 * 1024
        assert await inbox_counts(client) == (0, 0)
        # A body under the limit is still received.
        body = sample_body(case, "no-such-company")
        signed = await post(receiver, case.name, body, {signature_header(case): sign(case, app, body)})
        assert signed.status_code == 200


async def test_a_redelivered_body_is_stored_once(
    case: ProviderCase, database_url: str, secret_key: str
) -> None:
    app = case.seeded(invoices=5)
    async with case.client(app, database_url, secret_key) as client:
        conn = await case.connect(client, app)
        queue = RecordingQueue()
        receiver = mount(client, queue)
        body = sample_body(case, conn.company_id)
        # A large, signed body replayed: one stored copy, one job, however often it comes.
        padded = json.dumps({**json.loads(body), "padding": "p" * 500_000}).encode()
        headers = {signature_header(case): sign(case, app, padded)}
        for _ in range(5):
            assert (await post(receiver, case.name, padded, headers)).status_code == 200
        assert await inbox_counts(client) == (1, 1)
        assert len(queue.in_transaction) == 1
        other = sample_body(case, conn.company_id).replace(b'"1"', b'"2"')
        assert (
            await post(receiver, case.name, other, {signature_header(case): sign(case, app, other)})
        ).status_code == 200
        assert (await inbox_counts(client))[0] == 2  # a different body is a different delivery


SIGNED_BUT_UNREADABLE = [
    b"[1, 2, 3]",
    b"[[]]",
    b"[" * 100_000 + b"]" * 100_000,
    b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
    b"null",
    b'"text"',
    b"12",
    b"\xff\xfe\x00",
    b"not json at all",
    b"",
]


@pytest.mark.parametrize("body", SIGNED_BUT_UNREADABLE, ids=lambda b: repr(b[:12]))
async def test_any_signed_body_that_does_not_parse_gets_400(
    case: ProviderCase, body: bytes, database_url: str, secret_key: str
) -> None:
    app = case.seeded(invoices=1)
    async with case.client(app, database_url, secret_key) as client:
        await case.connect(client, app)
        receiver = mount(client, RecordingQueue())
        answer = await post(receiver, case.name, body, {signature_header(case): sign(case, app, body)})
        assert answer.status_code == 400
        assert await inbox_counts(client) == (0, 0)


@pytest.mark.parametrize("bad_id", ["9" * 300, "12\\u00003"], ids=["too-long", "nul-character"])
async def test_ids_the_store_cannot_hold_get_400(
    case: ProviderCase, bad_id: str, database_url: str, secret_key: str
) -> None:
    """Too long for their column, or holding a NUL character (JSON escapes it; PostgreSQL text
    cannot hold it): refused once with 400, not answered 500 and retried forever."""
    app = case.seeded(invoices=1)
    async with case.client(app, database_url, secret_key) as client:
        conn = await case.connect(client, app)
        receiver = mount(client, RecordingQueue())
        body = sample_body(case, conn.company_id)
        body = body.replace(b'"id": "1"', f'"id": "{bad_id}"'.encode()).replace(
            b'"resourceId": "11111111-1111-1111-1111-111111111111"', f'"resourceId": "{bad_id}"'.encode()
        )
        assert bad_id.encode() in body
        answer = await post(receiver, case.name, body, {signature_header(case): sign(case, app, body)})
        assert answer.status_code == 400
        assert await inbox_counts(client) == (0, 0)


def _slow_request(url: str, head: bytes, trickle: int = 200) -> bytes:
    """Send ``head``, then up to ``trickle`` bytes one at a time (about 20 a second); return what
    the server sent before closing the connection. A server still holding it open afterwards
    fails the test."""
    host, port = url.removeprefix("http://").split(":")
    received = b""
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(head)
        sock.settimeout(0.05)
        for _ in range(trickle):
            try:
                sock.sendall(b"{")
                chunk = sock.recv(65536)
            except TimeoutError:
                continue
            except (BrokenPipeError, ConnectionResetError):
                return received
            if not chunk:
                return received
            received += chunk
        sock.settimeout(5)
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except ConnectionResetError:
            return received
        except TimeoutError:
            kept = f"the server kept a trickling client connected (sent {received[:80]!r})"
            raise AssertionError(kept) from None
    return received


def _receiver_app(client: Any, limits: BodyLimits) -> Any:
    receiver = WebhookReceiver(client, RecordingQueue(), limits=limits)
    return Starlette(routes=[Mount("/webhooks", app=receiver.app)])


@pytest.mark.integration
async def test_a_slow_body_is_cut_off_and_the_connection_closed(
    case: ProviderCase, database_url: str, secret_key: str
) -> None:
    """A sender trickling its body is answered 408 and disconnected (on a real loopback socket)."""
    app = case.seeded(invoices=1)
    async with case.client(app, database_url, secret_key) as client:
        receiver = _receiver_app(client, BodyLimits(read_timeout=0.5))
        with serve(receiver) as url:
            head = (
                f"POST /webhooks/{case.name} HTTP/1.1\r\nHost: receiver\r\n"
                "Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n"
            ).encode()
            answer = _slow_request(url, head)
        assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
        assert b"connection: close" in answer.lower()
        assert await inbox_counts(client) == (0, 0)


@pytest.mark.integration
@pytest.mark.parametrize("parser", ["httptools", "h11"])
def test_the_served_app_drops_a_client_whose_request_head_never_ends(parser: str) -> None:
    """``ua serve``'s server settings: a request head trickled byte by byte is cut off too."""

    async def app(scope: Any, receive: Any, send: Any) -> None:  # never reached
        raise AssertionError("a request whose head never completed reached the application")

    with serve(app, **hardened_server_options(read_timeout=0.5, parser=parser)) as url:
        # A valid head so far (the trickled bytes are a header's value): only the deadline ends it.
        answer = _slow_request(url, b"POST /webhooks/xero HTTP/1.1\r\nX-Slow: ")
    assert answer == b""  # closed without an answer: there was no request to answer


@pytest.mark.integration
@pytest.mark.parametrize("parser", ["httptools", "h11"])
def test_the_served_app_refuses_an_oversized_request_head(parser: str) -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:  # never reached
        raise AssertionError("a request with an oversized head reached the application")

    with serve(app, **hardened_server_options(parser=parser)) as url:
        host, port = url.removeprefix("http://").split(":")
        head = b"POST /webhooks/xero HTTP/1.1\r\nX-Big: " + b"a" * (MAX_HEAD_BYTES + 1024)
        with socket.create_connection((host, int(port)), timeout=5) as sock:
            sock.sendall(head)
            answer = b""
            while chunk := sock.recv(65536):  # the server answers, then closes
                answer += chunk
    assert answer.startswith(b"HTTP/1.1 4"), answer[:100]


@pytest.mark.integration
@pytest.mark.parametrize("parser", ["httptools", "h11"])
def test_the_served_app_keeps_a_slow_application_answering(parser: str) -> None:
    """The read deadline bounds receiving a request, not the application's time to answer it."""

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        while (await receive()).get("more_body"):
            pass
        await asyncio.sleep(1.0)  # twice the read deadline
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
        await send({"type": "http.response.body", "body": b"ok"})

    with serve(app, **hardened_server_options(read_timeout=0.5, parser=parser)) as url:
        host, port = url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=5) as sock:
            for _ in range(2):  # and again on the same (kept-alive) connection
                sock.sendall(b"POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\n{}")
                answer = b""
                while not answer.endswith(b"ok"):
                    chunk = sock.recv(65536)
                    assert chunk, f"closed after {answer!r}"
                    answer += chunk
                assert answer.startswith(b"HTTP/1.1 200")


def _answered(sock: socket.socket, request: bytes) -> bytes:
    sock.sendall(request)
    answer = b""
    while not answer.endswith(b"ok"):
        chunk = sock.recv(65536)
        assert chunk, f"closed after {answer!r}"
        answer += chunk
    return answer


async def _ok(scope: Any, receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
    await send({"type": "http.response.body", "body": b"ok"})


REQUEST = b"POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\n{}"


@pytest.mark.integration
def test_an_idle_keep_alive_connection_is_closed_after_the_keep_alive_timeout() -> None:
    """uvicorn's keep-alive timeout, kept by the deadlines' shared timer (httptools)."""
    with serve(_ok, timeout_keep_alive=0.3, **hardened_server_options(read_timeout=5)) as url:
        host, port = url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=5) as sock:
            assert _answered(sock, REQUEST).startswith(b"HTTP/1.1 200")
            assert sock.recv(65536) == b""  # closed by the server, well before the read deadline


@pytest.mark.integration
def test_a_busy_connection_is_kept_and_its_next_request_gets_a_deadline_of_its_own() -> None:
    """Requests answered one after another keep the connection past the first deadlines (each
    answer moves them later); a request head that then never ends is cut off (httptools)."""
    with serve(_ok, timeout_keep_alive=0.3, **hardened_server_options(read_timeout=0.5)) as url:
        host, port = url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=5) as sock:
            for _ in range(12):  # about 1.2 s: past both first deadlines, never idle for 0.3 s
                assert _answered(sock, REQUEST).startswith(b"HTTP/1.1 200")
                time.sleep(0.1)
            # Then a head that never ends (its bytes keep coming, so the connection is not
            # idle): the read deadline of this request cuts it off.
            sock.sendall(b"POST /x HTTP/1.1\r\nX-Slow: ")
            sock.settimeout(0.05)
            closed = False
            for _ in range(100):
                try:
                    sock.sendall(b"a")
                    closed = sock.recv(65536) == b""
                except TimeoutError:
                    continue
                except (BrokenPipeError, ConnectionResetError):
                    closed = True
                if closed:
                    break
            assert closed
