"""A base for codecs that map one provider record at a time (what most providers do).

A :class:`RecordCodec` subclass says three things per resource — the unified fields of one
provider record (:meth:`~RecordCodec.fields`), where the records of a list answer are
(:meth:`~RecordCodec.rows`) and the provider's JSON for a model (:meth:`~RecordCodec.encode`) — and
gets the whole :class:`~unified_accounting.provider.Codec` contract from it:

* models are built with the provider context (input-only rules do not apply to a provider's books:
  see :mod:`unified_accounting.models.context`), from the catalog's model of the resource or the
  codec's own :attr:`~RecordCodec.models` for provider-specific resources;
* ``include_raw`` keeps the payload the record was read from in ``raw``;
* every failure becomes ``DecodeFailed`` naming the record (``decode``) or a ``RecordIssue``
  (``decode_page``), so one odd record never fails a page.

Providers with a faster way to read a whole page (QuickBooks decodes invoice pages straight from
the bytes) implement the protocol themselves.
"""

from __future__ import annotations

import abc
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from . import jsonutil
from .catalog import RESOURCES
from .decoding import RecordIssue, decode_each, decode_one, id_in
from .models import RecordMeta
from .models.context import from_provider


class RecordCodec(abc.ABC):
    """Subclass it, set :attr:`provider`, and write :meth:`fields`, :meth:`encode` (and
    :meth:`rows` unless list answers are JSON arrays of records)."""

    #: The provider's registry name, for the errors of records that cannot be read.
    provider: ClassVar[str]
    #: The key of a record's id in the provider's JSON (named by ``RecordIssue`` and errors).
    id_key: ClassVar[str] = "id"
    #: Models of the provider's own resources (those the catalog does not declare).
    models: ClassVar[Mapping[str, type[RecordMeta]]] = {}

    # ------------------------------------------------------------------------ what a codec says

    @abc.abstractmethod
    def fields(self, resource: str, data: Mapping[str, Any]) -> Mapping[str, Any]:
        """The unified fields (``raw`` aside) of one provider record of ``resource``.

        Raise anything on a record that cannot be read (``KeyError`` for a missing field is fine):
        it becomes a ``DecodeFailed`` naming the record.
        """

    @abc.abstractmethod
    def encode(self, model: RecordMeta) -> dict[str, Any]:
        """A unified model → the provider's JSON payload (``pass_through`` merged in)."""

    def rows(self, resource: str, body: Any) -> Iterable[Any]:
        """The records of a list answer (response bytes or parsed JSON). By default the answer is
        a JSON array of records; override it for an envelope (``{"data": [...]}``)."""
        data = self.parse(body) if isinstance(body, bytes | bytearray | str) else body
        if not isinstance(data, list):
            raise TypeError(f"a {resource} list answer is a JSON array, not {type(data).__name__}")
        return data

    def parse(self, body: bytes | bytearray | str) -> Any:
        """Response bytes → JSON, every number with a fraction an exact ``Decimal``."""
        return jsonutil.loads(bytes(body) if isinstance(body, bytearray) else body)

    def model(self, resource: str) -> type[RecordMeta]:
        own = self.models.get(resource)
        return own if own is not None else RESOURCES.model(resource)

    def record_id(self, resource: str, data: Any) -> str | None:
        return id_in(data, self.id_key)

    # -------------------------------------------------------------------------- the protocol

    def build(self, resource: str, data: Mapping[str, Any], include_raw: bool) -> Any:
        """The model of one record, validated as provider data, with ``raw`` when asked."""
        values = dict(self.fields(resource, data))
        if include_raw:
            values["raw"] = dict(data)
        return from_provider(self.model(resource), values)

    def decode(self, resource: str, payload: Mapping[str, Any] | bytes, include_raw: bool = False) -> Any:
        data: Any = payload
        if isinstance(payload, bytes | bytearray | str):
            data = decode_one(self.provider, resource, payload, self.parse)
        return decode_one(
            self.provider,
            resource,
            data,
            lambda record: self.build(resource, record, include_raw),
            record_id=self.record_id(resource, data),
        )

    def decode_page(
        self, resource: str, body: Any, include_raw: bool = False
    ) -> tuple[list[Any], list[RecordIssue]]:
        rows = decode_one(self.provider, resource, body, lambda answer: self.rows(resource, answer))
        return decode_each(
            self.provider,
            resource,
            rows,
            lambda record: self.build(resource, record, include_raw),
            lambda record: self.record_id(resource, record),
        )

    def decode_list(self, resource: str, body: bytes, include_raw: bool = False) -> list[Any]:
        records, issues = self.decode_page(resource, body, include_raw)
        if issues:
            raise issues[0].error
        return records


__all__ = ["RecordCodec"]
