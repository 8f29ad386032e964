"""Every read of QuickBooks records decodes through ``provider.codec`` (the ``Codec`` seam), the
fast invoice page path included."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from datetime import timedelta
from typing import Any

import pytest

from .test_api import Env, make_env, new_invoice

pytestmark = pytest.mark.anyio


class CodecSpy:
    """Wraps a codec and notes each decode: the method, the resource and the body's kind."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.calls: list[tuple[str, str, str]] = []

    @staticmethod
    def _kind(body: Any) -> str:
        if isinstance(body, bytes):
            return "bytes"
        return "rows" if isinstance(body, list) else "parsed" if isinstance(body, Mapping) else "other"

    def decode(self, resource: str, payload: Any, include_raw: bool = False) -> Any:
        self.calls.append(("decode", resource, self._kind(payload)))
        return self.inner.decode(resource, payload, include_raw)

    def decode_page(self, resource: str, body: Any, include_raw: bool = False) -> Any:
        self.calls.append(("decode_page", resource, self._kind(body)))
        return self.inner.decode_page(resource, body, include_raw)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


@pytest.fixture
async def env(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Env]:
    made = await make_env()
    yield made
    await made.client.aclose()


@pytest.fixture
def spy(env: Env, monkeypatch: pytest.MonkeyPatch) -> CodecSpy:
    wrapped = CodecSpy(env.provider.codec)
    monkeypatch.setattr(env.provider, "codec", wrapped)
    return wrapped


async def test_get_list_and_get_many_decode_through_the_codec(env: Env, spy: CodecSpy) -> None:
    invoice = await new_invoice(env)
    spy.calls.clear()
    fetched = await env.conn.invoices.get(str(invoice.id), include_raw=True)
    assert fetched.raw is not None and fetched.raw["Id"] == invoice.id
    assert spy.calls == [("decode", "invoice", "parsed")]
    spy.calls.clear()
    listed = await env.conn.invoices.list().to_list()
    assert [i.id for i in listed] == [invoice.id]
    assert spy.calls == [("decode_page", "invoice", "bytes")]  # the bytes the fast path reads
    spy.calls.clear()
    found = await env.provider.get_many(env.conn.session(), "invoice", [str(invoice.id)])
    assert [i.id for i in found.items] == [invoice.id]
    assert spy.calls == [("decode_page", "invoice", "bytes")]


async def test_change_reads_decode_through_the_codec(env: Env, spy: CodecSpy) -> None:
    since = env.emulator.now() - timedelta(seconds=1)
    invoice = await new_invoice(env)
    spy.calls.clear()
    changes = await env.provider.read_change_feed(env.conn.session(), ["invoice"], since)
    assert [i.id for i in changes.records["invoice"]] == [invoice.id]
    assert spy.calls == [("decode_page", "invoice", "rows")]  # a CDC block's rows
    spy.calls.clear()
    long_ago = env.emulator.now() - timedelta(days=45)
    changes = await env.provider.read_change_feed(env.conn.session(), ["invoice"], long_ago)
    assert [i.id for i in changes.records["invoice"]] == [invoice.id]
    assert spy.calls == [("decode_page", "invoice", "parsed")]  # a query answer, beyond CDC


async def test_write_answers_decode_through_the_codec(env: Env, spy: CodecSpy) -> None:
    invoice = await new_invoice(env)
    assert ("decode", "invoice", "parsed") in spy.calls
    spy.calls.clear()
    await env.conn.invoices.update(str(invoice.id), {"memo": "seam"})
    assert spy.calls[-1] == ("decode", "invoice", "parsed")
