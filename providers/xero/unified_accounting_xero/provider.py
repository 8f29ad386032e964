"""The Xero provider: unified operations on top of the codec, the API helpers and identity.

Writes of invoices and payments first check what needs the organisation (:mod:`.checks`: currency,
base-currency precision, tax rates, tracking) from its company info and lookups kept a while
(:mod:`.lookups`); nothing refused reaches Xero. Tax rates are written to ``/TaxRates`` keyed by
TaxType; tracking categories and their options one request each.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, ClassVar

import httpx

from unified_accounting import jsonutil
from unified_accounting.amounts import amounts_beyond
from unified_accounting.catalog import RESOURCES as CATALOG
from unified_accounting.errors import (
    Conflict,
    DecodeFailed,
    FieldIssue,
    NotFound,
    ProviderError,
    UnsupportedOperation,
    ValidationFailed,
)
from unified_accounting.models import (
    Attachment,
    CompanyInfo,
    CreditAllocation,
    JournalLine,
    LedgerAccountStatus,
    RecordMeta,
    Report,
    TaxMode,
    TaxRate,
    TrackingCategory,
    TrackingOption,
    TrackingStatus,
    WebhookEvent,
)
from unified_accounting.models.money import excess_precision, excess_precision_in_update
from unified_accounting.oauth import rebase
from unified_accounting.provider import (
    AttachmentRef,
    AttachmentUpload,
    BulkResult,
    BulkUpdate,
    ChangeFeedResult,
    FetchedPage,
    ListQuery,
    Operation,
    Provider,
    ProviderSession,
    ProviderSettings,
    ReportRequest,
    capabilities,
)
from unified_accounting.ratelimits import LimitFeedback, RateLimits, Window
from unified_accounting.tokens import Grant, TokenSet
from unified_accounting.types import ASGIApp

from . import (
    api,
    attachments,
    chart,
    checks,
    documents,
    limits,
    oauth,
    queries,
    reports,
    rules,
    scopes,
    webhooks,
)
from .changes import read_changes
from .checks import Organisation
from .codec import RESOURCES, EncodeOptions, XeroCodec, encode_changes
from .dates import format_date
from .errors import PROVIDER, XeroRateLimited, element_error, error_from_response
from .lookups import Lookups
from .models import Account
from .queries import XeroQuery
from .settings import XeroSettings, xero_settings
from .support import FIELD_SUPPORT
from .taxes import REPORT_TYPE_REGIONS, TO_LINE_AMOUNT_TYPES, tax_mode
from .tracking import TO_XERO_STATUS, TrackingNames, status_of
from .versions import record_version


def _options(session: ProviderSession) -> EncodeOptions:
    return EncodeOptions.from_settings(xero_settings(session.settings))


def _check_version(resource: str, current: Mapping[str, Any], expected: str | None) -> None:
    """Xero has no version token: compare the version derived from what the caller read."""
    if expected is None:
        return
    actual = record_version(current)
    if actual != expected:
        raise Conflict(
            f"the Xero {resource} changed since it was read: read it again and reapply the change",
            provider=PROVIDER,
            code="StaleRowVersion",
            detail=f"row_version is {actual}, the update was based on {expected}",
        )


def _refuse(resource: str, issues: list[FieldIssue]) -> None:
    if issues:
        raise ValidationFailed(f"the {resource} is not acceptable to Xero", issues=issues, provider=PROVIDER)


#: Documents Xero deletes while unapproved and voids once approved.
DOCUMENTS = frozenset({"invoice", "bill", "credit_note", "supplier_credit"})
#: Resources whose Xero lists ignore If-Modified-Since and whose records carry no update time.
UNTIMED = frozenset({"tax_rate", "tracking_category"})
#: The catalog's invoice filters Xero applies itself (the lead's catalog decides which exist).
_DECLARED_INVOICE_FILTERS = {f.name for f in CATALOG["invoice"].filters} & queries.INVOICE_FILTERS
#: The catalog's invoice sort keys Xero orders by (``order=``), where the catalog declares sorts.
_DECLARED_INVOICE_SORTS = set(getattr(CATALOG["invoice"], "sorts", ())) & set(queries.SORT_FIELDS)


def _values(given: RecordMeta | Mapping[str, Any]) -> Mapping[str, Any]:
    if isinstance(given, RecordMeta):
        return {name: getattr(given, name) for name in type(given).model_fields}
    return given


class XeroProvider(Provider):
    name = "xero"
    display_name = "Xero"
    settings_model = XeroSettings
    capabilities = capabilities(
        invoice="create get list update delete void send pdf bulk_create bulk_update",
        customer="create get list update archive bulk_create bulk_update",
        payment="create get list delete",
        tax_rate="create get list update delete",
        tracking_category="create get list update archive delete",
        company_info="get",
        account="get list",
        item="create get list update delete",
        ledger_account="create get list update archive delete",
        journal_entry="create get list update delete void",
        supplier="create get list update archive bulk_create bulk_update",
        bill="create get list update delete void",
        bill_payment="create get list delete",
        credit_note="create get list update delete void allocate pdf",
        supplier_credit="create get list update delete void allocate",
        expense="create get list update delete",
    )
    list_filters: ClassVar[Mapping[str, frozenset[str]]] = {
        "invoice": frozenset(_DECLARED_INVOICE_FILTERS),
        "tax_rate": frozenset({"status"}),
        "tracking_category": frozenset({"status"}),
    }
    list_sorts: ClassVar[Mapping[str, frozenset[str]]] = {"invoice": frozenset(_DECLARED_INVOICE_SORTS)}
    field_support = FIELD_SUPPORT
    #: Xero's own resources (not in the unified catalog): ``conn.resource("account")``.
    models: ClassVar[Mapping[str, type[RecordMeta]]] = {"account": Account}
    oauth = oauth.OAUTH
    rate_limits = limits.RATE_LIMITS
    webhook_signature_header = webhooks.SIGNATURE_HEADER
    codec: XeroCodec
    reports = frozenset(reports.REPORT_IDS)
    attachment_limits = attachments.LIMITS
    #: The largest amount sent to Xero (see ``rules.MAX_AMOUNT``); larger ones are refused before any call.
    max_amount = rules.MAX_AMOUNT

    def __init__(self) -> None:
        self.codec = XeroCodec()
        self.lookups = Lookups()

    def forget(self, session: ProviderSession | None = None) -> None:
        """Forget what is kept about the session's organisation (every one: no session): its company
        info, currencies, tax rates and tracking categories are read again when next needed."""
        self.lookups.forget(session)
        if session is None:
            self._companies.clear()
        else:
            self._companies.pop(
                (session.settings.client_id, session.settings.base_url, session.company_id), None
            )

    def supports_filter(self, resource: str, name: str) -> bool:
        # Xero keeps no update time on tax rates and tracking categories and lists them whole.
        if name == "updated_since" and resource in UNTIMED:
            return False
        return super().supports_filter(resource, name)

    # ------------------------------------------------------------------------------ HTTP plumbing

    def default_headers(self, session: ProviderSession) -> dict[str, str]:
        return {"Accept": "application/json", "xero-tenant-id": session.company_id}

    def error_from_response(self, response: httpx.Response) -> ProviderError | ValidationFailed:
        return error_from_response(response)

    # ----------------------------------------------------------------------------- rate limits

    def limits_for(self, settings: ProviderSettings) -> RateLimits:
        chosen = xero_settings(settings)
        return limits.RATE_LIMITS.adjusted(
            calls={
                "minute": chosen.minute_call_limit,
                "day": chosen.effective_daily_budget,
                "appminute": chosen.app_minute_call_limit,
            },
            concurrent=chosen.concurrent_call_limit,
        )

    def rate_limit_feedback(self, response: httpx.Response) -> LimitFeedback | None:
        return limits.feedback(response)

    def rate_limit_refusal(self, window: Window, retry_after: float) -> XeroRateLimited:
        return XeroRateLimited(
            f"the {window.name} Xero call budget of this organisation is spent "
            f"({window.calls} calls per {window.seconds:g} s)",
            limit_kind=window.name,
            retry_after=retry_after,
            provider=PROVIDER,
            code=limits.REFUSAL_CODES.get(window.name, window.name),
        )

    # -------------------------------------------------------------------------------- validation

    def validate(self, resource: str, record: RecordMeta, operation: Operation) -> list[FieldIssue]:
        issues = amounts_beyond(record, self.max_amount, provider=self.name)
        return issues + rules.check_record(resource, record)

    def validate_update(self, resource: str, fields: Mapping[str, Any]) -> list[FieldIssue]:
        issues = amounts_beyond(fields, self.max_amount, provider=self.name)
        return issues + rules.check_changes(resource, fields)

    def _organisation(self, session: ProviderSession, company: CompanyInfo) -> Organisation:
        async def tracking(fresh: bool) -> TrackingNames:
            return TrackingNames.of(await self.lookups.tracking.get(session, fresh=fresh))

        async def tax_types() -> frozenset[str]:
            rates = await self.lookups.tax_rates.get(session)
            return frozenset(str(r.get("TaxType")).upper() for r in rates if str(r.get("Status")) == "ACTIVE")

        return Organisation(company, lambda: self.lookups.currencies.get(session), tax_types, tracking)

    async def _prepare(
        self,
        session: ProviderSession,
        resource: str,
        given: RecordMeta | Mapping[str, Any],
        current: Mapping[str, Any] | None = None,
    ) -> EncodeOptions:
        """Check what needs the organisation (before any write) and say what encoding needs to know.
        ``given`` is a whole record or an update's fields; ``current`` the record an update changes."""
        options = replace(_options(session), current=current, today=datetime.now(UTC).date())
        if resource == "journal_entry":
            return replace(options, tracking=await self._journal_tracking(session, _values(given)))
        if resource == "expense":
            await self._expense_currency(session, given, current)
        if resource not in ("invoice", "payment", "bill", "credit_note", "supplier_credit", "expense"):
            return options
        values = _values(given)
        company = await self.company(session)
        org = self._organisation(session, company)
        currency = values.get("currency") or (current or {}).get("CurrencyCode")
        issues: list[FieldIssue] = []
        if resource == "payment":
            issues += await self._payment_issues(session, org, values)
        else:
            rate = values.get("currency_rate")
            if "currency" in values or rate is not None:
                issues += await checks.currency_issues(org, currency, rate)
            mode = values.get("tax_mode")
            if mode is None and current is not None:
                mode = tax_mode(current.get("LineAmountTypes"))
            line_problems, names = await checks.line_issues(
                org, values.get("line_items") or [], mode, options.previous_line
            )
            issues += line_problems
            options = replace(options, tracking=names)
            setting = xero_settings(session.settings).line_amount_types
            if values.get("tax_mode") is None and current is None and setting is None:
                default = company.default_tax_mode or TaxMode.EXCLUSIVE
                options = replace(options, line_amount_types=TO_LINE_AMOUNT_TYPES[default])
        issues += self._precision(resource, given, str(currency or company.base_currency))
        _refuse(resource, issues)
        return options

    async def _expense_currency(
        self,
        session: ProviderSession,
        given: RecordMeta | Mapping[str, Any],
        current: Mapping[str, Any] | None,
    ) -> None:
        """Spend money is in its bank account's currency: another one is refused (the account is read
        only when a currency is given)."""
        values = _values(given)
        currency = values.get("currency")
        if not currency:
            return
        account_id = values.get("account_id") or ((current or {}).get("BankAccount") or {}).get("Code")
        if not account_id:
            return
        account = await api.fetch_record(session, "ledger_account", str(account_id))
        held = account.get("CurrencyCode") or (await self.company(session)).base_currency
        if str(held).upper() != str(currency).upper():
            _refuse(
                "expense",
                [
                    FieldIssue(
                        "currency", f"Xero spends from a bank account in its currency ({held}): give {held}"
                    )
                ],
            )

    async def _journal_tracking(
        self, session: ProviderSession, values: Mapping[str, Any]
    ) -> TrackingNames | None:
        """The names to write a journal's line tracking with; unknown categories or options refused."""
        lines = [
            JournalLine.model_validate(line) if isinstance(line, Mapping) else line
            for line in values.get("lines") or []
        ]
        if not any(line.tracking for line in lines):
            return None
        names = TrackingNames.of(await self.lookups.tracking.get(session))
        if any(not names.knows(ref) for line in lines for ref in line.tracking):
            names = TrackingNames.of(await self.lookups.tracking.get(session, fresh=True))
        _refuse(
            "journal entry",
            [
                FieldIssue(f"lines.{index}.tracking.{position}", problem)
                for index, line in enumerate(lines)
                for position, ref in enumerate(line.tracking)
                if (problem := names.problem(ref)) is not None
            ],
        )
        return names

    @staticmethod
    def _precision(resource: str, given: RecordMeta | Mapping[str, Any], currency: str) -> list[FieldIssue]:
        # The client checked amounts against their record's currency, or two decimals when it names
        # none: the organisation's base currency (JPY, KWD) decides those.
        if isinstance(given, RecordMeta):
            return excess_precision(given, currency)
        return excess_precision_in_update(RESOURCES[resource][2], dict(given), currency)

    async def _payment_issues(
        self, session: ProviderSession, org: Organisation, values: Mapping[str, Any]
    ) -> list[FieldIssue]:
        """A payment is in its invoice's currency and from its invoice's contact: another currency or
        customer is refused, and its rate follows the invoice's currency. The invoice is read only
        when one of them is given."""
        currency, rate, customer = (
            values.get("currency"),
            values.get("currency_rate"),
            values.get("customer_id"),
        )
        allocations = values.get("allocations") or []
        if (currency is None and rate is None and not customer) or not allocations:
            return []
        if allocations[0].invoice_id is None:  # a credit-note refund: Xero checks it
            return []
        invoice = await api.fetch_record(session, "invoice", allocations[0].invoice_id)
        issues: list[FieldIssue] = []
        contact = str((invoice.get("Contact") or {}).get("ContactID") or "")
        if customer and contact and str(customer).lower() != contact.lower():
            issues.append(
                FieldIssue(
                    "customer_id",
                    f"a Xero payment is from its invoice's contact ({contact}): leave customer_id out "
                    "or give that one",
                )
            )
        invoice_currency = str(invoice.get("CurrencyCode") or org.company.base_currency)
        if currency is not None and currency != invoice_currency:
            return [
                *issues,
                FieldIssue(
                    "currency",
                    f"a Xero payment is in its invoice's currency ({invoice_currency}): leave currency out "
                    f"or give {invoice_currency}",
                ),
            ]
        return issues + await checks.currency_issues(org, invoice_currency, rate, "payment")

    # -------------------------------------------------------------------------------- operations

    def _decode(self, session: ProviderSession, resource: str, element: Mapping[str, Any]) -> Any:
        return self.read_record(session, resource, element)

    async def _write_one(
        self,
        session: ProviderSession,
        resource: str,
        method: str,
        element: Mapping[str, Any],
        record_id: str | None,
    ) -> Any:
        written = await api.write(session, resource, method, [element], record_id=record_id)
        if not written:
            raise ProviderError(f"Xero answered the {resource} write without the record", provider=PROVIDER)
        if api.has_errors(written[0]):
            raise element_error(written[0])
        return self._decode(session, resource, written[0])

    async def create(self, session: ProviderSession, resource: str, record: RecordMeta) -> Any:
        self.require(resource, Operation.CREATE)
        if isinstance(record, TrackingCategory):
            return await self._create_category(session, record)
        if isinstance(record, TaxRate):
            return await self._create_tax_rate(session, record)
        options = await self._prepare(session, resource, record)
        payload = self.codec.encode(record, options)
        if resource == "ledger_account":
            # Xero creates one account per request, from a bare object.
            (made,) = await api.send(session, "PUT", ("Accounts",), "Accounts", payload)
            if api.has_errors(made):
                raise element_error(made)
            return self._decode(session, resource, made)
        return await self._write_one(session, resource, "PUT", payload, None)

    async def fetch_record(self, session: ProviderSession, resource: str, record_id: str) -> Any:
        self.require(resource, Operation.GET)
        if resource == "company_info":
            return await api.fetch_organisation(session)
        return await api.fetch_record(session, resource, record_id)

    async def fetch_page(self, session: ProviderSession, resource: str, query: ListQuery) -> FetchedPage:
        self.require(resource, Operation.LIST)
        try:
            page = int(query.cursor) if query.cursor else 1
        except ValueError:
            raise ValidationFailed(
                "invalid list cursor",
                issues=[FieldIssue("cursor", f"{query.cursor!r} is not a Xero page number")],
            ) from None
        size = min(query.page_size or xero_settings(session.settings).page_size, 1000)
        raw = await api.fetch_page(
            session,
            resource,
            page=page,
            page_size=size,
            updated_since=query.updated_since,
            query=self.list_query(resource, query.filters, getattr(query, "sort", None)),
        )
        return FetchedPage(raw.items, str(raw.next_page) if raw.next_page else None)

    @staticmethod
    def list_query(resource: str, filters: Mapping[str, Any], sort: Any = None) -> XeroQuery:
        """The Xero parameters of a list's filters and sort, validated (see :mod:`.queries`)."""
        wanted = {
            name: value for name, value in filters.items() if value is not None and name != "updated_since"
        }
        if resource == "invoice":
            return queries.invoice_query(wanted, sort)
        if resource in UNTIMED:
            return queries.status_query(resource, wanted)
        if wanted or sort is not None:
            raise ValidationFailed(
                "invalid list filter",
                issues=[FieldIssue(next(iter(wanted), "sort"), f"Xero cannot filter {resource} lists by it")],
                provider=PROVIDER,
            )
        return XeroQuery()

    async def _current(
        self, session: ProviderSession, resource: str, record_id: str, row_version: str | None
    ) -> dict[str, Any]:
        """Read first and compare, then write: Xero itself would accept a stale write."""
        current = await api.fetch_record(session, resource, record_id)
        _check_version(resource, current, row_version)
        return current

    async def _set(
        self, session: ProviderSession, resource: str, current: Mapping[str, Any], fields: Mapping[str, Any]
    ) -> Any:
        record_id = api.id_of(resource, current)
        element = {RESOURCES[resource][1]: record_id, **fields}
        return await self._write_one(session, resource, "POST", element, record_id)

    async def update(
        self,
        session: ProviderSession,
        resource: str,
        record_id: str,
        fields: Mapping[str, Any],
        row_version: str | None,
    ) -> Any:
        self.require(resource, Operation.UPDATE)
        current = await self._current(session, resource, record_id, row_version)
        if resource == "tracking_category":
            return await self._update_category(session, current, fields)
        if resource == "ledger_account":
            return await self._update_account(session, current, fields)
        options = await self._prepare(session, resource, fields, current)
        changes = encode_changes(resource, fields, options)
        if resource == "tax_rate":
            return await self._write_tax_rate(session, changes)
        return await self._set(session, resource, current, changes)

    # ------------------------------------------------------------------------------- credit

    async def allocate(
        self, session: ProviderSession, resource: str, record_id: str, allocation: CreditAllocation
    ) -> Any:
        """A credit note's allocation to an invoice (a supplier credit's to a bill): both are read
        first, and what Xero would refuse is refused before the write."""
        self.require(resource, Operation.ALLOCATE)
        target = CATALOG[resource].allocates_to or "invoice"
        credit = await api.fetch_record(session, resource, record_id)
        document = await api.fetch_record(session, target, allocation.document_id)
        issues: list[FieldIssue] = []
        if str(credit.get("Status") or "").upper() != "AUTHORISED":
            issues.append(
                FieldIssue("id", f"Xero allocates approved credit only; this one is {credit.get('Status')}")
            )
        remaining = Decimal(str(credit.get("RemainingCredit") or 0))
        if allocation.amount > remaining:
            issues.append(
                FieldIssue("amount", f"{allocation.amount} is more than the credit left ({remaining})")
            )
        due = Decimal(str(document.get("AmountDue") or 0))
        if str(document.get("Status") or "").upper() != "AUTHORISED":
            issues.append(
                FieldIssue(
                    f"{target}_id",
                    f"Xero credits approved, unpaid documents; this one is {document.get('Status')}",
                )
            )
        elif allocation.amount > due:
            issues.append(
                FieldIssue("amount", f"{allocation.amount} is more than the {target} still owes ({due})")
            )
        credit_currency = credit.get("CurrencyCode")
        if (
            credit_currency
            and document.get("CurrencyCode")
            and credit_currency != document.get("CurrencyCode")
        ):
            issues.append(
                FieldIssue(
                    f"{target}_id", f"the {target} is not in the credit's currency ({credit_currency})"
                )
            )
        _refuse(resource.replace("_", " "), issues)
        element: dict[str, Any] = {
            "Invoice": {"InvoiceID": api.id_of(target, document)},
            "Amount": allocation.amount,
        }
        if allocation.date is not None:
            element["Date"] = format_date(allocation.date)
        (made,) = await api.send(
            session,
            "PUT",
            ("CreditNotes", api.id_of(resource, credit), "Allocations"),
            "Allocations",
            {"Allocations": [element]},
        )
        if api.has_errors(made):
            raise element_error(made)
        return await self.get(session, resource, record_id)

    # ------------------------------------------------------------------------------- the chart

    @staticmethod
    def _refuse_system(current: Mapping[str, Any], action: str) -> None:
        if current.get("SystemAccount"):
            raise ValidationFailed(
                f"Xero does not let anyone {action} its system account {current.get('Name')!r} "
                f"({current.get('SystemAccount')})",
                issues=[
                    FieldIssue("id", "system accounts (receivables, payables, tax, retained earnings) stay")
                ],
                provider=PROVIDER,
            )

    async def _update_account(
        self, session: ProviderSession, current: Mapping[str, Any], fields: Mapping[str, Any]
    ) -> Any:
        """Xero changes an account's details and its status in separate requests: details first."""
        self._refuse_system(current, "change")
        details = {name: value for name, value in fields.items() if name != "status"}
        changes = {
            **chart.encode_account_fields(details, current),
            **dict(details.get("pass_through") or {}),
        }
        written: Any = None
        if changes:
            written = await self._set(session, "ledger_account", current, changes)
        status = fields.get("status")
        if (
            status is not None
            and str(current.get("Status") or "").upper() != LedgerAccountStatus(status).name
        ):
            written = await self._set(
                session, "ledger_account", current, {"Status": LedgerAccountStatus(status).name}
            )
        if written is None:
            return self._decode(session, "ledger_account", current)
        return written

    async def delete(
        self, session: ProviderSession, resource: str, record_id: str, row_version: str | None
    ) -> None:
        self.require(resource, Operation.DELETE)
        current = await self._current(session, resource, record_id, row_version)
        status = str(current.get("Status", "")).upper()
        if status in ("DELETED", "VOIDED"):
            return  # already gone
        if resource in DOCUMENTS and status not in ("DRAFT", "SUBMITTED"):
            # Xero deletes only unapproved invoices. Voiding instead would keep the invoice on the
            # books under another status than the caller asked for, so say so and let them choose.
            raise ValidationFailed(
                f"Xero cannot delete a {status} {resource}: only DRAFT and SUBMITTED ones can be deleted",
                issues=[
                    FieldIssue("status", f"void it instead (conn.{CATALOG[resource].collection}.void(id))")
                ],
                provider=self.name,
            )
        if resource == "tax_rate":
            # Xero archives a rate documents used instead (and neither comes back).
            await self._write_tax_rate(
                session, {"TaxType": current.get("TaxType"), "Name": current.get("Name"), "Status": "DELETED"}
            )
            return
        if resource == "tracking_category":
            await api.send(session, "DELETE", ("TrackingCategories", record_id), "TrackingCategories", None)
            self.lookups.tracking.forget(session)
            return
        if resource == "ledger_account":
            self._refuse_system(current, "delete")
            (gone,) = await api.send(
                session, "DELETE", ("Accounts", api.id_of(resource, current)), "Accounts", None
            )
            if api.has_errors(gone):
                raise element_error(gone)
            return
        if resource == "item":
            await api.delete(session, ("Items", api.id_of(resource, current)))
            return
        if resource == "journal_entry" and status == "POSTED":
            raise ValidationFailed(
                "Xero deletes only draft manual journals: this one is POSTED",
                issues=[FieldIssue("status", "void it instead (conn.journal_entries.void(id))")],
                provider=self.name,
            )
        await self._set(session, resource, current, {"Status": "DELETED"})

    async def void(
        self, session: ProviderSession, resource: str, record_id: str, row_version: str | None
    ) -> Any:
        self.require(resource, Operation.VOID)
        current = await self._current(session, resource, record_id, row_version)
        if resource == "journal_entry" and str(current.get("Status") or "").upper() == "DRAFT":
            raise ValidationFailed(
                "Xero voids only posted manual journals: this one is a DRAFT",
                issues=[FieldIssue("status", "delete it instead (conn.journal_entries.delete(id))")],
                provider=self.name,
            )
        return await self._set(session, resource, current, {"Status": "VOIDED"})

    async def archive(
        self, session: ProviderSession, resource: str, record_id: str, row_version: str | None
    ) -> Any:
        self.require(resource, Operation.ARCHIVE)
        current = await self._current(session, resource, record_id, row_version)
        if resource == "tracking_category":
            return await self._update_category(session, current, {"status": TrackingStatus.ARCHIVED})
        if resource == "ledger_account":
            return await self._update_account(session, current, {"status": LedgerAccountStatus.ARCHIVED})
        return await self._set(session, resource, current, {"ContactStatus": "ARCHIVED"})

    # ------------------------------------------------------------------------------- tax rates

    async def _write_tax_rate(self, session: ProviderSession, element: Mapping[str, Any]) -> Any:
        """Xero keys tax rates by TaxType in the body, one per request, on ``/TaxRates`` itself."""
        try:
            return await self._write_one(session, "tax_rate", "POST", element, None)
        finally:
            self.lookups.tax_rates.forget(session)

    async def _create_tax_rate(self, session: ProviderSession, rate: TaxRate) -> Any:
        payload = self.codec.encode(rate)
        if "ReportTaxType" not in payload:
            company = await self.company(session)
            if (company.country or "").upper() in REPORT_TYPE_REGIONS:
                _refuse(
                    "tax rate",
                    [
                        FieldIssue(
                            "applies_to",
                            f"Xero needs a report tax type for rates of a {company.country} organisation: "
                            "give applies_to sales or purchases (one of them), or pass_through ReportTaxType",
                        )
                    ],
                )
        try:
            return await self._write_one(session, "tax_rate", "PUT", payload, None)
        finally:
            self.lookups.tax_rates.forget(session)

    # --------------------------------------------------------------------- tracking categories

    async def _create_category(self, session: ProviderSession, category: TrackingCategory) -> Any:
        """Xero creates a category, then each option on its own: when an option fails, the new category
        is deleted again so nothing is left half made."""
        self.lookups.tracking.forget(session)
        (made,) = await api.write(session, "tracking_category", "PUT", [self.codec.encode(category)])
        if api.has_errors(made):
            raise element_error(made)
        category_id = str(made.get("TrackingCategoryID"))
        try:
            for option in category.options:
                await self._write_option(session, category_id, None, option.name, option.status)
        except BaseException:
            with contextlib.suppress(Exception):
                await api.send(
                    session, "DELETE", ("TrackingCategories", category_id), "TrackingCategories", None
                )
            raise
        return await self.get(session, "tracking_category", category_id)

    async def _write_option(
        self,
        session: ProviderSession,
        category_id: str,
        option_id: str | None,
        name: str | None,
        status: TrackingStatus | None,
    ) -> None:
        base = ("TrackingCategories", category_id, "Options")
        if option_id is None:
            (made,) = await api.send(session, "PUT", base, "Options", {"Name": name})
            option_id = str(made.get("TrackingOptionID"))
            name = None
            status = status if status is not TrackingStatus.ACTIVE else None
        if status is TrackingStatus.DELETED:
            await api.send(session, "DELETE", (*base, option_id), "Options", None)
            return
        changes: dict[str, Any] = {"Name": name} if name is not None else {}
        if status is not None:
            changes["Status"] = TO_XERO_STATUS[status]
        if changes:
            await api.send(session, "POST", (*base, option_id), "Options", changes)

    async def _update_category(
        self, session: ProviderSession, current: Mapping[str, Any], fields: Mapping[str, Any]
    ) -> Any:
        """Rename, (un)archive or delete a category and add, rename, (un)archive or delete options,
        each a request of its own; options left out stay as they are."""
        category_id = str(current.get("TrackingCategoryID"))
        known = {str(o.get("TrackingOptionID")).lower(): o for o in current.get("Options") or []}
        options = [
            o if isinstance(o, TrackingOption) else TrackingOption.model_validate(o)
            for o in fields.get("options") or []
        ]
        unknown = [
            FieldIssue(
                f"options.{index}.id", f"the category has no option {option.id!r}: leave id out to add one"
            )
            for index, option in enumerate(options)
            if option.id is not None and option.id.lower() not in known
        ]
        _refuse("tracking category", unknown)
        status = TrackingStatus(fields["status"]) if fields.get("status") is not None else None
        self.lookups.tracking.forget(session)
        if status is TrackingStatus.DELETED:
            await api.send(session, "DELETE", ("TrackingCategories", category_id), "TrackingCategories", None)
            return await self.get(session, "tracking_category", category_id)
        changes: dict[str, Any] = {"Name": fields["name"]} if fields.get("name") else {}
        if changes:
            await api.send(
                session, "POST", ("TrackingCategories", category_id), "TrackingCategories", changes
            )
        for option in options:
            stored = known.get((option.id or "").lower())
            if stored is None:
                await self._write_option(session, category_id, None, option.name, option.status)
                continue
            renamed = option.name if option.name != stored.get("Name") else None
            moved = option.status if option.status is not status_of(stored.get("Status")) else None
            await self._write_option(
                session, category_id, str(stored.get("TrackingOptionID")), renamed, moved
            )
        if status is not None and status is not status_of(current.get("Status")):
            await api.send(
                session,
                "POST",
                ("TrackingCategories", category_id),
                "TrackingCategories",
                {"Status": TO_XERO_STATUS[status]},
            )
        return await self.get(session, "tracking_category", category_id)

    # -------------------------------------------------------------------------------- bulk

    def _batches(self, session: ProviderSession, count: int) -> list[range]:
        size = xero_settings(session.settings).bulk_batch_size
        return [range(start, min(start + size, count)) for start in range(0, count, size)]

    async def _bulk_write(
        self,
        session: ProviderSession,
        resource: str,
        method: str,
        elements: Mapping[int, Mapping[str, Any]],
        results: dict[int, BulkResult],
    ) -> None:
        """Write ``elements`` (input index → Xero element) in batches; per-element outcomes."""
        indices = sorted(elements)
        failure: Exception | None = None
        for batch in self._batches(session, len(indices)):
            chosen = [indices[i] for i in batch]
            if failure is None:
                try:
                    written = await api.write(
                        session, resource, method, [elements[i] for i in chosen], summarize_errors=False
                    )
                except (ProviderError, ValidationFailed) as exc:
                    # The whole request failed (after retries): later batches would fail alike.
                    failure = exc
            if failure is not None:
                results.update({i: BulkResult(i, error=failure) for i in chosen})
                continue
            for index, element in zip(chosen, written, strict=False):
                if api.has_errors(element):
                    results[index] = BulkResult(index, error=element_error(element))
                    continue
                try:
                    results[index] = BulkResult(index, record=self._decode(session, resource, element))
                except DecodeFailed as exc:  # written, but the answer cannot be read
                    results[index] = BulkResult(index, error=exc)
            for index in chosen[len(written) :]:
                results[index] = BulkResult(
                    index, error=ProviderError("Xero skipped this element", provider=PROVIDER)
                )

    async def bulk_create(
        self, session: ProviderSession, resource: str, records: Sequence[RecordMeta]
    ) -> list[BulkResult]:
        self.require(resource, Operation.BULK_CREATE)
        results: dict[int, BulkResult] = {}
        elements: dict[int, Mapping[str, Any]] = {}
        for index, record in enumerate(records):
            try:
                options = await self._prepare(session, resource, record)
            except ValidationFailed as exc:
                results[index] = BulkResult(index, error=exc)
                continue
            elements[index] = self.codec.encode(record, options)
        await self._bulk_write(session, resource, "PUT", elements, results)
        return [results[i] for i in range(len(records))]

    async def bulk_update(
        self, session: ProviderSession, resource: str, updates: Sequence[BulkUpdate]
    ) -> list[BulkResult]:
        self.require(resource, Operation.BULK_UPDATE)
        id_field = RESOURCES[resource][1]
        results: dict[int, BulkResult] = {}
        current: dict[str, dict[str, Any]] = {}
        for batch in self._batches(session, len(updates)):
            current.update(await api.fetch_records(session, resource, [updates[i].id for i in batch]))
        elements: dict[int, Mapping[str, Any]] = {}
        for index, update in enumerate(updates):
            record = current.get(update.id.lower())
            try:
                if record is None:
                    raise NotFound(f"no {resource} {update.id!r}", provider=PROVIDER, status_code=404)
                _check_version(resource, record, update.row_version)
                options = await self._prepare(session, resource, update.fields, record)
            except (ProviderError, ValidationFailed) as exc:
                results[index] = BulkResult(index, error=exc)
                continue
            changes = encode_changes(resource, update.fields, options)
            elements[index] = {id_field: api.id_of(resource, record), **changes}
        await self._bulk_write(session, resource, "POST", elements, results)
        return [results[i] for i in range(len(updates))]

    async def read_change_feed(
        self, session: ProviderSession, resources: Sequence[str], since: datetime
    ) -> ChangeFeedResult:
        for resource in resources:
            self.require(resource, Operation.LIST)
        return await read_changes(session, resources, since, functools.partial(self.read_page, session))

    # ------------------------------------------------------------------- reports and documents

    async def report(self, session: ProviderSession, request: ReportRequest) -> Report:
        query = reports.params(request)
        async with scopes.needing(scopes.REPORTS, "read reports"):
            response = await session.request(
                "GET", api.url_of(session, "Reports", reports.REPORT_IDS[request.name]), params=query
            )
        currency = (await self.company(session)).base_currency
        return self.read_report(
            session, response.content, lambda body: reports.read(request, jsonutil.loads(body), currency)
        )

    async def upload_attachment(self, session: ProviderSession, upload: AttachmentUpload) -> Attachment:
        async with scopes.needing(scopes.ATTACHMENTS, "attach files"):
            return await attachments.upload(session, upload)

    async def list_attachments(
        self, session: ProviderSession, resource: str, record_id: str
    ) -> list[Attachment]:
        async with scopes.needing(scopes.ATTACHMENTS, "list attachments"):
            return await attachments.list_for(session, resource, record_id)

    async def download_attachment(self, session: ProviderSession, ref: AttachmentRef) -> AsyncIterator[bytes]:
        async with scopes.needing(scopes.ATTACHMENTS, "read attachments"):
            async for chunk in attachments.download(session, ref):
                yield chunk

    async def pdf(self, session: ProviderSession, resource: str, record_id: str) -> bytes:
        self.require(resource, Operation.PDF)
        return await documents.pdf(session, resource, record_id)

    async def send(self, session: ProviderSession, resource: str, record_id: str, to: str | None) -> Any:
        self.require(resource, Operation.SEND)
        return self._decode(session, resource, await documents.email(session, record_id, to))

    # ------------------------------------------------------------------------------ raw requests

    def api_root(self, session: ProviderSession) -> str:
        """Xero's Accounting API; the organisation is named by the ``xero-tenant-id`` header that
        :meth:`default_headers` adds to every call."""
        return rebase(api.API_BASE, session.settings.base_url)

    def idempotent_request(
        self, session: ProviderSession, method: str, params: dict[str, Any], headers: dict[str, str]
    ) -> tuple[dict[str, Any], dict[str, str]] | None:
        """Xero answers a write sent again with the same ``Idempotency-Key`` as it did the first time."""
        if not any(name.lower() == "idempotency-key" for name in headers):
            headers = {**headers, "Idempotency-Key": session.new_idempotency_key()}
        return params, headers

    # ------------------------------------------------------------------------------------- OAuth

    def oauth_scopes(self, settings: ProviderSettings) -> tuple[str, ...]:
        return tuple(settings.scopes or oauth.default_scopes(settings))

    async def granted_companies(
        self,
        http: httpx.AsyncClient,
        settings: ProviderSettings,
        tokens: TokenSet,
        callback_params: Mapping[str, str],
    ) -> list[Grant]:
        return await oauth.granted_companies(self, http, settings, tokens)

    async def disconnect(
        self,
        http: httpx.AsyncClient,
        settings: ProviderSettings,
        tokens: TokenSet,
        grant_metadata: Mapping[str, str],
    ) -> None:
        await oauth.disconnect(self, http, settings, tokens, grant_metadata)

    # ---------------------------------------------------------------------------------- webhooks

    def webhook_response_status(self, body: bytes, headers: Mapping[str, str], secret: str) -> int:
        """What to answer a delivery, the intent-to-receive check included: 200 if signed right, else 401."""
        return 200 if self.verify_webhook(body, headers, secret) else 401

    def parse_webhook(self, body: bytes) -> list[WebhookEvent]:
        return webhooks.parse(body)

    # ---------------------------------------------------------------------------------- emulator

    def create_emulator(self, **options: Any) -> ASGIApp:
        try:
            from .emulator import create_emulator
        except ImportError as exc:  # pragma: no cover - the emulator ships in this distribution
            raise UnsupportedOperation(self.name, "emulator") from exc
        app: ASGIApp = create_emulator(**options)
        return app

    def emulator_command(self) -> Any:
        from .emulator.command import COMMAND

        return COMMAND
