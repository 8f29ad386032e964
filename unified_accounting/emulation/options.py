"""The options every emulator takes, under one set of names.

An emulator's options class extends :class:`EmulatorOptions` (a dataclass) with its provider's own
fields, and may change a default by declaring the field again. ``create_emulator(**options)``
builds it with :meth:`EmulatorOptions.from_kwargs`, which refuses a misspelt name with the list of
valid ones; the command line (:mod:`.command`) reads the same names.
"""

from __future__ import annotations

import difflib
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, ClassVar, Self

from .clock import ClockFn, SleepFn
from .faults import TimeoutMode


class EmulatorOptionError(ValueError):
    """An emulator option with a value it cannot take."""


class UnknownEmulatorOption(EmulatorOptionError, TypeError):
    """An emulator option that does not exist."""


@dataclass
class EmulatorOptions:
    """Options shared by every emulator built on :mod:`unified_accounting.emulation`."""

    # --- sample data ------------------------------------------------------------------------
    seed: int | None = None
    """Seed for deterministic sample data; ``None`` starts with empty books."""

    # --- the registered app -------------------------------------------------------------------
    client_id: str = "emulator-client-id"
    client_secret: str = "emulator-client-secret"
    redirect_uris: Sequence[str] | None = None
    """Registered redirect URIs; ``None`` accepts any URI."""
    loopback_redirect_hosts: Sequence[str] = ("localhost",)
    """Hosts whose ``http://HOST:PORT/PATH`` redirect URIs count as registered, whatever the port and
    path. Intuit and Xero both let a development app register plain-http ``localhost`` redirect
    URIs (the real services then match the registered URI exactly); an emulator has no developer
    portal, so it treats any such URI as one the developer registered. ``()`` turns this off."""

    # --- limits, faults and latency -----------------------------------------------------------
    limits: bool = True
    """``False`` turns every rate limit off."""
    latency_ms: float = 0.0
    """Added to every API call (waited with the emulator's ``sleep``)."""
    error_rate: float = 0.0
    """Probability that an API call fails with one of ``error_statuses``."""
    error_statuses: Sequence[int] = (503,)
    fault_seed: int | None = None
    """Seed of the random faults (``error_rate``), for reproducible runs."""
    timeout_mode: TimeoutMode = "raise"
    """An injected timeout raises ``httpx.ReadTimeout`` (``raise``) or is answered 504 (``answer``)."""
    timeout_hang_s: float = 0.0
    """How long an injected timeout holds the request first."""

    # --- time ---------------------------------------------------------------------------------
    clock: ClockFn | None = None
    """Where time comes from (aware datetimes); default: the system clock."""
    start_time: datetime | None = None
    """Start a clock frozen at this instant, moved only by ``advance`` (ignored with ``clock``)."""
    sleep: SleepFn | None = None
    """How the emulator waits (latency, hangs); default ``asyncio.sleep``. Tests pass a
    :class:`~unified_accounting.emulation.RecordingSleep`."""

    # --- tooling ------------------------------------------------------------------------------
    request_log_limit: int = 10_000
    """How many requests the request log keeps."""
    control_routes: bool = True
    """Serve ``/_emulator/...`` routes (move the clock, inject faults, ...) for out-of-process use."""

    #: Former option names still accepted, with a ``DeprecationWarning``: old name → new name.
    renamed: ClassVar[Mapping[str, str]] = {}

    @classmethod
    def option_names(cls) -> list[str]:
        return [f.name for f in fields(cls)]

    @classmethod
    def from_kwargs(cls, **kwargs: Any) -> Self:
        """Build the options from keywords: unknown names are refused, listing the valid ones."""
        given = dict(kwargs)
        for old, new in cls.renamed.items():
            if old in given:
                warnings.warn(
                    f"emulator option {old!r} is now called {new!r}", DeprecationWarning, stacklevel=3
                )
                given.setdefault(new, given.pop(old))
        check_option_names(cls, given)
        options = cls(**given)
        options.validate()
        return options

    def validate(self) -> None:
        """Refuse values the emulator cannot take (subclasses extend it)."""
        if not 0.0 <= self.error_rate <= 1.0:
            raise EmulatorOptionError("error_rate must be between 0 and 1")
        if self.latency_ms < 0 or self.timeout_hang_s < 0:
            raise EmulatorOptionError("latency_ms and timeout_hang_s cannot be negative")
        if self.timeout_mode not in ("raise", "answer"):
            raise EmulatorOptionError("timeout_mode must be 'raise' or 'answer'")
        if self.start_time is not None and self.start_time.tzinfo is None:
            raise EmulatorOptionError("start_time must be timezone-aware")


def check_option_names(options_type: type[EmulatorOptions], names: Mapping[str, Any] | Sequence[str]) -> None:
    """Raise :class:`UnknownEmulatorOption` naming each unknown option, with suggestions."""
    valid = options_type.option_names()
    unknown = [name for name in names if name not in valid]
    if not unknown:
        return
    parts = []
    for name in unknown:
        close = difflib.get_close_matches(name, valid, n=1)
        parts.append(f"{name!r} (did you mean {close[0]!r}?)" if close else repr(name))
    raise UnknownEmulatorOption(
        f"unknown emulator option {', '.join(parts)}; valid options: {', '.join(sorted(valid))}"
    )
