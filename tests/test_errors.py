"""One error tree, drawn in the errors module docstring, carrying the provider's details."""

from __future__ import annotations

import pytest

import unified_accounting
from unified_accounting import errors

TREE = {
    "ConfigurationError": "UnifiedAccountingError",
    "UnsupportedOperation": "UnifiedAccountingError",
    "ValidationFailed": "UnifiedAccountingError",
    "ProviderError": "UnifiedAccountingError",
    "AuthenticationError": "ProviderError",
    "ReauthorizationRequired": "AuthenticationError",
    "PermissionDenied": "ProviderError",
    "NotFound": "ProviderError",
    "Conflict": "ProviderError",
    "DuplicateRecord": "ProviderError",
    "RateLimited": "ProviderError",
    "ProviderUnavailable": "ProviderError",
}


@pytest.mark.parametrize(("name", "parent"), TREE.items())
def test_tree_shape_and_exports(name: str, parent: str) -> None:
    cls = getattr(unified_accounting, name)
    assert cls is getattr(errors, name)
    assert getattr(errors, parent) in cls.__mro__[1:]
    assert name in unified_accounting.__all__
    assert name in (errors.__doc__ or ""), f"{name} is missing from the tree drawn in the docstring"


def test_provider_error_keeps_every_detail() -> None:
    error = errors.Conflict(
        "Stale Object Error",
        provider="quickbooks",
        status_code=400,
        code="5010",
        detail="You and someone else edited it",
        request_id="tid-1",
        raw={"Fault": {}},
    )
    assert (error.provider, error.status_code, error.code, error.request_id) == (
        "quickbooks",
        400,
        "5010",
        "tid-1",
    )
    assert error.raw == {"Fault": {}} and error.retriable is False
    assert "request_id=tid-1" in str(error) and "code=5010" in str(error)


def test_retriable_defaults() -> None:
    assert errors.RateLimited("slow down", retry_after=3).retriable
    assert errors.RateLimited("slow down").retry_after is None
    assert errors.ProviderUnavailable("down").retriable
    assert not errors.NotFound("gone").retriable
    assert errors.ProviderError("odd", retriable=True).retriable


def test_validation_failed_names_fields() -> None:
    error = errors.ValidationFailed(
        "invalid invoice",
        issues=[errors.FieldIssue("line_items.0.item_id", "required"), errors.FieldIssue(None, "x")],
    )
    assert "line_items.0.item_id: required" in str(error)
    assert error.issues[0].field == "line_items.0.item_id"


def test_unsupported_operation_names_provider_and_operation() -> None:
    error = errors.UnsupportedOperation("xero", "send", "payment")
    assert str(error) == "provider 'xero' does not support send on 'payment'"


def test_a_detail_added_after_construction_shows_in_the_message() -> None:
    """Providers add what they learnt to an error they caught (QuickBooks: the fields a conflicting
    edit changed) before raising it again: the message must carry it."""
    conflict = errors.Conflict("Stale Object Error", provider="quickbooks", code="5010")
    conflict.detail = "changed meanwhile: memo, due_date"
    assert "(changed meanwhile: memo, due_date)" in str(conflict)
    assert str(conflict).startswith("Stale Object Error (changed meanwhile")
    refused = errors.ValidationFailed("invalid Invoice", issues=[errors.FieldIssue("due_date", "too early")])
    refused.request_id = "tid-9"
    assert str(refused) == "invalid Invoice [request_id=tid-9]: due_date: too early"


def test_renamed_classes_keep_their_old_names() -> None:
    from unified_accounting import models, provider

    assert unified_accounting.ChangeEvent is unified_accounting.WebhookEvent is models.ChangeEvent
    assert unified_accounting.ChangeSet is unified_accounting.ChangeFeedResult is provider.ChangeSet
