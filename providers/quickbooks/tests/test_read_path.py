"""The provider's read path around the codec: which terms a page names (read before it is decoded),
and the terms each decoded record gets from the company's term list."""

from __future__ import annotations

import asyncio
import json
from types import SimpleNamespace
from typing import Any

from unified_accounting_quickbooks.provider import QuickBooksProvider, _held, _term_ids
from unified_accounting_quickbooks.settings import QuickBooksSettings
from unified_accounting_quickbooks.terms import TermBook

from unified_accounting.models import PaymentTermsType


def test_term_ids_are_found_in_a_page_s_bytes_however_the_json_is_spaced() -> None:
    body = (
        b'{"QueryResponse":{"Invoice":[{"Id":"1","SalesTermRef":{"value":"3"}},'
        b'{"Id":"2","SalesTermRef" : { "name" : "Net 30", "value" : "8" }},'
        b'{"Id":"3","TermRef":{"value":"11"}},'
        b'{"Id":"4","OtherTermRef":{"value":"99"}, "XSalesTermRef":{"value":"98"}},'
        b'{"Id":"5","SalesTermRef":{"value":""}}]}}'
    )
    # An empty id names no term; names that only end in "TermRef" are not terms.
    assert _term_ids(body) == {"3", "8", "11"}
    assert _term_ids(b'{"QueryResponse":{}}') == set()
    assert _term_ids({"SalesTermRef": {"value": "4"}}) == {"4"}


def _session() -> Any:
    settings = QuickBooksSettings(client_id="app", client_secret="secret")
    return SimpleNamespace(include_raw=False, settings=settings, company_id="1", limiter=None)


def _page(*terms: str) -> bytes:
    rows = [
        {"Id": str(index), "CustomerRef": {"value": "1"}, "SalesTermRef": {"value": term}}
        for index, term in enumerate(terms, start=1)
    ]
    return json.dumps({"QueryResponse": {"Invoice": rows}}).encode()


def test_each_invoice_of_a_page_gets_its_own_copy_of_its_terms() -> None:
    provider = QuickBooksProvider()
    session = _session()
    book = TermBook.from_rows([{"Id": "3", "Name": "Net 30", "Type": "STANDARD", "DueDays": 30}])
    provider.directory._put("terms", session, book)
    (first, second, unknown), issues = provider.read_page(session, "invoice", _page("3", "3", "7"))
    assert not issues
    assert first.terms == second.terms == book.terms["3"]
    assert (first.terms.type, first.terms.days, first.terms.id, first.terms.name) == (
        PaymentTermsType.DAYS_AFTER_ISSUE,
        30,
        "3",
        "Net 30",
    )
    assert first.terms.model_fields_set == book.terms["3"].model_fields_set
    # Records are mutable: changing one invoice's terms changes neither the other's nor the book's.
    first.terms.days = 45
    first.terms.model_fields_set.add("days")
    assert (second.terms.days, book.terms["3"].days) == (30, 30)
    assert first.terms.model_dump() != second.terms.model_dump()
    assert unknown.terms is None and book.missing == {"7"}  # a term made since the list was read


def test_the_term_list_is_read_once_for_callers_asking_at_the_same_time() -> None:
    provider = QuickBooksProvider()
    session = _session()
    queries: list[str] = []

    async def query(session: Any, text: str) -> dict[str, Any]:
        queries.append(text)
        await asyncio.sleep(0.01)  # answered while the others ask
        return {"QueryResponse": {"Term": [{"Id": "3", "Name": "Net 30", "Type": "STANDARD", "DueDays": 30}]}}

    provider.api.query = query  # type: ignore[method-assign]

    async def asked() -> None:
        books = await asyncio.gather(*(provider.directory.terms(session) for _ in range(5)))
        assert len(queries) == 1 and all(book is books[0] for book in books)
        # A fresh read is its own, never one that began before it was asked for.
        fresh = await provider.directory.terms(session, fresh=True)
        assert len(queries) == 2 and fresh is not books[0]

    asyncio.run(asked())


def test_a_query_answer_says_how_many_records_it_holds_at_its_end() -> None:
    full = (
        _page("3", "3")[:-2] + b',"startPosition":1,"maxResults":2},"time":"2026-11-28T00:00:00.000-08:00"}'
    )
    assert _held(full) == 2
    assert _held(b'{"QueryResponse":{"startPosition":1,"maxResults":0},"time":"t"}') == 0
    assert _held(_page("3")) is None  # not said: the next pages wait until this one is read
