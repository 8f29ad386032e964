"""What the provider reads about a company besides its documents, and keeps for a while.

* The company's setup (``CompanyInfo`` and ``Preferences``, one GET each): the tax model, the home
  currency and multi-currency, class and department tracking, the P.O. number custom field. Writes
  are checked against it before any call that changes the books.
* Its payment terms (``Term``, one query): invoices and customers name a term by id, and the unified
  terms are its rule, so reads resolve ids through this list and writes find (or create) the term
  with the rule asked for.
* Its tax codes with the rates they name (``TaxCode`` and ``TaxRate``, one query each): unified tax
  rates, and the percents that split a tax-inclusive line into net and tax.

Each is kept :data:`TTL` per app and company (the same ten minutes as ``Provider.company``), and
dropped when the provider itself changes it (a term or a tax code created here). A company's
preferences change rarely; a write QuickBooks then refuses is still reported with its own error.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from unified_accounting.provider import ProviderSession

from . import taxes
from .api import Api
from .company import CompanySetup, setup_from
from .query import MAX_RESULTS, select
from .terms import TermBook, term_payload

TTL = timedelta(minutes=10)
CacheKey = tuple[str | None, str | None, str]


def key_of(session: ProviderSession) -> CacheKey:
    return (session.settings.client_id, session.settings.base_url, session.company_id)


@dataclass
class TaxBook:
    """A company's tax codes (rows as QuickBooks returns them) and the rates they name, by id."""

    codes: list[dict[str, Any]] = field(default_factory=list)
    rates: dict[str, dict[str, Any]] = field(default_factory=dict)

    def code(self, code_id: str) -> dict[str, Any] | None:
        return next((row for row in self.codes if str(row.get("Id")) == code_id), None)

    def percents(self) -> dict[str, Sequence[Decimal]]:
        """Tax code id → the percents of its sales rates (what a tax-inclusive line holds)."""
        return {str(row.get("Id")): taxes.sales_percents(row, self.rates) for row in self.codes}


@dataclass
class _Kept:
    at: datetime
    value: Any


class Directory:
    """The caches of one provider instance (shared by its sessions, keyed per app and company)."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self._kept: dict[tuple[str, CacheKey], _Kept] = {}
        # Reads in flight, per event loop (a provider may serve clients of several loops).
        self._reading: dict[tuple[str, CacheKey, asyncio.AbstractEventLoop], asyncio.Task[Any]] = {}

    def _get(self, kind: str, session: ProviderSession) -> Any:
        kept = self._kept.get((kind, key_of(session)))
        if kept is None or datetime.now(UTC) - kept.at >= TTL:
            return None
        return kept.value

    def _put(self, kind: str, session: ProviderSession, value: Any) -> Any:
        self._kept[(kind, key_of(session))] = _Kept(datetime.now(UTC), value)
        return value

    def forget(self, kind: str, session: ProviderSession) -> None:
        self._kept.pop((kind, key_of(session)), None)

    # ------------------------------------------------------------------------------- the company

    async def company_payload(self, session: ProviderSession) -> dict[str, Any]:
        """``{"CompanyInfo": {...}, "Preferences": {...}}`` read now; the setup is kept."""
        info = await self.api.read(session, "companyinfo", session.company_id)
        prefs = await self.api.read(session, "preferences")
        payload = {
            "CompanyInfo": info.get("CompanyInfo") or {},
            "Preferences": prefs.get("Preferences") or {},
        }
        self._put("setup", session, setup_from(payload["CompanyInfo"], payload["Preferences"]))
        return payload

    def kept_setup(self, session: ProviderSession) -> CompanySetup | None:
        found: CompanySetup | None = self._get("setup", session)
        return found

    async def setup(self, session: ProviderSession) -> CompanySetup:
        found = self.kept_setup(session)
        if found is None:
            await self.company_payload(session)
            found = self.kept_setup(session)
        assert found is not None
        return found

    # ----------------------------------------------------------------------------------- terms

    def kept_terms(self, session: ProviderSession) -> TermBook | None:
        found: TermBook | None = self._get("terms", session)
        return found

    async def terms(self, session: ProviderSession, *, fresh: bool = False) -> TermBook:
        """The company's term list, kept; ``fresh`` reads it again. Callers that want the kept list
        while it is being read wait for that one read (a sync asks for it from many pages at once)."""
        if fresh:
            return await self._read_terms(session)
        found = self.kept_terms(session)
        if found is not None:
            return found
        key = ("terms", key_of(session), asyncio.get_running_loop())
        reading = self._reading.get(key)
        if reading is None:
            reading = self._reading[key] = asyncio.ensure_future(self._read_terms(session))
            reading.add_done_callback(functools.partial(self._read, key))
        book: TermBook = await asyncio.shield(reading)
        return book

    def _read(self, key: tuple[str, CacheKey, asyncio.AbstractEventLoop], reading: asyncio.Task[Any]) -> None:
        self._reading.pop(key, None)
        if not reading.cancelled():
            reading.exception()  # retrieved: each caller that waited got it raised already

    async def _read_terms(self, session: ProviderSession) -> TermBook:
        query = select("Term").where("Active", "IN", [True, False]).order_by("Id").page(1, MAX_RESULTS)
        body = await self.api.query(session, str(query))
        rows = (body.get("QueryResponse") or {}).get("Term") or ()
        book: TermBook = self._put("terms", session, TermBook.from_rows(rows))
        return book

    async def term_id(self, session: ProviderSession, wanted: Any) -> str:
        """The id of the company's active term with ``wanted``'s rule, created when it has none."""
        book = await self.terms(session)
        found = book.match(wanted)
        if found is None:
            book = await self.terms(session, fresh=True)
            found = book.match(wanted)
        if found is not None:
            return found
        body = await self.api.write(session, "term", payload=term_payload(wanted, book.names()))
        self.forget("terms", session)
        return str(body["Term"]["Id"])

    # ----------------------------------------------------------------------------------- taxes

    async def taxes(self, session: ProviderSession, *, fresh: bool = False) -> TaxBook:
        found: TaxBook | None = None if fresh else self._get("taxes", session)
        if found is None:
            found = self._put("taxes", session, await self.read_taxes(session))
        return found

    async def read_taxes(self, session: ProviderSession, code_ids: Sequence[str] | None = None) -> TaxBook:
        """Tax codes (all, or those of ``code_ids``) and the rates they name, read now."""
        query = select("TaxCode").where("Active", "IN", [True, False])
        if code_ids is not None:
            query = query.where("Id", "IN", list(code_ids))
        body = await self.api.query(session, str(query.page(1, MAX_RESULTS)))
        codes = list((body.get("QueryResponse") or {}).get("TaxCode") or ())
        wanted = sorted({rate for code in codes for rate in taxes.rate_ids(code)})
        rates: dict[str, dict[str, Any]] = {}
        for start in range(0, len(wanted), MAX_RESULTS):
            chunk = wanted[start : start + MAX_RESULTS]
            query = select("TaxRate").where("Active", "IN", [True, False]).where("Id", "IN", chunk)
            answer = await self.api.query(session, str(query.page(1, MAX_RESULTS)))
            for row in (answer.get("QueryResponse") or {}).get("TaxRate") or ():
                rates[str(row.get("Id"))] = row
        return TaxBook(codes, rates)

    async def tax_agency(self, session: ProviderSession) -> str | None:
        """The company's first active tax agency (new rates are owed to it)."""
        query = select("TaxAgency").order_by("Id").page(1, 1)
        body = await self.api.query(session, str(query))
        rows = (body.get("QueryResponse") or {}).get("TaxAgency") or ()
        return str(rows[0]["Id"]) if rows else None

    async def rate_names(self, session: ProviderSession) -> set[str]:
        query = select("TaxRate").where("Active", "IN", [True, False]).page(1, MAX_RESULTS)
        body = await self.api.query(session, str(query))
        return {
            str(row.get("Name") or "").lower()
            for row in (body.get("QueryResponse") or {}).get("TaxRate") or ()
        }


def composite(book: TaxBook, codes: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """A tax rate page as the codec reads it: the codes and every rate they name."""
    return {"TaxCode": list(codes), "TaxRate": book.rates}
