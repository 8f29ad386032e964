"""Reading provider records one at a time, so that one record that cannot be read never fails a page.

Codecs are pure and may raise anything on a payload they cannot map (pydantic's ``ValidationError``,
``ValueError`` from a date, ``KeyError``, ``TypeError`` on an odd shape). At the boundary between a
provider's answer and the caller every such failure becomes a :class:`~unified_accounting.errors.
DecodeFailed` carrying the raw payload:

* a single read (``get``, a write's answer) raises it;
* a list page or a change feed keeps the records that decoded and reports each one that did not as a
  :class:`RecordIssue` (``Page.issues``, ``ChangeFeedResult.issues``), with its id when the payload names one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import ValidationError

from . import jsonutil
from .errors import DecodeFailed, FieldIssue, UnifiedAccountingError

T = TypeVar("T")
Row = TypeVar("Row")


@dataclass(frozen=True)
class RecordIssue:
    """One record of a page or change feed that could not be read into the unified model."""

    resource: str
    #: The provider's id of the record, when its payload names one.
    record_id: str | None
    #: The error a single read of the record raises (``.issues`` names the fields, ``.raw`` the payload).
    error: DecodeFailed

    @property
    def raw(self) -> Any:
        """The record as the provider sent it."""
        return self.error.raw

    def __str__(self) -> str:
        return str(self.error)


def _field_issues(exc: BaseException) -> list[FieldIssue]:
    if isinstance(exc, ValidationError):
        return [
            FieldIssue(".".join(str(p) for p in item["loc"]) or None, item["msg"]) for item in exc.errors()
        ]
    return [FieldIssue(None, f"{type(exc).__name__}: {exc}")]


def readable_raw(payload: Any) -> Any:
    """The payload in the form kept on the error: a mapping when it is JSON, else what was received."""
    if isinstance(payload, bytes | bytearray | memoryview):
        try:
            parsed = jsonutil.loads(bytes(payload))
        except ValueError:
            return bytes(payload)
        return parsed
    return payload


def decode_failure(
    provider: str,
    resource: str,
    payload: Any,
    exc: BaseException,
    *,
    record_id: str | None = None,
) -> DecodeFailed:
    """The :class:`DecodeFailed` for ``exc``, raised while reading ``payload`` as a ``resource``."""
    if isinstance(exc, DecodeFailed):
        return exc
    target = f"{provider} {resource}" + (f" {record_id!r}" if record_id else "")
    return DecodeFailed(
        f"cannot read the {target} into the unified model",
        provider=provider,
        resource=resource,
        record_id=record_id,
        issues=_field_issues(exc),
        raw=readable_raw(payload),
    )


def id_in(payload: Any, *keys: str) -> str | None:
    """The first of ``keys`` that ``payload`` (a mapping) holds as a non-empty value, as text."""
    if isinstance(payload, Mapping):
        for key in keys:
            value = payload.get(key)
            if value not in (None, ""):
                return str(value)
    return None


def decode_one(
    provider: str,
    resource: str,
    payload: Any,
    decode: Callable[[Any], T],
    *,
    record_id: str | None = None,
) -> T:
    """``decode(payload)``, with any failure raised as :class:`DecodeFailed` (errors of the tree pass)."""
    try:
        return decode(payload)
    except UnifiedAccountingError:
        raise
    except Exception as exc:  # a pure codec's every failure means "this payload cannot be read"
        raise decode_failure(provider, resource, payload, exc, record_id=record_id) from exc


def decode_each(
    provider: str,
    resource: str,
    rows: Iterable[Row],
    decode: Callable[[Row], T],
    record_id: Callable[[Row], str | None],
) -> tuple[list[T], list[RecordIssue]]:
    """Every row decoded, in order; a row that fails becomes a :class:`RecordIssue` instead."""
    records: list[T] = []
    issues: list[RecordIssue] = []
    for row in rows:
        try:
            records.append(decode(row))
        except Exception as exc:
            rid = record_id(row)
            error = decode_failure(provider, resource, row, exc, record_id=rid)
            issues.append(RecordIssue(resource, rid, error))
    return records, issues


__all__ = ["RecordIssue", "decode_each", "decode_failure", "decode_one", "id_in", "readable_raw"]
