"""One command line for every emulator (``python -m <provider>.emulator`` and ``ua sandbox``)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from unified_accounting_quickbooks.emulator.command import COMMAND as QUICKBOOKS
from unified_accounting_xero.emulator.command import COMMAND as XERO

from unified_accounting.emulation.command import EmulatorCommand, PortInUse, bind, build, parse


def test_shared_flags_have_the_same_names_for_every_emulator() -> None:
    argv = [
        "--seed",
        "7",
        "--no-limits",
        "--latency-ms",
        "150",
        "--error-rate",
        "0.1",
        "--clock",
        "2025-01-02T03:04:05Z",
    ]
    expected = {
        "seed": 7,
        "limits": False,
        "latency_ms": 150.0,
        "error_rate": 0.1,
        "start_time": datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC),
    }
    assert parse(argv, prog="qbo", command=QUICKBOOKS).options == expected
    assert parse(argv, prog="xero", command=XERO).options == expected


def test_defaults_and_provider_flags() -> None:
    quickbooks = parse(["--invoices", "500", "--realms", "2"], prog="qbo", command=QUICKBOOKS)
    assert (quickbooks.host, quickbooks.port) == ("127.0.0.1", 8765)
    assert quickbooks.options == {"invoices": 500, "realms": 2, "seed": 1}
    assert parse(["--seed", "none"], prog="qbo", command=QUICKBOOKS).options == {"seed": None}
    xero = parse(
        ["--tenants", "3", "--no-rate-limits", "--webhook-url", "http://127.0.0.1:9/hook"],
        prog="x",
        command=XERO,
    )
    assert xero.options == {
        "tenants": 3,
        "limits": False,
        "webhook_url": "http://127.0.0.1:9/hook",
        "webhook_delay_s": 1.0,
        "seed": 1,
    }


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["-o", "sede=1"], "unknown emulator option 'sede' (did you mean 'seed'?); valid options:"),
        (["-o", "novalue"], "expected NAME=VALUE"),
        (["--tenants", "2"], "unrecognized arguments: --tenants 2"),
        (["--port", "70000"], "--port must be between 0 and 65535"),
        (["--clock", "2025-01-01T00:00:00"], "--clock"),
    ],
)
def test_bad_command_lines_exit_2_with_one_line(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        parse(argv, prog="qbo", command=QUICKBOOKS)
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_an_emulator_outside_the_kit_gets_the_given_flags_only() -> None:
    seen: dict[str, Any] = {}

    def create(**options: Any) -> Any:
        seen.update(options)
        return object()

    command = EmulatorCommand(title="Other", create=create)
    invocation = parse(["--latency-ms", "5", "-o", "mode=fast"], prog="ua sandbox other", command=command)
    assert invocation.options == {"mode": "fast", "latency_ms": 5.0}  # no seed default: unknown to us
    build(command, invocation, 8765)
    assert seen == {"mode": "fast", "latency_ms": 5.0}


def test_a_served_xero_accepts_a_callback_on_its_own_address() -> None:
    app = build(XERO, parse(["--port", "9123"], prog="x", command=XERO), 9123)
    assert "http://127.0.0.1:9123/callback" in app.state.emulator.options.redirect_uris


def test_a_taken_port_is_reported() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(PortInUse, match=f"127.0.0.1:{port} is not available"):
            bind("127.0.0.1", port)


@pytest.mark.integration
@pytest.mark.parametrize(
    ("module", "flags", "check"),
    [
        ("unified_accounting_quickbooks.emulator", ["--invoices", "3"], "quickbooks"),
        ("unified_accounting_xero.emulator", ["--invoices", "4", "--no-rate-limits"], "xero"),
    ],
)
def test_python_dash_m_serves_the_emulator(module: str, flags: list[str], check: str) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", module, "--port", "0", "--clock", "2025-01-01T00:00:00Z", *flags],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        banner = process.stdout.readline()
        assert "emulator on http://127.0.0.1:" in banner, banner + (
            process.stderr.read() if process.stderr else ""
        )
        base_url = banner.split("emulator on ")[1].split(" ")[0]
        state = httpx.post(f"{base_url}/_emulator/advance", params={"seconds": "60"}, timeout=10).json()
        assert state == {"now": "2025-01-01T00:01:00+00:00"}
        tokens = httpx.post(f"{base_url}/_emulator/tokens", timeout=10).json()
        if check == "quickbooks":
            query = {"query": "select count(*) from Invoice"}
            answer = httpx.get(
                f"{base_url}/v3/company/{tokens['realm_id']}/query",
                params=query,
                headers={"Authorization": f"Bearer {tokens['access_token']}", "Accept": "application/json"},
                timeout=10,
            )
            assert answer.json()["QueryResponse"]["totalCount"] == 3
        else:
            answer = httpx.get(
                f"{base_url}/api.xro/2.0/Invoices",
                headers={
                    "Authorization": f"Bearer {tokens['access_token']}",
                    "Accept": "application/json",
                    "xero-tenant-id": tokens["tenant_ids"][0],
                },
                timeout=10,
            )
            assert len(answer.json()["Invoices"]) == 4
        assert json.dumps(tokens)  # the control route answers plain JSON
    finally:
        process.terminate()
        process.wait(timeout=10)
