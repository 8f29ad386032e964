"""The emulator kit: the plumbing every provider emulator shares, for first- and third-party providers.

An emulator is a Starlette app serving a provider's real paths, plus a control object tests use
(``app.state.emulator``). The kit supplies what is not a fact of any one provider:

* :class:`EmulatorClock` — time tests move with ``advance``, and a ``sleep`` they can replace
  (:class:`RecordingSleep`) so latency is checked without wall time;
* :class:`RequestLog` / :class:`RequestRecorder` — every request in arrival order, credentials never kept;
* :class:`FaultInjector` — the next N calls fail with the provider's own 429 or 5xx, time out,
  disconnect or wait; and a random error rate;
* :mod:`.oauth` — the authorization-server core: client authentication, redirect URI checks,
  single-use short-lived codes with PKCE, refresh-token rotation with a grace period, revocation;
* :class:`EmulatorOptions` — the option names every emulator shares, with unknown names refused;
* :class:`Emulator` and :func:`emulator_app` — the control object's base and the app assembly, with
  the ``/_emulator/...`` control routes;
* :mod:`.command` — one command line (``--port``, ``--seed``, ``--no-limits``, ...) for
  ``python -m <provider>.emulator`` and ``ua sandbox``.

See "Writing a provider" in the docs for a worked example.
"""

from . import oauth
from .app import CONTROL_PREFIX, FaultMiddleware, control_routes, emulator_app
from .clock import ClockFn, EmulatorClock, RecordingSleep, SleepFn
from .command import EmulatorCommand, Flag, Sandbox
from .emulator import Emulator
from .faults import Fault, FaultInjector
from .options import EmulatorOptionError, EmulatorOptions, UnknownEmulatorOption
from .requestlog import LoggedRequest, RequestLog, RequestRecorder

__all__ = [
    "CONTROL_PREFIX",
    "ClockFn",
    "Emulator",
    "EmulatorClock",
    "EmulatorCommand",
    "EmulatorOptionError",
    "EmulatorOptions",
    "Fault",
    "FaultInjector",
    "FaultMiddleware",
    "Flag",
    "LoggedRequest",
    "RecordingSleep",
    "RequestLog",
    "RequestRecorder",
    "Sandbox",
    "SleepFn",
    "UnknownEmulatorOption",
    "control_routes",
    "emulator_app",
    "oauth",
]
