"""``conn.attachments`` against the Ledgerly emulator: limits checked before HTTP, files kept byte for
byte, uploads re-read from their source on a retry, downloads in chunks."""

from __future__ import annotations

import io
import os
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from ua_ledgerly.emulator import LedgerlyEmulator

from unified_accounting import (
    Attachment,
    Customer,
    Invoice,
    LineItem,
    NotFound,
    PermissionDenied,
    UnsupportedOperation,
    ValidationFailed,
)
from unified_accounting.client.async_client import AsyncConnection
from unified_accounting.http.bodies import CHUNK

from .conftest import RecordedSleeps, connect, make_client

pytestmark = pytest.mark.anyio

#: Bytes no text codec round-trips: every byte value, repeated.
BINARY = bytes(range(256)) * 4


async def new_invoice(conn: AsyncConnection) -> str:
    customer = await conn.customers.create(Customer(display_name="Attach Ltd"))
    invoice = await conn.invoices.create(
        Invoice(
            customer_id=str(customer.id),
            line_items=[LineItem(description="Work", quantity=Decimal(1), unit_price=Decimal("5.00"))],
        )
    )
    return str(invoice.id)


async def downloaded(conn: AsyncConnection, attachment: Attachment | str) -> list[bytes]:
    return [chunk async for chunk in conn.attachments.download(attachment)]


def api_calls_since(emulator: LedgerlyEmulator, before: int) -> list[str]:
    return [f"{r.method} {r.path}" for r in emulator.requests_to("/v1/")[before:]]


async def test_upload_list_download_delete_round_trip(
    conn: AsyncConnection, emulator: LedgerlyEmulator
) -> None:
    invoice = await new_invoice(conn)
    uploaded = await conn.attachments.upload(
        "invoice", invoice, BINARY, file_name="receipt.pdf", note="Signed copy", include_online=True
    )
    assert uploaded.id and uploaded.row_version is not None
    assert (uploaded.file_name, uploaded.content_type, uploaded.size) == (
        "receipt.pdf",
        "application/pdf",
        len(BINARY),
    )
    assert (uploaded.resource, uploaded.record_id) == ("invoice", invoice)
    assert (uploaded.note, uploaded.include_online) == ("Signed copy", True)

    (listed,) = await conn.attachments.list("invoice", invoice)
    assert listed.id == uploaded.id
    assert b"".join(await downloaded(conn, listed)) == BINARY
    assert b"".join(await downloaded(conn, str(listed.id))) == BINARY  # Ledgerly needs only the id

    await conn.attachments.delete(uploaded)
    assert await conn.attachments.list("invoice", invoice) == []
    with pytest.raises(NotFound):
        await downloaded(conn, uploaded)


async def test_the_download_link_is_never_shown(conn: AsyncConnection) -> None:
    invoice = await new_invoice(conn)
    uploaded = await conn.attachments.upload("invoice", invoice, b"hello", file_name="a.txt")
    assert uploaded.download_url and uploaded.download_url.startswith("https://files.ledgerly.example/")
    assert uploaded.download_url not in repr(uploaded)
    assert uploaded.download_url not in str(uploaded)


async def test_a_large_file_goes_from_disk_and_comes_back_in_chunks(
    conn: AsyncConnection, tmp_path: Path
) -> None:
    invoice = await new_invoice(conn)
    content = os.urandom(5 * CHUNK + 123)
    source = tmp_path / "scan.png"
    source.write_bytes(content)
    uploaded = await conn.attachments.upload("invoice", invoice, source)
    assert (uploaded.file_name, uploaded.content_type, uploaded.size) == (
        "scan.png",
        "image/png",
        len(content),
    )

    chunks = await downloaded(conn, uploaded)
    assert len(chunks) > 1 and max(map(len, chunks)) <= CHUNK
    assert b"".join(chunks) == content
    target = tmp_path / "out" / "copy.png"
    target.parent.mkdir()
    assert await conn.attachments.download_to(uploaded, target) == len(content)
    assert target.read_bytes() == content
    assert os.listdir(target.parent) == ["copy.png"]  # no partial file left


async def test_a_failed_download_leaves_no_file(conn: AsyncConnection, tmp_path: Path) -> None:
    target = tmp_path / "never.pdf"
    with pytest.raises(NotFound):
        await conn.attachments.download_to("att-404", target)
    assert os.listdir(tmp_path) == []


async def test_file_objects_seekable_or_not(conn: AsyncConnection) -> None:
    invoice = await new_invoice(conn)

    class Pipe(io.RawIOBase):
        """A stream that cannot seek (a socket, a pipe)."""

        def __init__(self, data: bytes) -> None:
            self._data = io.BytesIO(data)

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: Any) -> int:
            chunk = self._data.read(len(buffer))
            buffer[: len(chunk)] = chunk
            return len(chunk)

    from_pipe = await conn.attachments.upload("invoice", invoice, Pipe(BINARY), file_name="pipe.csv")
    seekable = io.BytesIO(b"skip me|" + BINARY)
    seekable.seek(8)  # read from where the caller left the stream
    from_file = await conn.attachments.upload("invoice", invoice, seekable, file_name="file.txt")
    assert b"".join(await downloaded(conn, from_pipe)) == BINARY
    assert b"".join(await downloaded(conn, from_file)) == BINARY


class FailFirstUpload(httpx.AsyncBaseTransport):
    """Reads the first upload's whole body, then answers 503 (as a proxy might): the retry must send
    the file again from its start."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.bodies: list[tuple[str | None, bytes]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and request.url.path.endswith("/attachments"):
            body = b"".join([part async for part in request.stream])  # type: ignore[union-attr]
            self.bodies.append((request.headers.get("idempotency-key"), body))
            if len(self.bodies) == 1:
                return httpx.Response(503, json={"error": {"code": "unavailable", "message": "try again"}})
            request.stream = httpx.ByteStream(body)
        return await self.inner.handle_async_request(request)


async def test_an_upload_retried_after_a_5xx_is_sent_whole_again_and_stored_once(
    ledgerly_app: Any, emulator: LedgerlyEmulator, sleeps: RecordedSleeps, tmp_path: Path
) -> None:
    transport = FailFirstUpload(httpx.ASGITransport(app=ledgerly_app))
    async with make_client(ledgerly_app, sleeps, transport=transport) as client:
        conn = await connect(client, emulator)
        invoice = await new_invoice(conn)
        source = tmp_path / "retry.pdf"
        source.write_bytes(BINARY * 50)
        uploaded = await conn.attachments.upload("invoice", invoice, source)
        (first_key, first), (second_key, second) = transport.bodies
        assert first_key and first_key == second_key
        assert first == second and BINARY * 50 in first
        assert len(sleeps) == 1
        assert [a.id for a in await conn.attachments.list("invoice", invoice)] == [uploaded.id]
        assert b"".join(await downloaded(conn, uploaded)) == BINARY * 50


class Endless(io.RawIOBase):
    """A stream that never ends."""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        buffer[:] = b"y" * len(buffer)
        return len(buffer)


async def test_too_large_a_file_is_refused_naming_the_limit_before_http(
    conn: AsyncConnection, emulator: LedgerlyEmulator
) -> None:
    invoice = await new_invoice(conn)
    before = len(emulator.requests_to("/v1/"))
    with pytest.raises(ValidationFailed) as caught:
        await conn.attachments.upload("invoice", invoice, b"x" * 5_000_001, file_name="big.pdf")
    (issue,) = caught.value.issues
    assert issue.field == "content"
    assert "5 MB" in issue.message and "5,000,000 bytes" in issue.message
    # A stream is read only up to the limit to find out.
    with pytest.raises(ValidationFailed, match="more than 5 MB"):
        await conn.attachments.upload("invoice", invoice, Endless(), file_name="endless.txt")
    assert api_calls_since(emulator, before) == []


async def test_a_refused_type_lists_the_accepted_ones_before_http(
    conn: AsyncConnection, emulator: LedgerlyEmulator
) -> None:
    invoice = await new_invoice(conn)
    before = len(emulator.requests_to("/v1/"))
    with pytest.raises(ValidationFailed) as caught:
        await conn.attachments.upload("invoice", invoice, b"MZ", file_name="setup.exe")
    (issue,) = caught.value.issues
    assert issue.field == "content_type"
    assert "application/pdf" in issue.message and "image/png" in issue.message
    with pytest.raises(ValidationFailed, match="text/html"):
        await conn.attachments.upload(
            "invoice", invoice, b"<p>", file_name="a.txt", content_type="Text/HTML; charset=utf-8"
        )
    assert api_calls_since(emulator, before) == []


async def test_records_that_hold_no_files_and_bad_names_are_refused_before_http(
    conn: AsyncConnection, emulator: LedgerlyEmulator
) -> None:
    customer = await conn.customers.create(Customer(display_name="No files"))
    invoice = await new_invoice(conn)
    before = len(emulator.requests_to("/v1/"))
    with pytest.raises(ValidationFailed) as caught:
        await conn.attachments.upload("customer", str(customer.id), b"x", file_name="a.txt")
    assert caught.value.issues[0].field == "resource"
    assert "invoice, payment" in caught.value.issues[0].message
    for name in ("../a.txt", "a/b.txt", "..", "a\x00.txt", ""):
        with pytest.raises(ValidationFailed) as caught:
            await conn.attachments.upload("invoice", invoice, b"x", file_name=name)
        assert caught.value.issues[0].field == "file_name", name
    with pytest.raises(ValidationFailed) as caught:
        await conn.attachments.upload("invoice", invoice, io.BytesIO(b"x"))
    assert caught.value.issues[0].field == "file_name"
    with pytest.raises(ValidationFailed) as caught:
        await conn.attachments.upload("invoice", invoice, "/nonexistent/file.pdf")
    assert caught.value.issues[0].field == "content"
    assert api_calls_since(emulator, before) == []


async def test_a_full_record_is_refused_after_counting_its_files(
    conn: AsyncConnection, emulator: LedgerlyEmulator
) -> None:
    invoice = await new_invoice(conn)
    for n in range(5):
        await conn.attachments.upload("invoice", invoice, b"%d" % n, file_name=f"{n}.txt")
    before = len(emulator.requests_to("/v1/"))
    with pytest.raises(ValidationFailed) as caught:
        await conn.attachments.upload("invoice", invoice, b"6", file_name="6.txt")
    assert caught.value.issues[0].field == "record_id"
    assert "at most 5" in caught.value.issues[0].message
    assert api_calls_since(emulator, before) == [f"GET /v1/companies/c-1/invoices/{invoice}/attachments"]


async def test_a_provider_without_attachments_refuses_every_call(
    conn: AsyncConnection, monkeypatch: Any
) -> None:
    monkeypatch.setattr(type(conn.provider), "attachment_limits", None)
    assert conn.attachments.limits is None
    with pytest.raises(UnsupportedOperation):
        await conn.attachments.upload("invoice", "inv-1", b"x", file_name="a.txt")
    with pytest.raises(UnsupportedOperation):
        await conn.attachments.list("invoice", "inv-1")
    with pytest.raises(UnsupportedOperation):
        conn.attachments.download("att-1")


async def test_downloads_are_retried_before_the_body_starts_and_refresh_the_token(
    conn: AsyncConnection, emulator: LedgerlyEmulator, sleeps: RecordedSleeps
) -> None:
    invoice = await new_invoice(conn)
    uploaded = await conn.attachments.upload("invoice", invoice, BINARY, file_name="r.pdf")
    emulator.fail_next(1, 503)
    assert b"".join(await downloaded(conn, uploaded)) == BINARY
    assert len(sleeps) == 1
    emulator.expire_access_tokens()
    assert b"".join(await downloaded(conn, uploaded)) == BINARY
    assert emulator.refresh_calls == 1


def test_a_blocking_download_left_half_read_is_closed(ledgerly_app: Any, emulator: LedgerlyEmulator) -> None:
    from unified_accounting import Client

    from .conftest import LEDGERLY

    issued = emulator.issue_tokens()
    content = os.urandom(3 * CHUNK)
    with Client(
        providers={"ledgerly": LEDGERLY}, transport=httpx.ASGITransport(app=ledgerly_app), environ={}
    ) as client:
        conn = client.import_connection(
            consumer_id="acme", provider="ledgerly", company_id="c-1", access_token=issued["access_token"]
        )
        customer = conn.customers.create(Customer(display_name="Blocking files"))
        invoice = conn.invoices.create(
            Invoice(
                customer_id=str(customer.id),
                line_items=[LineItem(description="x", quantity=Decimal(1), unit_price=Decimal(1))],
            )
        )
        uploaded = conn.attachments.upload("invoice", str(invoice.id), content, file_name="big.png")
        assert b"".join(conn.attachments.download(uploaded)) == content
        with conn.attachments.download(uploaded) as chunks:
            assert next(chunks) == content[:CHUNK]
        with pytest.raises(StopIteration):
            next(chunks)  # closed: nothing more comes
        assert [a.id for a in conn.attachments.list("invoice", str(invoice.id))] == [uploaded.id]


async def test_a_signed_link_is_fetched_without_the_token_or_the_rate_limit(
    conn: AsyncConnection, emulator: LedgerlyEmulator
) -> None:
    """What QuickBooks needs for TempDownloadUri: the bearer token must never go to the link's host."""
    invoice = await new_invoice(conn)
    uploaded = await conn.attachments.upload("invoice", invoice, BINARY, file_name="s.pdf")
    assert uploaded.download_url
    session = conn.session()
    provider = conn.provider
    window = provider.rate_limits.windows[0]
    used = provider.limiter.used(provider.limit_key(session), window)
    async with session.stream("GET", uploaded.download_url, authenticated=False) as response:
        body = b"".join([chunk async for chunk in response.aiter_bytes()])
    assert body == BINARY
    (fetched,) = emulator.requests_to("/t/")
    assert fetched.auth_scheme is None
    assert provider.limiter.used(provider.limit_key(session), window) == used
    emulator.advance(16 * 60)
    with pytest.raises(PermissionDenied):
        async with session.stream("GET", uploaded.download_url, authenticated=False):
            pass
    with pytest.raises(ValidationFailed):
        async with session.stream("GET", "files/relative", authenticated=False):
            pass
