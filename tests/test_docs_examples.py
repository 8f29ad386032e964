"""Every Python block of README.md and docs/ runs as written, or is marked as a fragment on purpose.

The blocks of one page are one story: they run in order in one namespace, in the environment the
quickstart sets up — a QuickBooks and a Xero sandbox served on loopback exactly as ``ua sandbox``
builds them, their ``export`` lines in the environment, and the consumer ``acme`` connected to
both in the sandbox's own vault. A block preceded by ``<!-- fragment -->`` is shown, not run
(docs/testing.md explains the convention); any other block that fails fails its page's test.
"""

from __future__ import annotations

import ast
import asyncio
import inspect
import os
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import typer
import uvicorn
from typer.testing import CliRunner

from unified_accounting import AsyncClient, Client
from unified_accounting.cli import build_app
from unified_accounting.emulation import command as emulation
from unified_accounting.http.server import free_port, serve
from unified_accounting.plugins import default_registry
from unified_accounting.service import create_service_app

ROOT = Path(__file__).parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
FRAGMENT = "<!-- fragment -->"
FENCE = re.compile(
    r"^(?P<indent>[ \t]*)```(?P<info>[^\n`]*)\n(?P<body>.*?)^(?P=indent)```[ \t]*$", re.M | re.S
)


@dataclass(frozen=True)
class Block:
    page: Path
    line: int
    source: str
    fragment: bool

    @property
    def where(self) -> str:
        page = self.page.relative_to(ROOT) if self.page.is_relative_to(ROOT) else self.page.name
        return f"{page}:{self.line}"


def python_blocks(page: Path) -> list[Block]:
    text = page.read_text()
    blocks = []
    for match in FENCE.finditer(text):
        if match["info"].split()[:1] != ["python"]:
            continue
        before = text[: match.start()].rstrip().rsplit("\n", 1)[-1].strip()
        indent = len(match["indent"])
        source = "\n".join(line[indent:] for line in match["body"].splitlines())
        line = text.count("\n", 0, match.start()) + 2  # the block's first line of code
        blocks.append(Block(page, line, source, fragment=before == FRAGMENT))
    return blocks


def run_block(block: Block, namespace: dict[str, Any]) -> None:
    """Run one block as a script would (top-level ``await`` runs as in an async REPL)."""
    code = compile(block.source, block.where, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True)
    if code.co_flags & inspect.CO_COROUTINE:
        asyncio.run(eval(code, namespace))
    else:
        exec(code, namespace)


# --------------------------------------------------------------- the environment the docs describe


def sandbox_environment(
    provider: str, webhook_url: str, patch: pytest.MonkeyPatch
) -> tuple[dict[str, str], Any]:
    """What ``ua sandbox <provider> --webhook-url ...`` prints, and the app it would serve."""
    served: dict[str, Any] = {}

    def keep(app: Any, sock: Any, lines: list[str], *, out: Any = print) -> None:
        served.update(app=app, lines=lines)

    with patch.context() as inner:
        inner.setattr(emulation, "serve", keep)
        result = CliRunner().invoke(
            build_app(), ["sandbox", provider, "--port", "0", "--webhook-url", webhook_url]
        )
    assert result.exit_code == 0, result.output
    exported = (re.fullmatch(r"export (UA_[A-Z_]+)=(\S+)", line) for line in served["lines"])
    return {m.group(1): m.group(2) for m in exported if m}, served["app"]


@contextmanager
def ua_serve(port: int) -> Iterator[None]:
    """What ``ua serve`` runs: the webhook receiver and a worker (lifespan on, unlike :func:`serve`)."""
    app = create_service_app(AsyncClient(), close_client=True)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="docs-ua-serve", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the service did not start"
        time.sleep(0.01)
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(timeout=20)


@pytest.fixture(scope="module")
def documented_environment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The quickstart done: both sandboxes on loopback and their lines exported, ``acme`` connected
    to both, ``ua sync`` run once, and ``ua serve`` receiving the sandboxes' webhooks."""
    home = tmp_path_factory.mktemp("docs-home")
    service = free_port()
    environment: dict[str, str] = {}
    with pytest.MonkeyPatch.context() as patch:
        for name in [n for n in os.environ if n.startswith("UA_") and n != "UA_TEST_PLUGINS"]:
            patch.delenv(name)
        patch.setenv("HOME", str(home))
        patch.setenv("UA_DATA_DIR", str(home))
        apps = {}
        for provider in ("quickbooks", "xero"):
            webhooks = f"http://127.0.0.1:{service}/webhooks/{provider}"
            env, apps[provider] = sandbox_environment(provider, webhooks, patch)
            environment.update(env)
        with serve(apps["quickbooks"]) as quickbooks, serve(apps["xero"]) as xero:
            environment["UA_QUICKBOOKS_BASE_URL"], environment["UA_XERO_BASE_URL"] = quickbooks, xero
            for name, value in environment.items():
                patch.setenv(name, value)
            with Client() as client:
                for provider, app in apps.items():
                    issued = app.state.emulator.issue_tokens()
                    client.import_connection(
                        consumer_id="acme",
                        provider=provider,
                        company_id=issued.get("realm_id") or issued["tenant_ids"][0],
                        access_token=issued["access_token"],
                        refresh_token=issued.get("refresh_token"),
                    )
            for provider in apps:
                synced = CliRunner().invoke(
                    build_app(), ["sync", "--consumer", "acme", "--provider", provider]
                )
                assert synced.exit_code == 0, synced.output
            with ua_serve(service):
                yield {**environment, "HOME": str(home)}


# ------------------------------------------------------------------------------------------ tests

BLOCKS = {page: python_blocks(page) for page in PAGES}
RUN = {page: blocks for page, blocks in BLOCKS.items() if any(not b.fragment for b in blocks)}


def test_the_docs_have_python_examples_and_most_of_them_run() -> None:
    every = [b for blocks in BLOCKS.values() for b in blocks]
    assert len(every) >= 40
    assert sum(not b.fragment for b in every) > sum(b.fragment for b in every)


def test_a_fragment_marker_stands_right_before_a_block() -> None:
    for page in PAGES:
        text = page.read_text()
        for match in re.finditer(re.escape(FRAGMENT), text):
            following = text[match.end() :].lstrip()
            assert following.startswith("```python"), f"{page.name}: {FRAGMENT} not before a python block"


@pytest.mark.integration
@pytest.mark.parametrize("page", list(RUN), ids=lambda p: str(p.relative_to(ROOT)))
def test_the_page_runs_as_written(
    page: Path,
    documented_environment: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    for name in [n for n in os.environ if n.startswith("UA_") and n != "UA_TEST_PLUGINS"]:
        monkeypatch.delenv(name)
    for name, value in documented_environment.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, Any] = {"__name__": f"docs_{page.stem.replace('-', '_')}"}
    for block in RUN[page]:
        if block.fragment:
            continue
        try:
            run_block(block, namespace)
        except Exception as exc:
            raise AssertionError(
                f"{block.where}: this example fails as written ({type(exc).__name__}: {exc}); fix it, "
                f"or mark it '{FRAGMENT}' if it is a fragment on purpose"
            ) from exc


# ------------------------------------------------------------------------ the ua commands shown


def shown_commands() -> list[tuple[str, list[str]]]:
    """Every ``ua ...`` command line of the docs' bash and console blocks, as words."""
    found = []
    for page in PAGES:
        text = page.read_text()
        for match in FENCE.finditer(text):
            if match["info"].split()[:1] not in (["bash"], ["console"], ["sh"]):
                continue
            for line in match["body"].splitlines():
                code = line.split(" #", 1)[0].strip().removeprefix("$ ")
                for part in re.split(r"&&|;|\||\$\(|\)", code):
                    words = part.split()
                    while words and (re.fullmatch(r"[A-Z_]+=\S*", words[0]) or words[0] == "nice"):
                        words = words[1:]
                    if words[:2] == ["uv", "run"]:
                        words = words[2:]
                        if words[:2] == ["--group", "dev"]:
                            words = words[2:]
                    if words[:1] == ["ua"]:
                        found.append((f"{page.relative_to(ROOT)}: {part.strip()}", words[1:]))
    return found


def sandbox_options(provider: str) -> set[str]:
    plugin = default_registry().get(provider)
    command = plugin.emulator_command()
    assert command is not None, provider
    return set(emulation.build_parser(f"ua sandbox {provider}", command)._option_string_actions)


def test_the_docs_show_ua_commands() -> None:
    shown = {words[0] for _, words in shown_commands() if words}
    assert {"demo", "providers", "sandbox", "connect", "sync", "serve", "worker", "vault"} <= shown


@pytest.mark.parametrize(("where", "words"), shown_commands(), ids=lambda v: v if isinstance(v, str) else "")
def test_a_shown_ua_command_exists_with_its_options(where: str, words: list[str]) -> None:
    command: Any = typer.main.get_command(build_app())
    path: list[str] = []
    while words and hasattr(command, "commands") and not words[0].startswith("-"):
        assert words[0] in command.commands, f"{where}: 'ua {' '.join(path)}' has no command {words[0]!r}"
        command, path, words = command.commands[words[0]], [*path, words[0]], words[1:]
    if path == ["sandbox"]:
        provider, *flags = words
        offered = sandbox_options(provider)
    else:
        flags = words
        offered = {opt for param in command.params for opt in (*param.opts, *param.secondary_opts)}
    for flag in flags:
        if flag.startswith("-"):
            assert flag.split("=", 1)[0] in offered, f"{where}: 'ua {' '.join(path)}' takes no {flag}"


def test_a_command_or_option_that_does_not_exist_is_caught() -> None:
    for words in (
        ["sync", "--consumer", "acme", "--tenant", "x"],
        ["synchronise"],
        ["sandbox", "xero", "--tenant"],
    ):
        with pytest.raises(AssertionError):
            test_a_shown_ua_command_exists_with_its_options("made up", words)


def test_only_a_block_right_after_the_marker_is_a_fragment(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        f"Text.\n\n{FRAGMENT}\n```python\nreturn early\n```\n\n"
        "```python\nraise SystemExit('runs')\n```\n\n- a list item:\n\n  ```python\n  x = 1\n  ```\n"
    )
    blocks = python_blocks(page)
    assert [(b.fragment, b.source.strip()) for b in blocks] == [
        (True, "return early"),
        (False, "raise SystemExit('runs')"),
        (False, "x = 1"),
    ]
    namespace: dict[str, Any] = {}
    with pytest.raises(SystemExit):
        run_block(blocks[1], namespace)
    run_block(Block(page, 1, "import asyncio\nawait asyncio.sleep(0)\ny = 2", False), namespace)
    assert namespace["y"] == 2
