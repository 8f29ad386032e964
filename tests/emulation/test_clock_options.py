"""The kit's clock, injectable sleep and shared options."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

import pytest

from unified_accounting.emulation import (
    EmulatorClock,
    EmulatorOptionError,
    EmulatorOptions,
    RecordingSleep,
    UnknownEmulatorOption,
)

START = datetime(2025, 3, 1, 9, 30, 15, 123456, tzinfo=UTC)


def test_a_frozen_clock_moves_only_with_advance() -> None:
    clock = EmulatorClock(start=START)
    assert clock.now() == clock() == START
    assert clock.advance(90) == START + timedelta(seconds=90)
    assert clock.advance(-30) == START + timedelta(seconds=60)
    assert clock.timestamp() == (START + timedelta(seconds=60)).timestamp()


def test_readings_are_aware_utc_and_truncated_to_the_resolution() -> None:
    plus_two = datetime(2025, 3, 1, 11, 30, 15, 123456, tzinfo=timezone(timedelta(hours=2)))
    clock = EmulatorClock(lambda: plus_two, resolution=timedelta(milliseconds=1))
    assert clock.now() == START.replace(microsecond=123000) and clock.now().tzinfo is UTC
    assert EmulatorClock(start=START, resolution=timedelta(seconds=1)).now() == START.replace(microsecond=0)
    assert EmulatorClock().now().tzinfo is UTC


def test_a_naive_time_source_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        EmulatorClock(lambda: datetime(2025, 1, 1)).now()


@pytest.mark.anyio
async def test_waits_go_through_the_injected_sleep() -> None:
    sleep = RecordingSleep()
    clock = EmulatorClock(start=START, sleep=sleep)
    await clock.sleep(0.25)
    await clock.sleep(0)  # nothing to wait for: not a wait
    await asyncio.gather(clock.sleep(1.5), clock.sleep(2))
    assert sleep.waits == [0.25, 1.5, 2]
    assert sleep.total == 3.75
    assert clock.now() == START  # waiting is not moving the emulator's time


@dataclass
class ShopOptions(EmulatorOptions):
    renamed = {"shops": "stores"}  # noqa: RUF012 - a ClassVar of the base
    stores: int = 1


def test_unknown_options_are_refused_with_a_suggestion_and_the_valid_names() -> None:
    with pytest.raises(UnknownEmulatorOption) as caught:
        ShopOptions.from_kwargs(sede=1, colour="red")
    message = str(caught.value)
    assert "'sede' (did you mean 'seed'?)" in message and "'colour'" in message
    assert "valid options: " in message and "stores" in message and "latency_ms" in message
    assert isinstance(caught.value, TypeError)  # as a misspelt keyword argument would be


def test_a_renamed_option_still_works_with_a_deprecation_warning() -> None:
    with pytest.warns(DeprecationWarning, match="'shops' is now called 'stores'"):
        assert ShopOptions.from_kwargs(shops=3).stores == 3


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"error_rate": 1.5}, "error_rate"),
        ({"latency_ms": -1}, "negative"),
        ({"timeout_mode": "sleep"}, "timeout_mode"),
        ({"start_time": datetime(2025, 1, 1)}, "timezone-aware"),
    ],
)
def test_impossible_values_are_refused(options: dict[str, object], message: str) -> None:
    with pytest.raises(EmulatorOptionError, match=message):
        EmulatorOptions.from_kwargs(**options)
