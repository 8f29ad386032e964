"""Every exception the library raises, in one tree.

::

    UnifiedAccountingError              anything raised on purpose by this library
    ├── ConfigurationError              bad settings, unknown provider, no such connection
    ├── UnsupportedOperation            the provider cannot do this (names provider and operation)
    ├── ValidationFailed                a record is not acceptable (before any HTTP call, or as the
    │                                   provider's validation answer); ``.issues`` names each field
    └── ProviderError                   the provider answered with an error, or could not be reached
        ├── AuthenticationError         credentials refused (401); a refresh may help
        │   └── ReauthorizationRequired the user must connect again (``invalid_grant``, revoked)
        ├── PermissionDenied            authenticated but not allowed (403, wrong company/tenant)
        ├── NotFound                    no such record
        ├── Conflict                    stale ``row_version``: someone changed the record first
        ├── DuplicateRecord             a unique name or number is already used
        ├── RateLimited                 too many calls; ``.retry_after`` seconds (retriable)
        ├── ProviderUnavailable         5xx, timeouts, connection failures (retriable)
        └── DecodeFailed                an answer or one record in it could not be read into the
                                        unified model; ``.raw`` holds the provider's payload

Every error that comes from a provider answer keeps the provider's ``code``, ``message``,
``detail``, HTTP ``status_code``, ``request_id`` (what the provider's support asks for) and ``raw``
body, and says through ``retriable`` whether trying again later can help.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


class UnifiedAccountingError(Exception):
    """Base of every error raised on purpose by unified-accounting."""


class ConfigurationError(UnifiedAccountingError):
    """Settings are missing or wrong; the message says which and how to fix it."""


class UnsupportedOperation(UnifiedAccountingError):
    """The provider does not offer this operation on this resource."""

    def __init__(self, provider: str, operation: str, resource: str | None = None) -> None:
        self.provider = provider
        self.operation = operation
        self.resource = resource
        target = f"{operation} on {resource!r}" if resource else operation
        super().__init__(f"provider {provider!r} does not support {target}")


@dataclass(frozen=True)
class FieldIssue:
    """One reason a record was refused, attached to a field path such as ``line_items.0.quantity``."""

    field: str | None
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


class _ProviderDetails:
    """Attributes shared by errors that may come from a provider's answer."""

    provider: str | None
    status_code: int | None
    code: str | None
    message: str
    detail: str | None
    request_id: str | None
    retriable: bool
    raw: Any

    def _set_details(
        self,
        message: str,
        *,
        provider: str | None,
        status_code: int | None,
        code: str | None,
        detail: str | None,
        request_id: str | None,
        retriable: bool,
        raw: Any,
    ) -> None:
        self.message = message
        self.provider = provider
        self.status_code = status_code
        self.code = code
        self.detail = detail
        self.request_id = request_id
        self.retriable = retriable
        self.raw = raw

    def __str__(self) -> str:
        """The message with the details as they are now: a provider may add a detail to an error it
        caught (QuickBooks names the fields a conflicting edit changed) before raising it again."""
        text = self._describe()
        issues: Sequence[FieldIssue] = getattr(self, "issues", ())
        if issues:
            text += ": " + "; ".join(str(issue) for issue in issues)
        return text

    def _describe(self) -> str:
        parts = [self.message]
        if self.detail and self.detail != self.message:
            parts.append(f"({self.detail})")
        context = [
            f"{name}={value}"
            for name, value in (
                ("provider", self.provider),
                ("status", self.status_code),
                ("code", self.code),
                ("request_id", self.request_id),
            )
            if value is not None
        ]
        if context:
            parts.append("[" + ", ".join(context) + "]")
        return " ".join(parts)


class ValidationFailed(_ProviderDetails, UnifiedAccountingError):
    """A record is not acceptable, for the target provider or in general.

    Raised before any HTTP call when the library can tell, or mapped from the provider's own
    validation answer (then ``provider``, ``code`` and ``request_id`` are set). ``issues`` lists
    every reason, each naming its field where known.
    """

    def __init__(
        self,
        message: str,
        *,
        issues: Sequence[FieldIssue] = (),
        provider: str | None = None,
        status_code: int | None = None,
        code: str | None = None,
        detail: str | None = None,
        request_id: str | None = None,
        raw: Any = None,
    ) -> None:
        self.issues = list(issues)
        self._set_details(
            message,
            provider=provider,
            status_code=status_code,
            code=code,
            detail=detail,
            request_id=request_id,
            retriable=False,
            raw=raw,
        )
        super().__init__(str(self))


class ProviderError(_ProviderDetails, UnifiedAccountingError):
    """The provider answered with an error, or could not be reached."""

    #: Whether trying again later can succeed, unless the instance says otherwise.
    default_retriable = False

    def __init__(
        self,
        message: str,
        *,
        provider: str | None = None,
        status_code: int | None = None,
        code: str | None = None,
        detail: str | None = None,
        request_id: str | None = None,
        retriable: bool | None = None,
        raw: Any = None,
    ) -> None:
        self._set_details(
            message,
            provider=provider,
            status_code=status_code,
            code=code,
            detail=detail,
            request_id=request_id,
            retriable=self.default_retriable if retriable is None else retriable,
            raw=raw,
        )
        super().__init__(str(self))


class AuthenticationError(ProviderError):
    """The provider refused the credentials. A token refresh may help; see ReauthorizationRequired."""


class ReauthorizationRequired(AuthenticationError):
    """The grant is gone (``invalid_grant``, revoked, expired): the user must connect again."""


class PermissionDenied(ProviderError):
    """Authenticated, but not allowed to do this (missing scope, wrong company or tenant)."""


class NotFound(ProviderError):
    """The record does not exist at the provider (or is not visible to this connection)."""


class Conflict(ProviderError):
    """The record changed since the ``row_version`` given: re-read it and apply the change again."""


class DuplicateRecord(ProviderError):
    """A value that must be unique (a name, a document number) is already used."""


class RateLimited(ProviderError):
    """Too many calls. ``retry_after`` says how many seconds to wait, when the provider said."""

    default_retriable = True

    def __init__(self, message: str, *, retry_after: float | None = None, **details: Any) -> None:
        self.retry_after = retry_after
        super().__init__(message, **details)


class ProviderUnavailable(ProviderError):
    """The provider failed (5xx), timed out or could not be reached. Retrying later may succeed."""

    default_retriable = True


class DecodeFailed(ProviderError):
    """The provider answered something this library cannot read: a body that is not what the API
    documents, or one record that does not map onto the unified model.

    ``raw`` is the provider's payload as received (the record when one record failed), ``resource``
    and ``record_id`` say which record (when known), ``issues`` name the fields that could not be
    read. In a list or a sync such a record does not fail the page: it is reported in
    ``Page.issues`` / ``ChangeFeedResult.issues`` (see :class:`unified_accounting.RecordIssue`). Not
    retriable: the same answer would fail the same way.
    """

    def __init__(
        self,
        message: str,
        *,
        resource: str | None = None,
        record_id: str | None = None,
        issues: Sequence[FieldIssue] = (),
        **details: Any,
    ) -> None:
        self.resource = resource
        self.record_id = record_id
        self.issues = list(issues)
        super().__init__(message, **details)


__all__ = [
    "AuthenticationError",
    "ConfigurationError",
    "Conflict",
    "DecodeFailed",
    "DuplicateRecord",
    "FieldIssue",
    "NotFound",
    "PermissionDenied",
    "ProviderError",
    "ProviderUnavailable",
    "RateLimited",
    "ReauthorizationRequired",
    "UnifiedAccountingError",
    "UnsupportedOperation",
    "ValidationFailed",
]
