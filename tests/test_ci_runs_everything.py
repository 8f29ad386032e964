"""Under CI a skipped test fails the run (issue: CI reported ~400 skips, and a machine without
chromium or PostgreSQL could pass while leaving tests out)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT_CONFTEST = Path(__file__).resolve().parents[1] / "conftest.py"

TESTS = """
import pytest

def test_runs():
    pass

def test_skips():
    pytest.skip("needs chromium: install it with some command")

@pytest.fixture
def missing():
    pytest.skip("fixture cannot be had")

def test_skips_in_setup(missing):
    pass

@pytest.mark.xfail(reason="known", strict=True)
def test_expected_failure():
    assert False
"""


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeconftest(ROOT_CONFTEST.read_text())
    pytester.makepyfile(test_sample=TESTS)
    return pytester


def test_under_ci_a_skip_fails_the_run_with_its_reason(
    suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CI", "true")
    result = suite.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=1, failed=1, errors=1, xfailed=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            "*skipped under CI (CI=true), where every test must run: Skipped: needs chromium*",
            "*skipped under CI (CI=true), where every test must run: Skipped: fixture cannot be had*",
        ]
    )


def test_under_ci_a_skipped_module_fails_the_run(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makeconftest(ROOT_CONFTEST.read_text())
    pytester.makepyfile(test_gone="import pytest\npytest.importorskip('no_such_module_here')\n")
    monkeypatch.setenv("CI", "true")
    result = pytester.runpytest("-p", "no:randomly")
    assert result.ret != pytest.ExitCode.OK
    result.stdout.fnmatch_lines(["*skipped under CI*no_such_module_here*"])


def test_outside_ci_a_skip_stays_a_skip(suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    result = suite.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=1, skipped=2, xfailed=1)
    assert result.ret == pytest.ExitCode.OK


def test_a_test_that_cannot_run_in_this_mode_is_deselected_not_skipped(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Recording cassettes against a real provider leaves out what only an emulator can stage.
    pytester.makeconftest(ROOT_CONFTEST.read_text())
    pytester.makepyfile(
        test_modes="""
import pytest

@pytest.mark.deselect_if(True, reason="needs the emulator to stage this answer")
def test_emulator_only():
    raise AssertionError("ran in a mode it cannot run in")

@pytest.mark.deselect_if(False, reason="not this time")
def test_runs_here():
    pass
"""
    )
    monkeypatch.setenv("CI", "true")
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=1, deselected=1)
    assert result.ret == pytest.ExitCode.OK
