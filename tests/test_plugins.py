"""Discovery through entry points, the provider registry, and the hooks."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest
from ua_ledgerly.provider import LedgerlyProvider

import unified_accounting
from unified_accounting import ConfigurationError, Provider, hookimpl
from unified_accounting.plugins import ProviderRegistry, get_plugin_manager


class Duplicate:
    @hookimpl
    def ua_register_providers(self) -> list[Provider]:
        return [LedgerlyProvider()]


def test_entry_point_provider_from_outside_core_is_discovered() -> None:
    info = {i.name: i for i in unified_accounting.list_providers()}["ledgerly"]
    assert info.distribution == "ua-ledgerly" and info.version == "0.3.1"
    assert info.capability_summary()["payment"] == ["create", "get", "list"]
    assert isinstance(unified_accounting.get_provider("ledgerly"), LedgerlyProvider)


def test_duplicate_names_fail_at_start_up_naming_both_plugins() -> None:
    manager = get_plugin_manager(plugins=[Duplicate()])
    with pytest.raises(ConfigurationError) as caught:
        ProviderRegistry(manager)
    message = str(caught.value)
    assert (
        "'ledgerly' is registered twice" in message
        and "ua-ledgerly" in message
        and "uninstall one" in message
    )


@pytest.mark.parametrize(
    ("registered", "expected"),
    [(object(), "not a unified_accounting.Provider"), ("x", "not a unified_accounting.Provider")],
)
def test_registering_a_non_provider_fails(registered: Any, expected: str) -> None:
    class Bad:
        @hookimpl
        def ua_register_providers(self) -> list[Any]:
            return [registered]

    with pytest.raises(ConfigurationError, match=expected):
        ProviderRegistry(get_plugin_manager(load_entry_points=False, plugins=[Bad()]))


def test_provider_names_are_checked() -> None:
    class Shouty(LedgerlyProvider):
        name = "Bad Name"

    class Plugin:
        @hookimpl
        def ua_register_providers(self) -> list[Provider]:
            return [Shouty()]

    with pytest.raises(ConfigurationError, match="lower-case"):
        ProviderRegistry(get_plugin_manager(load_entry_points=False, plugins=[Plugin()]))


def test_unknown_provider_lists_what_is_installed() -> None:
    with pytest.raises(
        ConfigurationError, match=r"no provider named 'nope' is installed \(installed: .*ledgerly"
    ):
        unified_accounting.get_provider("nope")


@pytest.mark.integration
def test_import_has_no_global_side_effects() -> None:
    code = (
        "import unified_accounting, unified_accounting.plugins as p;"
        "assert p.default_registry.cache_info().currsize == 0;"
        "import importlib.metadata as m; print('ok')"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_each_call_builds_a_fresh_plugin_manager() -> None:
    assert get_plugin_manager() is not get_plugin_manager()
