"""One command line for every emulator: ``python -m <provider>.emulator`` and ``ua sandbox <provider>``.

Shared flags, each setting the option of the same name (offered when the emulator has it):

``--host`` / ``--port``
    where to listen (``127.0.0.1:8765``); the port is checked before anything is printed;
``--seed N`` (or ``--seed none``)
    sample data (default ``1``; ``none``: empty books);
``--no-limits``
    turn rate limits off (``limits=False``);
``--latency-ms MS``, ``--error-rate P``
    slow every API call down, fail a share of them;
``--clock ISO``
    start a frozen clock at that instant (moved only through ``POST /_emulator/advance``);
``--webhook-url URL``
    deliver webhooks there, a second after each change;
``-o NAME=VALUE`` (``--option``)
    any other option (``VALUE`` is JSON when it parses: ``3``, ``true``, ``["a","b"]``).

An emulator adds its own flags (:class:`Flag`, e.g. ``--invoices 500``) in its
:class:`EmulatorCommand`. A misspelt name is refused with the list of valid ones, without a traceback.
"""

from __future__ import annotations

import argparse
import json
import shlex
import socket
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import MISSING, dataclass, field, fields
from datetime import datetime
from typing import Any, NoReturn

import uvicorn

from ..types import ASGIApp
from .emulator import Emulator
from .options import EmulatorOptionError, EmulatorOptions, check_option_names

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765


@dataclass(frozen=True)
class Flag:
    """An emulator's own flag: ``--{option with dashes}`` sets ``option``."""

    option: str
    type: Callable[[str], Any] = int
    help: str = ""

    @property
    def name(self) -> str:
        return "--" + self.option.replace("_", "-")


@dataclass(frozen=True)
class Sandbox:
    """What ``ua sandbox`` adds to a plain emulator run: a company product code can use at once.

    ``options`` are defaults for the emulator (the command line wins); ``prepare(app)`` runs on the
    built emulator before it serves, adds through the emulator's own seeding API whatever the
    documented examples need, and returns the provider settings (beyond ``base_url``,
    ``client_id`` and ``client_secret``) that product code needs to use that company, e.g.
    ``{"default_item_id": "1"}``.
    """

    options: Mapping[str, Any] = field(default_factory=dict)
    prepare: Callable[[Any], Mapping[str, str]] | None = None


@dataclass(frozen=True)
class EmulatorCommand:
    """How an emulator runs from the command line."""

    #: Shown in the banner and the help ("QuickBooks Online").
    title: str
    #: ``create_emulator(**options)``.
    create: Callable[..., ASGIApp]
    #: The emulator's options class (``None``: not built on this kit; names are checked by ``create``).
    options: type[EmulatorOptions] | None = None
    #: The emulator's own flags: a :class:`Flag`, or just an option name (its type and help then come
    #: from the option's default).
    flags: Sequence[Flag | str] = ()
    #: Options that depend on where the emulator is served, e.g. a redirect URI on its own address.
    served_at: Callable[[str, int], Mapping[str, Any]] | None = None
    #: Lines printed after the address, the companies and the app's client id and secret (given the
    #: app).
    banner: Callable[[Any], Sequence[str]] | None = None
    #: What ``ua sandbox`` adds (``None``: it serves the plain emulator).
    sandbox: Sandbox | None = None
    #: The port served when ``--port`` is not given (emulators of different providers differ, so
    #: that both sandboxes run side by side).
    default_port: int = DEFAULT_PORT


@dataclass
class Invocation:
    """A parsed command line."""

    host: str
    port: int
    options: dict[str, Any] = field(default_factory=dict)


def _seed(text: str) -> int | None:
    if text.lower() in ("none", "empty"):
        return None
    return int(text)


def _instant(text: str) -> datetime:
    moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError("give the instant with its offset, e.g. 2025-01-01T09:00:00Z")
    return moment


def _json_or_text(raw: str) -> Any:
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return raw


def parse_option(pair: str) -> tuple[str, Any]:
    """``NAME=VALUE`` → ``(name, value)``; ``VALUE`` is JSON when it parses."""
    name, sep, raw = pair.partition("=")
    if not sep or not name.strip():
        raise ValueError(f'{pair!r}: expected NAME=VALUE (VALUE may be JSON: 3, true, ["a"])')
    return name.strip().replace("-", "_"), _json_or_text(raw)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # A short usage line and the problem; never a traceback.
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n")


#: (flag, option, type, metavar, help); offered when the emulator has the option (or is not built on
#: the kit).
_SHARED: tuple[tuple[str, str, Callable[[str], Any], str, str], ...] = (
    ("--seed", "seed", _seed, "N", "sample-data seed (default 1; 'none' for empty books)"),
    ("--latency-ms", "latency_ms", float, "MS", "milliseconds added to every API call"),
    ("--error-rate", "error_rate", float, "P", "share of API calls failing at random (0 to 1)"),
    ("--clock", "start_time", _instant, "ISO", "start a frozen clock at this instant (2025-01-01T09:00:00Z)"),
    ("--webhook-url", "webhook_url", str, "URL", "deliver webhooks to this URL"),
)


def _flag_of(command: EmulatorCommand | None, option: str) -> Flag:
    """A flag for ``option``, typed and described by its default."""
    default = None
    if command is not None and command.options is not None:
        found = {f.name: f for f in fields(command.options)}.get(option)
        if found is None:
            raise ValueError(
                f"{command.title} declares a flag for {option!r}, which is not one of its options"
            )
        default = found.default if found.default is not MISSING else None
    kind: Callable[[str], Any] = type(default) if type(default) in (int, float, str) else _json_or_text
    return Flag(option, kind, f"emulator option {option} (default {default})")


def build_parser(prog: str, command: EmulatorCommand | None) -> argparse.ArgumentParser:
    options = set(command.options.option_names()) if command and command.options else None

    def offered(option: str) -> bool:
        return options is None or option in options

    title = f"the {command.title}" if command else "a provider's"
    parser = _Parser(prog=prog, description=f"Run {title} emulator on loopback until interrupted.")
    parser.add_argument("--host", default=DEFAULT_HOST, help="interface to bind; keep it on loopback")
    port = command.default_port if command else DEFAULT_PORT
    parser.add_argument(
        "--port", type=int, default=port, help=f"port to listen on (default {port}; 0: any free)"
    )
    for flag, option, kind, metavar, help_text in _SHARED:
        if offered(option):
            parser.add_argument(
                flag, dest=option, type=kind, metavar=metavar, default=argparse.SUPPRESS, help=help_text
            )
    if offered("limits"):
        parser.add_argument(
            "--no-limits",
            dest="limits",
            action="store_false",
            default=argparse.SUPPRESS,
            help="turn the rate limits off",
        )
        # The Xero emulator's former spelling.
        parser.add_argument(
            "--no-rate-limits",
            dest="limits",
            action="store_false",
            default=argparse.SUPPRESS,
            help=argparse.SUPPRESS,
        )
    for declared in command.flags if command else ():
        extra = declared if isinstance(declared, Flag) else _flag_of(command, declared)
        parser.add_argument(
            extra.name,
            dest=extra.option,
            type=extra.type,
            default=argparse.SUPPRESS,
            help=extra.help.replace("%", "%%"),  # argparse formats help with %
        )
    parser.add_argument(
        "-o",
        "--option",
        dest="extra_options",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="any other emulator option (repeatable); VALUE is JSON when it parses",
    )
    return parser


def parse(argv: Sequence[str], *, prog: str, command: EmulatorCommand | None) -> Invocation:
    """Read a command line; exits with a short message on a bad flag, value or option name."""
    parser = build_parser(prog, command)
    args = vars(parser.parse_args(list(argv)))
    host, port = args.pop("host"), args.pop("port")
    options: dict[str, Any] = {}
    for pair in args.pop("extra_options"):
        try:
            name, value = parse_option(pair)
        except ValueError as exc:
            parser.error(str(exc))
        options[name] = value
    options.update(args)
    known = command is not None and command.options is not None
    if known:
        assert command is not None and command.options is not None
        names = command.options.option_names()
        if "seed" in names:
            options.setdefault("seed", 1)
        if "webhook_url" in options and "webhook_delay_s" in names:
            options.setdefault("webhook_delay_s", 1.0)
        try:
            check_option_names(command.options, options)
        except EmulatorOptionError as exc:
            parser.error(str(exc))
    if not 0 <= port <= 65535:
        parser.error("--port must be between 0 and 65535")
    return Invocation(host, port, options)


class PortInUse(OSError):
    """The address to serve on is taken."""


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port``, or :class:`PortInUse` naming the address."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise PortInUse(f"{host}:{port} is not available ({exc.strerror}): choose another --port") from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def build(command: EmulatorCommand, invocation: Invocation, port: int) -> ASGIApp:
    """The emulator app for an invocation (``port``: the one actually bound)."""
    options = dict(invocation.options)
    if command.served_at is not None:
        for name, value in command.served_at(invocation.host, port).items():
            options.setdefault(name, value)
    return command.create(**options)


def serve(
    app: ASGIApp, sock: socket.socket, lines: Sequence[str], *, out: Callable[[str], None] = print
) -> None:
    """Print ``lines`` then serve ``app`` on ``sock`` until interrupted."""
    for line in lines:
        out(line)
    config = uvicorn.Config(app, log_level="warning")
    uvicorn.Server(config).run(sockets=[sock])


def banner(command: EmulatorCommand, app: Any, host: str, port: int) -> list[str]:
    shown = f"[{host}]" if ":" in host else host
    lines = [f"{command.title} emulator on http://{shown}:{port} (use it as base_url); Ctrl-C stops it."]
    emulator = getattr(getattr(app, "state", None), "emulator", None)
    if isinstance(emulator, Emulator):
        lines.append(f"{emulator.company_noun}: {', '.join(emulator.company_ids)}")
        options = emulator.options
        lines.append(f"client_id={options.client_id} client_secret={options.client_secret}")
    if command.banner is not None:
        lines.extend(command.banner(app))
    return lines


def sandbox_settings(command: EmulatorCommand, app: Any, host: str, port: int) -> dict[str, str]:
    """The provider settings that reach a served sandbox: ``base_url``, the app's credentials and
    what the sandbox's ``prepare`` returned."""
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else ("[::1]" if host == "::" else host)
    shown = f"[{shown}]" if ":" in shown and not shown.startswith("[") else shown
    settings = {"base_url": f"http://{shown}:{port}"}
    emulator = getattr(getattr(app, "state", None), "emulator", None)
    if isinstance(emulator, Emulator):
        settings["client_id"] = emulator.options.client_id
        settings["client_secret"] = emulator.options.client_secret
    if command.sandbox is not None and command.sandbox.prepare is not None:
        settings.update(command.sandbox.prepare(app))
    return settings


def environment_lines(provider: str, settings: Mapping[str, str], data_dir: str | None) -> list[str]:
    """``export UA_<PROVIDER>_<SETTING>=value`` lines for a POSIX shell, values quoted when needed."""
    lines = [
        f"export UA_{provider.upper()}_{name.upper()}={shlex.quote(value)}"
        for name, value in settings.items()
    ]
    if data_dir is not None:
        lines.append(f"export UA_DATA_DIR={shlex.quote(data_dir)}")
    return lines


def main(command: EmulatorCommand, argv: Sequence[str] | None = None, *, prog: str) -> int:
    """``python -m <provider>.emulator``: parse, check the port, build, print the banner, serve."""
    invocation = parse(sys.argv[1:] if argv is None else argv, prog=prog, command=command)
    return run(command, invocation, prog=prog)


def run(
    command: EmulatorCommand,
    invocation: Invocation,
    *,
    prog: str,
    out: Callable[[str], None] = print,
    sandbox_for: str | None = None,
    data_dir: str | None = None,
) -> int:
    """Serve a parsed invocation; 2 (with a one-line reason) when the port or an option is refused.

    ``sandbox_for`` (a provider name) runs the command's :class:`Sandbox` and prints the
    environment lines that point the library at it (with ``UA_DATA_DIR=data_dir`` when given) and
    the command that connects a consumer.
    """
    try:
        sock = bind(invocation.host, invocation.port)
    except PortInUse as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 2
    sandbox = command.sandbox if sandbox_for is not None else None
    if sandbox is not None:
        invocation = Invocation(invocation.host, invocation.port, {**sandbox.options, **invocation.options})
    try:
        port = sock.getsockname()[1]
        try:
            app = build(command, invocation, port)
        except EmulatorOptionError as exc:
            print(f"{prog}: error: {exc}", file=sys.stderr)
            return 2
        except TypeError as exc:
            if command.options is not None:
                raise
            # An emulator not built on this kit refusing a keyword it does not take.
            print(f"{prog}: error: {exc}", file=sys.stderr)
            return 2
        lines = banner(command, app, invocation.host, port)
        if sandbox_for is not None:
            settings = sandbox_settings(command, app, invocation.host, port)
            lines += [
                "",
                "Point the library at this sandbox (paste these lines into your shell):",
                *environment_lines(sandbox_for, settings, data_dir),
                "",
                f"Next, in that shell: ua connect {sandbox_for} --consumer acme",
            ]
        serve(app, sock, lines, out=out)
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
    return 0
