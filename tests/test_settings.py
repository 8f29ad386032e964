"""Provider settings always end up in the provider's own settings model."""

from __future__ import annotations

import pytest
from pydantic import SecretStr
from unified_accounting_quickbooks import QuickBooksSettings
from unified_accounting_xero.settings import XeroSettings

from unified_accounting import AsyncClient, ConfigurationError, ProviderSettings
from unified_accounting.plugins import get_provider
from unified_accounting.settings import resolve_settings

pytestmark = pytest.mark.anyio


def test_plain_settings_are_validated_into_the_providers_model() -> None:
    """A plain ``ProviderSettings`` used to reach the provider as it was, so the provider's own
    fields were missing and each provider converted it again on every call."""
    given = ProviderSettings(client_id="app", client_secret=SecretStr("s"), environment="sandbox")
    resolved = resolve_settings(get_provider("xero"), given, {})
    assert type(resolved) is XeroSettings
    assert (resolved.client_id, resolved.environment, resolved.page_size) == ("app", "sandbox", 100)
    assert resolved.client_secret is not None and resolved.client_secret.get_secret_value() == "s"


def test_the_providers_own_settings_object_is_kept_as_given() -> None:
    given = XeroSettings(client_id="app", page_size=10)
    assert resolve_settings(get_provider("xero"), given, {"UA_XERO_PAGE_SIZE": "20"}) is given


def test_another_providers_settings_are_refused_naming_the_field() -> None:
    with pytest.raises(ConfigurationError, match="default_item_id") as refused:
        resolve_settings(get_provider("xero"), QuickBooksSettings(default_item_id="1"), {})
    assert "accepted fields" in str(refused.value)


async def test_a_client_given_plain_settings_hands_the_provider_its_model() -> None:
    async with AsyncClient(providers={"quickbooks": ProviderSettings(client_id="app")}, environ={}) as client:
        settings = client.settings_for("quickbooks")
    assert type(settings) is QuickBooksSettings and settings.client_id == "app"
