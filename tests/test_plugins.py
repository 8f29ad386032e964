"""Discovery through entry points, the provider registry, and the hooks."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest
from ua_ledgerly.provider import LedgerlyProvider

import unified_accounting
from unified_accounting import RESOURCES, ConfigurationError, Invoice, Provider, capabilities, hookimpl
from unified_accounting.models import RecordMeta
from unified_accounting.plugins import ProviderRegistry, declaration_problems, get_plugin_manager


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


# ------------------------------------------------------------------ declarations vs the catalog


def register(provider: Provider) -> ProviderRegistry:
    class Plugin:
        @hookimpl
        def ua_register_providers(self) -> list[Provider]:
            return [provider]

    return ProviderRegistry(get_plugin_manager(load_entry_points=False, plugins=[Plugin()]))


def variant(**attributes: Any) -> Provider:
    """A Ledgerly provider under another name with some declarations replaced."""
    return type("Variant", (LedgerlyProvider,), {"name": "variant", **attributes})()  # type: ignore[no-any-return]


def test_the_installed_providers_pass_the_declaration_checks() -> None:
    assert {"ledgerly", "quickbooks", "xero"} <= {info.name for info in unified_accounting.list_providers()}
    assert declaration_problems(LedgerlyProvider()) == []


def test_an_operation_the_catalog_does_not_define_on_a_resource_is_refused() -> None:
    with pytest.raises(ConfigurationError) as caught:
        register(variant(capabilities=capabilities(payment="create get send", tax_rate="get void")))
    message = str(caught.value)
    assert "registered provider 'variant'" in message
    assert "send on 'payment'" in message and "void on 'tax_rate'" in message
    assert "it defines: create get list update delete void" in message


def test_an_unknown_resource_needs_the_providers_own_model() -> None:
    with pytest.raises(ConfigurationError) as caught:
        register(variant(capabilities=capabilities(widget="get list")))
    message = str(caught.value)
    assert "'widget', which is not a unified resource" in message
    assert ", ".join(RESOURCES) in message
    assert "Variant.models" in message

    class Widget(RecordMeta):
        name: str

    registry = register(variant(capabilities=capabilities(widget="get list"), models={"widget": Widget}))
    provider = registry.get("variant")
    assert provider.model_for("widget") is Widget
    assert provider.model_for("invoice") is Invoice
    with pytest.raises(ConfigurationError, match="variant's own: widget"):
        provider.model_for("gadget")


def test_a_unified_resource_keeps_the_catalogs_model() -> None:
    class MyInvoice(RecordMeta):
        pass

    with pytest.raises(ConfigurationError, match="whose model is Invoice: remove it from models"):
        register(variant(models={"invoice": MyInvoice}))
    with pytest.raises(ConfigurationError, match="not a RecordMeta subclass"):
        register(variant(capabilities=capabilities(widget="get"), models={"widget": dict}))


def test_list_filters_must_be_declared_for_the_resource() -> None:
    with pytest.raises(
        ConfigurationError, match=r"list_filters name status for 'customer'.*take only updated_since"
    ):
        register(variant(list_filters={"customer": frozenset({"status"})}))


def test_list_sorts_must_be_sort_keys_of_the_resource() -> None:
    with pytest.raises(ConfigurationError) as caught:
        register(
            variant(list_sorts={"invoice": frozenset({"-number", "total"}), "customer": frozenset({"id"})})
        )
    message = str(caught.value)
    assert (
        "list_sorts name -number, total for 'invoice', "
        "whose lists sort only by updated_at, issue_date, number" in message
    )
    assert "list_sorts name id for 'customer', whose lists sort only by nothing" in message
    register(variant(list_sorts={"invoice": frozenset({"number", "issue_date"})}))


def test_field_support_names_real_fields_and_one_of_four_kinds() -> None:
    with pytest.raises(ConfigurationError) as caught:
        register(
            variant(
                field_support={
                    "invoice": {
                        "line_items.discount_amount": ("refused", "use a discount line"),
                        "line_items.discount": ("refused", "no such field"),
                        "memo": ("ignored", "not a kind"),
                        "reference": ("refused", ""),
                        "total": "computed",
                        "billing_address.contact_name": ("mapped", "kept in line1"),
                    },
                    "widget": {"name": ("stored", "")},
                }
            )
        )
    problems = str(caught.value)
    assert "field_support['invoice']['line_items.discount'] names no field of Invoice" in problems
    assert (
        "field_support['invoice']['memo'] has kind 'ignored': use one of stored, computed, refused, mapped"
        in problems
    )
    assert "field_support['invoice']['reference'] is refused without a note" in problems
    assert "field_support['invoice']['total'] must be a (kind, note) pair" in problems
    assert (
        "field_support names 'widget', which is neither a unified resource nor in Variant.models" in problems
    )
    assert "discount_amount" not in problems and "contact_name" not in problems
    register(variant(field_support={"customer": {"parent_id": ("refused", "no sub-customers here")}}))


def test_a_provider_needs_a_codec_the_core_can_read_through() -> None:
    class OldCodec:
        def decode(self, resource: str, payload: Any, include_raw: bool = False) -> Any: ...

        def decode_list(self, resource: str, body: bytes, include_raw: bool = False) -> list[Any]: ...

        def encode(self, model: RecordMeta) -> dict[str, Any]: ...

    class NoPageDecode(LedgerlyProvider):
        name = "variant"

        def __init__(self) -> None:
            self.codec = OldCodec()  # type: ignore[assignment]

    with pytest.raises(ConfigurationError, match=r"codec must be a Codec .*decode_page"):
        register(NoPageDecode())
