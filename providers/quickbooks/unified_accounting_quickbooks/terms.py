"""Payment terms: QuickBooks ``Term`` records ↔ the unified :class:`PaymentTerms`.

A QuickBooks term is a record of its own (Intuit API reference, Term) that customers and invoices
name by ``SalesTermRef``: ``STANDARD`` terms are due ``DueDays`` after the document date
(``days_after_issue``); ``DATE_DRIVEN`` terms on day ``DayOfMonthDue`` of a month, the next one when
the document is dated within ``DueNextMonthDays`` of that day — read here as
``day_of_following_month`` (QuickBooks' exact cut-over is not part of the unified terms). The other
two unified rules (``days_after_end_of_month``, ``day_of_current_month``) have no QuickBooks term and
are refused.

Writing terms names the company's active term with the same rule; when none exists one is created
("Net 45", "Day 15 of next month"), as a person would in QuickBooks' settings. Reading resolves
``SalesTermRef`` through the company's term list (:class:`TermBook`), which the provider reads with
one query and keeps for a while; the codec finds it in :data:`TERM_BOOK` while it decodes.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from unified_accounting.models import PaymentTerms, PaymentTermsType
from unified_accounting.models.slots import SET_DICT, SET_EXTRA, SET_FIELDS_SET, SET_PRIVATE, constructible

#: ``DueNextMonthDays`` given to the date-driven terms created here: always the next month.
ALWAYS_NEXT_MONTH = 31
QUICKBOOKS_RULES = (PaymentTermsType.DAYS_AFTER_ISSUE, PaymentTermsType.DAY_OF_FOLLOWING_MONTH)
REFUSED = (
    "QuickBooks terms are due a number of days after the document date (days_after_issue) or on a "
    "day of the following month (day_of_following_month)"
)


def decode_term(row: Mapping[str, Any]) -> PaymentTerms | None:
    """A ``Term`` record as unified terms (``None`` for one without a rule)."""
    term_id = row.get("Id")
    name = row.get("Name")
    due_days, day = row.get("DueDays"), row.get("DayOfMonthDue")
    try:
        if row.get("Type") == "STANDARD" or (due_days is not None and day is None):
            return PaymentTerms(
                type=PaymentTermsType.DAYS_AFTER_ISSUE,
                days=int(due_days or 0),
                id=None if term_id is None else str(term_id),
                name=name,
            )
        if day is not None:
            return PaymentTerms(
                type=PaymentTermsType.DAY_OF_FOLLOWING_MONTH,
                days=int(day),
                id=None if term_id is None else str(term_id),
                name=name,
            )
    except (ValueError, TypeError):
        return None
    return None


@dataclass
class TermBook:
    """A company's terms by id (archived ones too: old documents name them), read at one moment."""

    terms: dict[str, PaymentTerms] = field(default_factory=dict)
    active: set[str] = field(default_factory=set)
    #: Ids asked for while decoding that the book did not hold (a term made since it was read).
    missing: set[str] = field(default_factory=set)

    @classmethod
    def from_rows(cls, rows: Iterable[Mapping[str, Any]]) -> TermBook:
        book = cls()
        for row in rows:
            terms = decode_term(row)
            if terms is None or terms.id is None:
                continue
            book.terms[terms.id] = terms
            if row.get("Active") is not False:
                book.active.add(terms.id)
        return book

    def lookup(self, term_id: str) -> PaymentTerms | None:
        found = self.terms.get(term_id)
        if found is None:
            self.missing.add(term_id)
            return None
        return _copy(found)

    def match(self, wanted: PaymentTerms) -> str | None:
        """The id of an active term with ``wanted``'s rule (the lowest id when several have it)."""
        same = [
            term_id
            for term_id, terms in self.terms.items()
            if term_id in self.active and terms.type is wanted.type and terms.days == wanted.days
        ]
        return min(same, key=lambda term_id: (len(term_id), term_id)) if same else None

    def names(self) -> set[str]:
        return {str(terms.name).lower() for terms in self.terms.values() if terms.name}


#: Whether terms are plain enough to copy by their slots (see ``unified_accounting.models.slots``).
_PLAIN = constructible(PaymentTerms, tuple(PaymentTerms.__pydantic_fields__))


def _copy(terms: PaymentTerms) -> PaymentTerms:
    """``terms.model_copy()`` without pydantic's generic work: every invoice of a page gets a copy of
    its terms of its own (records are mutable), which ``model_copy`` made a tenth of the page's
    decoding time."""
    if not _PLAIN:
        return terms.model_copy()
    copied = object.__new__(PaymentTerms)
    SET_DICT(copied, terms.__dict__.copy())
    SET_FIELDS_SET(copied, set(terms.__pydantic_fields_set__))
    SET_EXTRA(copied, None)
    SET_PRIVATE(copied, None)
    return copied


def term_payload(wanted: PaymentTerms, taken: set[str]) -> dict[str, Any]:
    """A new ``Term`` with ``wanted``'s rule, named like QuickBooks' own ("Net 30") and unique."""
    if wanted.type is PaymentTermsType.DAYS_AFTER_ISSUE:
        base = "Due on receipt" if wanted.days == 0 else f"Net {wanted.days}"
        rule: dict[str, Any] = {"DueDays": wanted.days}
    else:
        base = f"Day {wanted.days} of next month"
        rule = {"DayOfMonthDue": wanted.days, "DueNextMonthDays": ALWAYS_NEXT_MONTH}
    name = wanted.name or base
    counter = 2
    while name.lower() in taken:
        name = f"{base} ({counter})"
        counter += 1
    return {"Name": name[:31], **rule}


#: The term book the codec resolves ``SalesTermRef`` with while the provider decodes.
TERM_BOOK: ContextVar[TermBook | None] = ContextVar("quickbooks_term_book", default=None)


@contextlib.contextmanager
def decoding_with(book: TermBook | None) -> Iterator[TermBook | None]:
    token = TERM_BOOK.set(book)
    try:
        yield book
    finally:
        TERM_BOOK.reset(token)


def terms_of(term_id: str | None) -> PaymentTerms | None:
    """The terms a ``SalesTermRef`` names, from the book in force (``None`` without one)."""
    if term_id is None:
        return None
    book = TERM_BOOK.get()
    return book.lookup(term_id) if book is not None else None
