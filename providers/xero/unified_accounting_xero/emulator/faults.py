"""Injected failures: queued one-shot faults and a random error rate.

``fail_next(count, status, timeout, path_prefix)`` queues faults for the next matching requests (by default
the Accounting API, ``/api.xro/``; pass ``"/connect/token"`` or ``"/"`` to target identity calls too).  With
``error_rate`` every Accounting API call fails with that probability, drawing a status from
``error_statuses`` (reproducible with ``fault_seed``).  Bodies: 500 → Xero's generic error problem document,
503 → "Organisation offline", 429 → a minute-limit refusal with ``Retry-After``.  A timeout fault waits
``timeout_hang_s`` and raises :class:`httpx.ReadTimeout` inside the app.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from http import HTTPStatus

from starlette.responses import Response

from .errors import problem

ACCOUNTING_PREFIX = "/api.xro/"


@dataclass(frozen=True)
class Fault:
    status: int = 500
    timeout: bool = False
    path_prefix: str = ACCOUNTING_PREFIX


class FaultInjector:
    def __init__(
        self, error_rate: float = 0.0, error_statuses: Sequence[int] = (500, 503), seed: int | None = None
    ):
        self.error_rate = error_rate
        self.error_statuses = tuple(error_statuses) or (500,)
        self._rng = random.Random(seed)
        self._queue: deque[Fault] = deque()
        self.injected = 0

    def fail_next(
        self, count: int = 1, status: int = 500, timeout: bool = False, path_prefix: str = ACCOUNTING_PREFIX
    ) -> None:
        for _ in range(count):
            self._queue.append(Fault(status, timeout, path_prefix))

    def clear(self) -> None:
        self._queue.clear()

    @property
    def pending(self) -> int:
        return len(self._queue)

    def take(self, path: str) -> Fault | None:
        for index, fault in enumerate(self._queue):
            if path.startswith(fault.path_prefix):
                del self._queue[index]
                self.injected += 1
                return fault
        if (
            self.error_rate > 0
            and path.startswith(ACCOUNTING_PREFIX)
            and self._rng.random() < self.error_rate
        ):
            self.injected += 1
            return Fault(self._rng.choice(self.error_statuses))
        return None


def fault_response(status: int) -> Response:
    if status == 503:
        return problem(503, "Service Unavailable", "Organisation offline")
    if status == 500:
        return problem(
            500,
            "An error occurred",
            "An error occurred in Xero. Check the API Status page http://status.developer.xero.com "
            "for current service status.",
        )
    if status == 429:
        return problem(
            429,
            "Too Many Requests",
            "The API rate limit for your organisation/application pairing has been exceeded.",
            {"Retry-After": "60", "X-Rate-Limit-Problem": "minute"},
        )
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    return problem(status, phrase, f"Injected fault {status}")
