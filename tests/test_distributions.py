"""What users install is theirs (issue: ``ua providers`` and the connect page listed the test plugin
"ledgerly", ``uv run ua demo`` installed the whole development toolchain, and the distributions
had never been built).

The demo's environment holds runtime dependencies only; the test plugin registers nothing outside
the test suite; the three distributions build as wheels and sdists that carry their type marker
and entry points and nothing of the test plugin.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: Distributions users install: (distribution, package) of the library and the two providers.
DISTRIBUTIONS = {
    "unified_accounting": "unified_accounting",
    "unified_accounting_quickbooks": "unified_accounting_quickbooks",
    "unified_accounting_xero": "unified_accounting_xero",
}
DEVELOPMENT_TOOLS = {
    "pytest",
    "playwright",
    "mypy",
    "ruff",
    "mkdocs-material",
    "import-linter",
    "vcrpy",
    "pgserver",
    "ua-ledgerly",
}


def uv() -> list[str]:
    found = shutil.which("uv")
    assert found, "uv is not on PATH: the README's commands install it with 'python3 -m pip install uv'"
    return [found]


def test_the_demo_installs_runtime_dependencies_only() -> None:
    # `uv run ua demo` installs the project and its default groups: exactly what this exports.
    exported = subprocess.run(
        [*uv(), "export", "--frozen", "--no-hashes", "--no-header", "--no-annotate"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    names = {line.split("==")[0].split(";")[0].strip() for line in exported.splitlines()}
    assert "-e ./providers/quickbooks" in names and "-e ./providers/xero" in names
    assert not DEVELOPMENT_TOOLS & names, f"the demo would install {sorted(DEVELOPMENT_TOOLS & names)}"
    assert not any("ledgerly" in name for name in names)


def test_the_readme_test_command_asks_for_the_dev_group() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "dev" not in project["tool"]["uv"]["default-groups"]
    readme = (ROOT / "README.md").read_text()
    assert "python3 -m pip install uv && uv run --group dev pytest" in readme
    assert "python3 -m pip install uv && uv run ua demo" in readme
    assert "python3 -m pip install uv && uv run --group dev pytest" in (ROOT / ".ci" / "run").read_text()


@pytest.mark.integration
def test_ua_providers_outside_the_test_suite_does_not_list_the_test_plugin() -> None:
    environ = {key: value for key, value in os.environ.items() if key != "UA_TEST_PLUGINS"}
    listed = subprocess.run(
        [sys.executable, "-m", "unified_accounting.cli", "providers"],
        env=environ,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "quickbooks" in listed and "xero" in listed
    assert "ledgerly" not in listed.lower()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [*uv(), "build", "--all-packages", "--out-dir", str(out), "--quiet"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    )
    return out


def _one(directory: Path, pattern: str) -> Path:
    found = sorted(directory.glob(pattern))
    assert len(found) == 1, f"{pattern}: {found}"
    return found[0]


def _entry_points(wheel: zipfile.ZipFile) -> str:
    return wheel.read(next(n for n in wheel.namelist() if n.endswith(".dist-info/entry_points.txt"))).decode()


@pytest.mark.slow
@pytest.mark.integration
@pytest.mark.parametrize("distribution", DISTRIBUTIONS)
def test_each_wheel_is_typed_registered_and_free_of_the_test_plugin(built: Path, distribution: str) -> None:
    package = DISTRIBUTIONS[distribution]
    with zipfile.ZipFile(_one(built, f"{distribution}-*.whl")) as wheel:
        names = wheel.namelist()
        entry_points = _entry_points(wheel)
    assert f"{package}/py.typed" in names
    assert f"{package}/__init__.py" in names
    tops = {name.split("/")[0] for name in names}
    assert tops == {package, next(n.split("/")[0] for n in names if ".dist-info/" in n)}, tops
    assert not any("ledgerly" in name or name.startswith("tests/") for name in names)
    if distribution == "unified_accounting":
        assert "ua = unified_accounting.cli:main" in entry_points
        assert "[pytest11]" in entry_points and "[unified_accounting.schemas]" in entry_points
        assert "unified_accounting/web/templates/connections.html" in names
    else:
        provider = package.removeprefix("unified_accounting_")
        assert "[unified_accounting]" in entry_points
        assert f"{provider} = {package}.plugin" in entry_points


@pytest.mark.slow
@pytest.mark.integration
@pytest.mark.parametrize("distribution", DISTRIBUTIONS)
def test_each_sdist_holds_its_own_package_only(built: Path, distribution: str) -> None:
    import tarfile

    with tarfile.open(_one(built, f"{distribution}-*.tar.gz")) as sdist:
        names = [name.split("/", 1)[1] for name in sdist.getnames() if "/" in name]
    package = DISTRIBUTIONS[distribution]
    assert f"{package}/py.typed" in names and "pyproject.toml" in names
    assert not any("ledgerly" in name for name in names)
    others = set(DISTRIBUTIONS.values()) - {package}
    assert not any(name.split("/")[0] in others or name.startswith("providers/") for name in names)
