"""Whose data a model is validating: what a user sends, or what a provider stores.

The rules that protect a ledger from mistakes (a due date before the issue date, a negative amount
due, allocations beyond the payment, text that is not valid Unicode) are rules for *input*. A
provider's own records sometimes break them — Xero really has invoices due before they were issued —
and a library that refused to read such a record would hide part of the books. Codecs and the mirror
therefore validate with :data:`PROVIDER_CONTEXT`, under which those rules are skipped; everything
else (types, currencies, exact money) is still checked.

Models built without a context — ``Invoice(...)``, ``model_validate(data)``, an assignment — are
user input and get every rule.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationInfo

#: The validation context codecs and the mirror pass: the data is what a provider stores.
PROVIDER_CONTEXT: Mapping[str, str] = {"unified_accounting.source": "provider"}

ModelT = TypeVar("ModelT", bound=BaseModel)

# A Python str can hold half of a UTF-16 pair (JSON's "\\ud800" decodes to one); UTF-8 cannot.
_SURROGATE = re.compile("[\ud800-\udfff]")


def is_provider_data(info: ValidationInfo) -> bool:
    """Whether the value being validated came from a provider (validated with the provider context)."""
    context = info.context
    return isinstance(context, Mapping) and context.get("unified_accounting.source") == "provider"


def from_provider(model: type[ModelT], data: Any) -> ModelT:
    """``model`` validated from a provider's record: types checked, input-only rules skipped."""
    return model.model_validate(data, context=dict(PROVIDER_CONTEXT))


def lone_surrogate(value: Any) -> str | None:
    """A description of the first text in ``value`` (nested lists and mappings included) that holds
    a lone UTF-16 surrogate — which no UTF-8 JSON body or database can carry — else ``None``."""
    if isinstance(value, str):
        match = None if value.isascii() else _SURROGATE.search(value)
        if match is None:
            return None
        code, position = ord(match.group()), match.start()
        return f"holds a lone surrogate (U+{code:04X}) at position {position}: not valid Unicode text"
    if isinstance(value, Mapping):
        for key, item in value.items():
            found = lone_surrogate(key) or lone_surrogate(item)
            if found:
                return found
        return None
    if isinstance(value, list | tuple):
        for item in value:
            found = lone_surrogate(item)
            if found:
                return found
    return None
