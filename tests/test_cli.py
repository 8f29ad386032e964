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


def test_sandbox_options_are_parsed() -> None:
    from unified_accounting.cli.app import _parse_options

    assert _parse_options(["seed=3", 'realms=["1","2"]', "name=demo"]) == {
        "seed": 3,
        "realms": ["1", "2"],
        "name": "demo",
    }
