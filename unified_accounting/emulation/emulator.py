"""The base of an emulator's control object: clock, fault injection and request log.

A provider's emulator subclasses :class:`Emulator`, declares where faults can be aimed
(``fault_targets``) and how its provider answers an injected failure (``fault_response``), and adds
its companies, records and tokens. Tests reach the object as ``app.state.emulator``.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, ClassVar

from starlette.responses import Response

from ..types import Scope
from .clock import EmulatorClock
from .faults import Fault, FaultInjector, enact
from .oauth import OAuthServer
from .options import EmulatorOptions
from .requestlog import LoggedRequest, RequestLog


class Emulator:
    """Clock, faults and request log of one emulator, and the test controls over them."""

    #: Named path prefixes ``fail_next(target=...)`` aims at. The first is the default target and
    #: the one ``error_rate`` hits (the provider's API).
    fault_targets: ClassVar[Mapping[str, str]] = {"all": "/"}
    #: The statuses ``fail_next`` accepts (``None``: any 4xx or 5xx).
    fault_statuses: ClassVar[Collection[int] | None] = None
    #: Readings of the clock are truncated to this (the precision the provider reports).
    clock_resolution: ClassVar[timedelta] = timedelta(0)
    #: What the provider calls its companies, in messages ("companies", "organisations").
    company_noun: ClassVar[str] = "companies"
    #: The companies served, by id, the default first (set by subclasses).
    companies: Mapping[str, Any] | Sequence[str] = ()

    def __init__(self, options: EmulatorOptions) -> None:
        options.validate()
        self.options = options
        self.clock = self.make_clock()
        self.faults = FaultInjector(
            self.fault_targets,
            error_rate=options.error_rate,
            error_statuses=options.error_statuses,
            seed=options.fault_seed,
            statuses=self.fault_statuses,
        )
        self.request_log = RequestLog(options.request_log_limit)
        #: The ASGI app serving this emulator (set when the app is built).
        self.app: Any = None
        #: The emulator's OAuth state (set by subclasses); the token controls below act on it.
        self.oauth: OAuthServer[Any, Any] | None = None

    def make_clock(self) -> EmulatorClock:
        o = self.options
        return EmulatorClock(o.clock, start=o.start_time, sleep=o.sleep, resolution=self.clock_resolution)

    @property
    def company_ids(self) -> list[str]:
        return list(self.companies)

    @property
    def default_company_id(self) -> str:
        return next(iter(self.companies))

    # ------------------------------------------------------------------------------------- clock
    def now(self) -> datetime:
        return self.clock.now()

    def advance(self, seconds: float) -> datetime:
        """Move the emulator's time forward (token expiry, rate windows, timestamps); the new time."""
        return self.clock.advance(seconds)

    # ------------------------------------------------------------------------------------ faults
    def fail_next(
        self,
        count: int = 1,
        status: int = 500,
        timeout: bool = False,
        target: str | None = None,
        *,
        disconnect: bool = False,
        latency_ms: float = 0.0,
        retry_after_s: int | None = None,
    ) -> None:
        """Make the next ``count`` calls to ``target`` (default: the API) fail with ``status``, time
        out, drop the connection, or wait ``latency_ms`` first."""
        prefix = self.faults.prefix(target)
        fault = Fault(status, timeout, disconnect, latency_ms / 1000, retry_after_s, prefix)
        self.faults.add(fault, count)

    def fault_response(self, fault: Fault, scope: Scope) -> Response:
        """The provider's answer to an injected ``fault.status`` on the request of ``scope``."""
        raise NotImplementedError(f"{type(self).__name__} does not answer injected faults at the edge")

    async def inject(self, fault: Fault, scope: Scope) -> Response | None:
        """Carry out ``fault`` on the request of ``scope`` (see :func:`.faults.enact`)."""
        return await enact(
            fault,
            lambda due: self.fault_response(due, scope),
            clock=self.clock,
            timeout_mode=self.options.timeout_mode,
            timeout_hang_s=self.options.timeout_hang_s,
            scope=scope,
        )

    # --------------------------------------------------------------------------------------- log
    def requests(self, path_contains: str = "", method: str | None = None) -> list[LoggedRequest]:
        """Logged requests whose path contains ``path_contains`` (and with ``method``)."""
        return self.request_log.matching(path_contains, method)

    def requests_to(self, path_prefix: str) -> list[LoggedRequest]:
        """Logged requests whose path starts with ``path_prefix``."""
        return self.request_log.under(path_prefix)

    def clear_request_log(self) -> None:
        self.request_log.clear()

    # ------------------------------------------------------------------ what every provider offers
    def issue_tokens_for(self, company: str | None) -> Mapping[str, Any]:
        """A valid token set for ``company`` (default: the first), without the browser flow."""
        raise NotImplementedError

    def _oauth(self) -> OAuthServer[Any, Any]:
        if self.oauth is None:
            raise NotImplementedError(f"{type(self).__name__} has no OAuth server")
        return self.oauth

    def expire_access_tokens(self) -> int:
        """Make every access token issued so far expired (refresh tokens still work)."""
        return self._oauth().expire_access_tokens(self.now())

    def revoke_all(self) -> None:
        """Revoke every grant, as if the user disconnected the app."""
        self._oauth().revoke_all()

    @property
    def refresh_count(self) -> int:
        """``grant_type=refresh_token`` requests the token endpoint received, answered or not."""
        return self._oauth().refresh_count

    def state_summary(self) -> dict[str, Any]:
        """What ``GET /_emulator/state`` reports (subclasses add their counts)."""
        return {
            "now": self.now().isoformat(),
            "companies": self.company_ids,
            "pending_faults": self.faults.pending,
        }

    async def aclose(self) -> None:
        """Stop background work (webhook deliveries, ...)."""
