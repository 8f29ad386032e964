"""Fault injection: make the next calls to part of an emulator fail the way the provider fails.

``emulator.fail_next(count, status, target=...)`` queues one-shot faults for the next matching
requests (:meth:`FaultInjector.add`);
``error_rate`` makes calls to the first (default) target fail at random (reproducibly with a
``fault_seed``). A fault is one of:

* a **status** (429, 5xx, ...), answered with the provider's own body for it (each emulator says how
  through its ``fault_response``), with ``Retry-After: retry_after_s`` on a 429 where given;
* a **timeout**: the request hangs ``timeout_hang_s`` then either fails as a read timeout
  (``timeout_mode="raise"``: ``httpx.ReadTimeout`` inside the app, which a client over
  ``httpx.ASGITransport`` sees as such) or is answered 504 (``"answer"``, as a gateway would);
* a **disconnect**: the request fails without any answer (``httpx.RemoteProtocolError`` in
  process; a served emulator answers 500, as ASGI servers do for an app that raised);
* **latency**: the request waits ``latency_ms`` then is served normally.

Targets are named path prefixes each emulator declares (``{"api": "/v3/company/", "token": ...}``);
a target may also be given as a path prefix (``"/connect/"``).
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Literal

import httpx
from starlette.responses import Response

from ..types import Scope
from .clock import EmulatorClock

TimeoutMode = Literal["raise", "answer"]
#: Key of ``scope["state"]`` set on a request that met an injected fault (read by the request log).
FAULT_STATE_KEY = "emulator_fault"


@dataclass(frozen=True)
class Fault:
    """One injected failure."""

    status: int = 500
    timeout: bool = False
    disconnect: bool = False
    latency_s: float = 0.0
    retry_after_s: int | None = None
    #: The path prefix the fault waits for.
    prefix: str = "/"

    @property
    def kind(self) -> str:
        if self.timeout:
            return "timeout"
        if self.disconnect:
            return "disconnect"
        if self.latency_s:
            return "latency"
        return "status"


class FaultInjector:
    """Queued one-shot faults per target, and a random error rate on the default target."""

    def __init__(
        self,
        targets: Mapping[str, str],
        *,
        error_rate: float = 0.0,
        error_statuses: Sequence[int] = (503,),
        seed: int | None = None,
        statuses: Collection[int] | None = None,
    ) -> None:
        if not targets:
            raise ValueError("an emulator declares at least one fault target")
        self.targets = dict(targets)
        self.default_target = next(iter(self.targets))
        self.error_rate = error_rate
        self.error_statuses = tuple(error_statuses) or (503,)
        #: The statuses ``fail_next`` accepts (``None``: any 4xx or 5xx).
        self.statuses = statuses
        self._random = random.Random(seed)
        self._queue: deque[Fault] = deque()
        self.injected = 0

    def prefix(self, target: str | None) -> str:
        """The path prefix of a target name (or of a path prefix given directly)."""
        name = self.default_target if target is None else target
        if name in self.targets:
            return self.targets[name]
        if name.startswith("/"):
            return name
        names = ", ".join(self.targets)
        raise ValueError(f"unknown fault target {name!r}: use one of {names}, or a path starting with '/'")

    def add(self, fault: Fault, count: int = 1) -> None:
        """Queue ``fault`` for the next ``count`` requests under its prefix."""
        plain = fault.kind == "status"
        if plain and self.statuses is not None and fault.status not in self.statuses:
            allowed = ", ".join(str(code) for code in sorted(self.statuses))
            raise ValueError(f"status must be one of {allowed}")
        if plain and not 400 <= fault.status <= 599:
            raise ValueError("status must be a 4xx or 5xx code")
        if count < 0 or fault.latency_s < 0:
            raise ValueError("count and latency cannot be negative")
        self._queue.extend(fault for _ in range(count))

    def take(self, path: str) -> Fault | None:
        """The fault for a request to ``path``, if one is due (queued first, then at random)."""
        for index, fault in enumerate(self._queue):
            if path.startswith(fault.prefix):
                del self._queue[index]
                self.injected += 1
                return fault
        default = self.targets[self.default_target]
        if self.error_rate > 0 and path.startswith(default) and self._random.random() < self.error_rate:
            self.injected += 1
            return Fault(self._random.choice(self.error_statuses), prefix=default)
        return None

    def clear(self) -> None:
        self._queue.clear()

    @property
    def pending(self) -> int:
        return len(self._queue)


def mark_fault(scope: Scope) -> None:
    """Note in the request's scope that it met an injected fault (for the request log)."""
    state = scope.setdefault("state", {})
    state[FAULT_STATE_KEY] = True


async def enact(
    fault: Fault,
    respond: Callable[[Fault], Response],
    *,
    clock: EmulatorClock,
    timeout_mode: TimeoutMode = "raise",
    timeout_hang_s: float = 0.0,
    scope: Scope | None = None,
) -> Response | None:
    """Carry out ``fault``: the response to send, or ``None`` when the request goes on (latency).

    Raises ``httpx.ReadTimeout`` / ``httpx.RemoteProtocolError`` for a timeout / disconnect.
    """
    if scope is not None:
        mark_fault(scope)
    if fault.timeout:
        await clock.sleep(timeout_hang_s)
        if timeout_mode == "raise":
            raise httpx.ReadTimeout("emulated timeout: the provider did not answer")
        return respond(replace(fault, status=504, timeout=False))
    if fault.disconnect:
        raise httpx.RemoteProtocolError("emulated disconnect: server closed the connection without answering")
    if fault.latency_s:
        await clock.sleep(fault.latency_s)
        return None
    return respond(fault)
