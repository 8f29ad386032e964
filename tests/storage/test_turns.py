"""The turns of a process's SQLite writers: one at a time, short transactions before bulk writes."""

from __future__ import annotations

import asyncio

import pytest

from unified_accounting.storage.turns import WriterTurns

pytestmark = pytest.mark.anyio


async def test_a_short_transaction_goes_before_bulk_writes_queued_earlier() -> None:
    turns = WriterTurns()
    order: list[str] = []

    async def write(name: str, *, bulk: bool) -> None:
        async with turns.turn(bulk=bulk):
            order.append(name)
            await asyncio.sleep(0)

    async with turns.turn(bulk=True):  # a page being written
        waiting = [
            asyncio.ensure_future(write("page 2", bulk=True)),
            asyncio.ensure_future(write("take 1", bulk=False)),
            asyncio.ensure_future(write("page 3", bulk=True)),
            asyncio.ensure_future(write("take 2", bulk=False)),
        ]
        await asyncio.sleep(0)
        assert turns.locked()
    await asyncio.gather(*waiting)
    assert order == ["take 1", "take 2", "page 2", "page 3"]
    assert not turns.locked()


async def test_a_writer_cancelled_while_waiting_or_as_its_turn_comes_leaves_the_turn_free() -> None:
    turns = WriterTurns()
    held = turns.turn()
    await held.__aenter__()
    gave_up = asyncio.ensure_future(turns.turn(bulk=True).__aenter__())
    handed = asyncio.ensure_future(turns.turn().__aenter__())
    await asyncio.sleep(0)
    gave_up.cancel()
    with pytest.raises(asyncio.CancelledError):
        await gave_up
    await held.__aexit__(None, None, None)  # the turn is handed to the short waiter...
    handed.cancel()  # ...cancelled before it could run: it passes the turn on
    with pytest.raises(asyncio.CancelledError):
        await handed
    assert not turns.locked()
    async with turns.turn():
        assert turns.locked()
