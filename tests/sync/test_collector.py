"""``bulk_collection``: the collector's settings inside the block, and as they were after it."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from unified_accounting.sync import bulk_collection


@pytest.fixture(autouse=True)
def collector_as_found() -> Iterator[None]:
    threshold, frozen = gc.get_threshold(), gc.get_freeze_count()
    yield
    gc.set_threshold(*threshold)
    if gc.get_freeze_count() and not frozen:
        gc.unfreeze()


def test_freezes_what_exists_and_collects_young_objects_less_often() -> None:
    before = gc.get_threshold()
    existing: list[list[str]] = [["made before the block"]]
    assert any(obj is existing for obj in gc.get_objects())
    with bulk_collection(threshold=12_345):
        assert gc.get_threshold() == (12_345, *before[1:])
        assert gc.get_freeze_count() > 0
        assert not any(obj is existing for obj in gc.get_objects())  # out of the collector's passes
    assert gc.get_threshold() == before


def test_gives_back_what_it_froze_and_collects_cycles_again() -> None:
    assert gc.get_freeze_count() == 0
    with bulk_collection():
        pass
    assert gc.get_freeze_count() == 0
    cycle: list[object] = []
    cycle.append(cycle)
    del cycle
    assert gc.collect() >= 1


def test_keeps_what_was_frozen_before_it_frozen() -> None:
    gc.freeze()
    frozen = gc.get_freeze_count()
    with bulk_collection():
        pass
    assert gc.get_freeze_count() >= frozen


def test_restores_the_thresholds_when_the_block_fails() -> None:
    before = gc.get_threshold()
    with pytest.raises(RuntimeError), bulk_collection(threshold=999):
        raise RuntimeError("sync failed")
    assert gc.get_threshold() == before


def test_a_threshold_below_one_is_refused() -> None:
    refused = pytest.raises(ValueError, match="threshold must be a positive number of allocations, not 0")
    with refused, bulk_collection(threshold=0):
        pass
