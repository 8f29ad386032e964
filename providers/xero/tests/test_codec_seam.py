"""Every read of Xero records decodes through ``provider.codec`` (the ``Codec`` seam)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

import pytest
from unified_accounting_xero.emulator import create_emulator

from unified_accounting.models import Customer

from .test_provider import Env, connect

pytestmark = pytest.mark.anyio


class CodecSpy:
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
async def env() -> AsyncIterator[Env]:
    async for value in connect(create_emulator()):
        yield value


async def test_reads_and_change_reads_decode_through_the_codec(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    provider = env.conn.provider
    spy = CodecSpy(provider.codec)
    monkeypatch.setattr(provider, "codec", spy)
    since = env.emulator.now()
    env.emulator.advance(5)
    created = await env.conn.customers.create(Customer(display_name="Seam Co"))
    assert spy.calls == [("decode", "customer", "parsed")]  # the write's answer
    spy.calls.clear()
    fetched = await env.conn.customers.get(str(created.id), include_raw=True)
    assert fetched.raw is not None and fetched.raw["ContactID"] == created.id
    assert spy.calls == [("decode", "customer", "parsed")]
    spy.calls.clear()
    assert created.id in {c.id for c in await env.conn.customers.list().to_list()}
    assert spy.calls == [("decode_page", "customer", "rows")]
    spy.calls.clear()
    changes = await provider.read_change_feed(env.conn.session(), ["customer"], since)
    assert [c.id for c in changes.records["customer"]] == [created.id]
    assert spy.calls == [("decode_page", "customer", "rows")]
