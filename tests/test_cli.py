import socket

from typer.testing import CliRunner

from unified_accounting.cli import build_app


def test_providers_lists_plugins_with_version_and_capabilities() -> None:
    result = CliRunner().invoke(build_app(), ["providers"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    row = next(line for line in result.output.splitlines() if "ledgerly" in line)
    assert "Ledgerly" in row and "0.3.1" in row and "ua-ledgerly" in row
    assert "payment: create get list" in result.output


def test_sandbox_for_an_unknown_provider_exits_cleanly() -> None:
    result = CliRunner().invoke(build_app(), ["sandbox", "nope"])
    assert result.exit_code == 2
    assert "no provider named 'nope'" in result.output


def test_sandbox_flags_and_options_become_emulator_options() -> None:
    from ua_ledgerly.emulator import COMMAND

    from unified_accounting.emulation.command import parse

    argv = [
        "--port",
        "9000",
        "--no-limits",
        "--latency-ms",
        "40",
        "-o",
        'companies=["a","b"]',
        "-o",
        "client_id=x",
    ]
    invocation = parse(argv, prog="ua sandbox ledgerly", command=COMMAND)
    assert (invocation.host, invocation.port) == ("127.0.0.1", 9000)
    assert invocation.options == {
        "companies": ["a", "b"],
        "client_id": "x",
        "limits": False,
        "latency_ms": 40.0,
        "seed": 1,
    }


def test_sandbox_refuses_an_unknown_option_briefly_listing_the_valid_ones() -> None:
    result = CliRunner().invoke(build_app(), ["sandbox", "quickbooks", "-o", "sede=1"])
    assert result.exit_code == 2
    assert "unknown emulator option 'sede' (did you mean 'seed'?)" in result.output
    assert "valid options: " in result.output and "invoices" in result.output
    assert "Traceback" not in result.output


def test_sandbox_refuses_an_unknown_flag() -> None:
    result = CliRunner().invoke(build_app(), ["sandbox", "xero", "--no-such-flag"])
    assert result.exit_code == 2
    assert "unrecognized arguments: --no-such-flag" in result.output


def test_sandbox_checks_the_port_before_printing_its_banner() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(build_app(), ["sandbox", "ledgerly", "--port", str(port)])
    assert result.exit_code == 2
    assert f"127.0.0.1:{port} is not available" in result.output
    assert "emulator on" not in result.output


def test_sandbox_help_lists_the_shared_and_the_provider_flags() -> None:
    result = CliRunner().invoke(build_app(), ["sandbox", "quickbooks", "--help"])
    assert result.exit_code == 0
    for flag in (
        "--port",
        "--seed",
        "--no-limits",
        "--latency-ms",
        "--clock",
        "--invoices",
        "--realms",
        "-o",
    ):
        assert flag in result.output
    assert "--no-rate-limits" not in result.output  # the old Xero spelling still works, unadvertised
