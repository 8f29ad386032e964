"""The QuickBooks Online provider: the unified operations expressed as Accounting API v3 calls."""

from __future__ import annotations

import asyncio
import functools
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, ClassVar

import httpx

from unified_accounting.amounts import amounts_beyond
from unified_accounting.decoding import RecordIssue
from unified_accounting.errors import (
    Conflict,
    DecodeFailed,
    FieldIssue,
    NotFound,
    ProviderError,
    ValidationFailed,
)
from unified_accounting.models import (
    Allocation,
    Bill,
    BillPayment,
    CreditAllocation,
    CreditNote,
    Customer,
    Expense,
    ExpensePaymentType,
    ExpenseType,
    Invoice,
    Item,
    ItemType,
    LineItemType,
    Payment,
    PaymentType,
    SupplierCredit,
    TaxMode,
    TaxRate,
    TaxRateStatus,
    WebhookEvent,
)
from unified_accounting.models.common import RecordMeta
from unified_accounting.models.money import excess_precision_in_update
from unified_accounting.provider import (
    BulkResult,
    BulkUpdate,
    ChangeFeedResult,
    Operation,
    Page,
    Provider,
    ProviderSession,
    ProviderSettings,
    StaleReader,
    UnreadPage,
    capabilities,
    read_codec_page,
)
from unified_accounting.ratelimits import RateLimits
from unified_accounting.settings import settings_as
from unified_accounting.tokens import TokenSet

from . import accounts, checks, credit_uses, listing, oauth, taxes, terms, tracking, webhooks
from . import changes as change_reads
from .api import Api, app_of, company_url, is_metered, settings_of
from .codec import (
    ENTITIES,
    PROVIDER,
    READ_ONLY,
    EncodeContext,
    QuickBooksCodec,
    encode_fields,
    encode_record,
)
from .conflicts import VersionCache, changed_fields
from .contacts import addresses
from .directory import Directory, TaxBook, composite
from .documents import QuickBooksDocuments
from .errors import error_from_fault, error_from_response, fault_errors
from .limits import BATCH, RATE_LIMITS
from .meter import UsageMeter
from .models import Account
from .query import MAX_RESULTS, select
from .settings import QuickBooksSettings
from .support import FIELD_SUPPORT, record_values, refused_issues
from .taxes import keep_tax_code, needs_tax_code

#: Intuit's bound on amounts, "max 15 digits in 10.5 format".
MAX_AMOUNT = Decimal("9999999999.99999")
#: QuickBooks' limit of items per batch request.
BATCH_SIZE = 30
DEFAULT_PAGE_SIZE = MAX_RESULTS
#: Name lists hide inactive rows from queries unless ``Active`` is filtered on.
NAME_LISTS = frozenset({"Customer", "Item", "Account"})
#: Resources read from several entities: their changes are listed, not read through CDC.
LISTED_CHANGES = frozenset({"tax_rate", "tracking_category"})
#: Fields ``_prepare`` may fill in (a term's id, a customer's currency, how an expense is paid).
PREPARED = ("terms", "currency", "payment_type")
#: Resources checked by :meth:`QuickBooksProvider._prepare_payables`.
PAYABLES = frozenset({"supplier", "bill", "bill_payment", "supplier_credit", "expense"})
#: Ids per ``Id IN (...)`` query: keeps the GET's URL well under common 8 KB limits.
ID_CHUNK = 100


def _start_position(cursor: str | None) -> int:
    """The query start position a list cursor stands for (1-based); a junk cursor is refused."""
    if not cursor:
        return 1
    try:
        start = int(cursor)
    except ValueError:
        start = 0
    if start < 1:
        raise ValidationFailed(
            "invalid list cursor",
            issues=[FieldIssue("cursor", f"{cursor!r} is not a cursor this QuickBooks list returned")],
            provider="quickbooks",
        )
    return start


class QuickBooksProvider(QuickBooksDocuments, Provider):
    name = "quickbooks"
    display_name = "QuickBooks Online"
    settings_model = QuickBooksSettings
    capabilities = capabilities(
        invoice="create get list update delete void send pdf bulk_create bulk_update",
        customer="create get list update archive bulk_create bulk_update",
        payment="create get list update delete void bulk_create bulk_update",
        item="create get list update archive",
        account="get list",
        ledger_account="create get list update archive",
        credit_note="create get list update delete void allocate pdf",
        supplier_credit="create get list update delete allocate",
        expense="create get list update delete void",
        supplier="create get list update archive",
        bill="create get list update delete",
        bill_payment="create get list update delete void",
        journal_entry="create get list update delete",
        tax_rate="create get list",
        tracking_category="get list",
        company_info="get",
    )
    list_filters: ClassVar[Mapping[str, frozenset[str]]] = {
        "tax_rate": frozenset({"status"}),
        **listing.declared_filters(),
    }
    #: Sorts pushed down into ``ORDERBY`` (see :mod:`listing`).
    list_sorts: ClassVar[Mapping[str, frozenset[str]]] = listing.declared_sorts()
    field_support: ClassVar[Mapping[str, Mapping[str, tuple[str, str]]]] = FIELD_SUPPORT
    #: QuickBooks' own resources (not in the unified catalog): ``conn.resource("account")``.
    models: ClassVar[Mapping[str, type[RecordMeta]]] = {"account": Account}
    oauth = oauth.OAUTH
    rate_limits = RATE_LIMITS
    webhook_signature_header = webhooks.SIGNATURE_HEADER

    #: The largest amount QuickBooks takes: Intuit documents amounts as "max 15 digits in 10.5
    #: format" (ten digits before the point, five after). Larger ones are refused before any call.
    max_amount = MAX_AMOUNT
    #: Change Data Capture looks back 30 days; reads are kept a margin inside (clocks differ).
    change_feed_window = change_reads.CDC_WINDOW - change_reads.CDC_MARGIN

    def __init__(self) -> None:
        self.codec: QuickBooksCodec = QuickBooksCodec()
        self.meter = UsageMeter()
        self.versions = VersionCache()
        self.api = Api(self.meter)
        self.directory = Directory(self.api)

    # ------------------------------------------------------------------------ checks and hooks

    def validate(self, resource: str, record: RecordMeta, operation: Operation) -> list[FieldIssue]:
        issues = amounts_beyond(record, self.max_amount, provider=self.name)
        values = record_values(record)
        issues += refused_issues(resource, values) + checks.static_issues(resource, values)
        if isinstance(record, Invoice | CreditNote):
            issues += self._invoice_issues(record.reference, record.line_items)
        if isinstance(record, Payment) and not record.customer_id:
            issues.append(FieldIssue("customer_id", "QuickBooks needs the paying customer"))
        if isinstance(record, Payment) and record.type is not PaymentType.INVOICE_PAYMENT:
            issues.append(
                FieldIssue(
                    "type",
                    "QuickBooks payments are invoice payments: a refund of credit is a RefundReceipt "
                    "(pass_through or conn.request), and QuickBooks has no overpayment or prepayment records",
                )
            )
        if isinstance(record, Item):
            issues += checks.item_issues(record)
        if isinstance(record, Bill | SupplierCredit | Expense):
            issues += checks.expense_line_issues(record.line_items)
        if isinstance(record, BillPayment) and not record.account_id:
            issues.append(
                FieldIssue(
                    "account_id", "QuickBooks needs the bank or credit card account the bill is paid from"
                )
            )
        return issues

    def validate_update(self, resource: str, fields: Mapping[str, Any]) -> list[FieldIssue]:
        issues = amounts_beyond(fields, self.max_amount, provider=self.name)
        issues += [
            FieldIssue(name, "is computed by QuickBooks and cannot be changed")
            for name in fields
            if name in READ_ONLY.get(resource, frozenset())
        ]
        issues += refused_issues(resource, fields) + checks.static_issues(resource, fields)
        if resource in ("invoice", "credit_note"):
            issues += self._invoice_issues(fields.get("reference"), fields.get("line_items") or [])
        if resource == "item":
            issues += checks.item_update_issues(fields)
        if resource in ("bill", "supplier_credit", "expense") and fields.get("line_items"):
            issues += checks.expense_line_issues(fields["line_items"])
        return issues

    @staticmethod
    def _invoice_issues(reference: Any, lines: Sequence[Any]) -> list[FieldIssue]:
        issues = []
        for index, line in enumerate(lines):
            if line.type is LineItemType.SALES_ITEM and line.discount_percentage:
                issues.append(
                    FieldIssue(
                        f"line_items.{index}.discount_percentage",
                        "QuickBooks has no per-line discount: add a discount line instead",
                    )
                )
        return issues

    @staticmethod
    def _require_items(settings: QuickBooksSettings, lines: Sequence[Any]) -> None:
        # Provider.validate cannot see the settings, so the default item is checked here, still
        # before any HTTP call.
        missing = [
            FieldIssue(
                f"line_items.{index}.item_id",
                "QuickBooks needs an item on every sales line: set item_id or the default_item_id setting",
            )
            for index, line in enumerate(lines)
            if line.type is LineItemType.SALES_ITEM and not line.item_id and not settings.default_item_id
        ]
        if missing:
            raise ValidationFailed(
                "invoice is not acceptable to quickbooks", issues=missing, provider="quickbooks"
            )

    def error_from_response(self, response: httpx.Response) -> ProviderError | ValidationFailed:
        return error_from_response(response)

    def limits_for(self, settings: ProviderSettings) -> RateLimits:
        chosen = settings_as(QuickBooksSettings, settings)
        return RATE_LIMITS.adjusted(
            calls={
                "second": chosen.requests_per_second,
                "minute": chosen.requests_per_minute,
                BATCH: chosen.batch_per_minute,
            },
            concurrent=chosen.max_concurrent,
            count_from=chosen.limiter_counts_from,
            margin=chosen.limiter_margin_s,
        )

    def observe_response(self, session: ProviderSession, response: httpx.Response) -> None:
        super().observe_response(session, response)
        if response.status_code == 429 or "/v3/company/" not in response.request.url.path:
            return  # a throttled call was not served, so Intuit does not count it
        settings = settings_of(session)
        self.meter.record(
            app_of(session),
            session.company_id,
            "read" if is_metered(response.request) else "write",
            budget=settings.monthly_read_budget,
            warning_ratio=settings.budget_warning_ratio,
        )

    # ------------------------------------------------------------------------------- decoding

    def read_record(self, session: ProviderSession, resource: str, payload: Any) -> Any:
        # ``SalesTermRef`` ids read as terms through the company's term list (see ``_load_terms``).
        with terms.decoding_with(self.directory.kept_terms(session)):
            return super().read_record(session, resource, payload)

    def read_page(
        self, session: ProviderSession, resource: str, body: Any
    ) -> tuple[list[Any], list[RecordIssue]]:
        with terms.decoding_with(self.directory.kept_terms(session)):
            return super().read_page(session, resource, body)

    async def _load_terms(self, session: ProviderSession, resource: str, payload: Any) -> None:
        """Read the company's terms before decoding ``payload`` when it names one (one query, kept
        for a while): a term made since the list was read refreshes it."""
        if resource not in _TERM_RESOURCES:
            return
        named = _term_ids(payload)
        if not named:
            return
        book = await self.directory.terms(session)
        if named - set(book.terms):
            await self.directory.terms(session, fresh=True)

    async def _read_page_with_terms(
        self, session: ProviderSession, resource: str, body: bytes
    ) -> tuple[list[Any], list[RecordIssue]]:
        """A query answer's records, their terms read through the company's term list. With a list
        kept, the page is decoded at once and only one naming a term the list lacks reads the list
        again (and is decoded again): scanning every page's bytes for term ids first cost a
        fortieth of a sync's decoding."""
        book = self.directory.kept_terms(session)
        if book is None or resource not in _TERM_RESOURCES:
            await self._load_terms(session, resource, body)
            return self.read_page(session, resource, body)
        missing = len(book.missing)
        items, issues = self.read_page(session, resource, body)
        if len(book.missing) == missing:
            return items, issues
        await self.directory.terms(session, fresh=True)
        return self.read_page(session, resource, body)

    async def _decode(self, session: ProviderSession, resource: str, body: Mapping[str, Any]) -> Any:
        """A write's answer through the codec (the version remembered for the conflict policy)."""
        entity = ENTITIES[resource]
        payload = body[entity] if isinstance(body.get(entity), dict) else body
        if settings_of(session).conflict_policy == "reapply":
            self.versions.remember(session.company_id, entity, payload)
        await self._load_terms(session, resource, payload)
        return await self._one_with_uses(session, resource, self.read_record(session, resource, payload))

    async def get(self, session: ProviderSession, resource: str, record_id: str) -> Any:
        payload = await self.fetch_record(session, resource, record_id)
        await self._load_terms(session, resource, payload)
        return await self._one_with_uses(session, resource, self.read_record(session, resource, payload))

    async def _with_uses(self, session: ProviderSession, resource: str, records: list[Any]) -> list[Any]:
        """Credit memos and vendor credits with their allocations, read from the payments that
        apply them (one query per page; see :mod:`.credit_uses`); other records as they are."""
        if resource not in credit_uses.USES or not records:
            return records
        return await credit_uses.with_allocations(
            functools.partial(self.api.query, session), resource, records
        )

    async def _one_with_uses(self, session: ProviderSession, resource: str, record: Any) -> Any:
        return (await self._with_uses(session, resource, [record]))[0]

    def _context(self, session: ProviderSession) -> EncodeContext:
        return EncodeContext(settings_of(session).default_item_id)

    # ---------------------------------------------------------------------- checks with the company

    async def _prepare(
        self,
        session: ProviderSession,
        resource: str,
        values: dict[str, Any],
        *,
        current: Mapping[str, Any] | None = None,
    ) -> EncodeContext:
        """Check ``values`` (a new record's fields, or an update's) against the company before any
        write, resolve their terms to a ``Term`` id, and say how to encode them. ``current`` is the
        record as stored, for an update. Raises ``ValidationFailed`` naming each refused field."""
        context = self._context(session)
        if resource in PAYABLES:
            return await self._prepare_payables(session, resource, values, current, context)
        # A credit memo has the body of an invoice, and the same checks.
        kind = "invoice" if resource == "credit_note" else resource
        if kind not in ("invoice", "payment", "customer"):
            return context
        needs_setup = kind != "customer" or any(
            values.get(name) is not None for name in ("currency", "terms")
        )
        setup = await self._setup(session) if needs_setup else None
        issues: list[FieldIssue] = []
        mode: TaxMode | None = None
        percents: Mapping[str, Any] | None = None
        if setup is not None:
            if kind == "invoice":
                given = values.get("tax_mode")
                mode = TaxMode(given) if given is not None else None
                if mode is None and current is not None:
                    mode = taxes.document_mode(current, [])
                if mode is TaxMode.INCLUSIVE and not setup.us:
                    percents = (await self.directory.taxes(session)).percents()
            if kind in ("invoice", "payment") and setup.multi_currency:
                # Fills the currency from the customer's when none is given.
                issues += await self._customer_currency(session, resource, values, current)
            stored = ((current or {}).get("CurrencyRef") or {}).get("value")
            issues += checks.setup_issues(
                kind, values, setup, mode=mode, known_codes=percents, stored_currency=stored
            )
            issues += self._currency_precision(resource, values, setup.home_currency, current)
            if resource == "customer" and current is not None and values.get("currency") is not None:
                stored = (current.get("CurrencyRef") or {}).get("value")
                if stored and stored != values["currency"]:
                    issues.append(
                        FieldIssue("currency", f"a QuickBooks customer's currency ({stored}) never changes")
                    )
        if issues:
            raise ValidationFailed(
                f"{resource} is not acceptable to this QuickBooks company", issues=issues, provider=self.name
            )
        if values.get("terms") is not None and values["terms"].id is None:
            term_id = await self.directory.term_id(session, values["terms"])
            values["terms"] = values["terms"].model_copy(update={"id": term_id})
        context.setup = setup
        context.tax_mode = mode
        context.code_percents = percents or {}
        stored_currency = ((current or {}).get("CurrencyRef") or {}).get("value")
        context.currency = (
            values.get("currency") or stored_currency or (setup.home_currency if setup else None)
        )
        if resource == "customer" and current is not None:
            context.current_emails = addresses((current.get("PrimaryEmailAddr") or {}).get("Address"))
        return context

    async def _prepare_payables(
        self,
        session: ProviderSession,
        resource: str,
        values: dict[str, Any],
        current: Mapping[str, Any] | None,
        context: EncodeContext,
    ) -> EncodeContext:
        """Suppliers, bills and bill payments: their terms as a Term id, a bill's tax setup, and how a
        bill payment pays (by check from a bank account, or by credit card)."""
        issues: list[FieldIssue] = []
        stored_currency = ((current or {}).get("CurrencyRef") or {}).get("value")
        if resource == "supplier" and current is not None:
            given = values.get("currency")
            if given is not None and stored_currency and stored_currency != given:
                issues.append(
                    FieldIssue(
                        "currency", f"a QuickBooks vendor's currency ({stored_currency}) never changes"
                    )
                )
            context.current_emails = addresses((current.get("PrimaryEmailAddr") or {}).get("Address"))
        if resource in ("bill", "supplier_credit", "expense"):
            setup = await self._setup(session)
            context.setup = setup
            given_mode = values.get("tax_mode")
            mode = TaxMode(given_mode) if given_mode is not None else None
            if mode is None and current is not None:
                mode = taxes.document_mode(current, [])
            if mode is TaxMode.INCLUSIVE and setup.us:
                issues.append(FieldIssue("tax_mode", "US QuickBooks companies have no tax-inclusive amounts"))
            elif mode is TaxMode.INCLUSIVE:
                context.code_percents = (await self.directory.taxes(session)).percents()
            context.tax_mode = mode
            context.currency = values.get("currency") or stored_currency or setup.home_currency
        if resource == "expense" and values.get("account_id") is not None:
            issues += await self._paid_from(session, values, current)
        if resource == "bill_payment" and values.get("account_id") is not None:
            account = await self.fetch_record(session, "ledger_account", str(values["account_id"]))
            kind = account.get("AccountType")
            if kind == "Credit Card":
                context.pay_type = "CreditCard"
            elif kind != "Bank":
                issues.append(
                    FieldIssue(
                        "account_id",
                        f"QuickBooks pays bills from a bank account (by check) or a credit card account, "
                        f"not from account {values['account_id']} ({kind})",
                    )
                )
        if issues:
            raise ValidationFailed(
                f"{resource} is not acceptable to this QuickBooks company", issues=issues, provider=self.name
            )
        if values.get("terms") is not None and values["terms"].id is None:
            term_id = await self.directory.term_id(session, values["terms"])
            values["terms"] = values["terms"].model_copy(update={"id": term_id})
        return context

    async def _paid_from(
        self, session: ProviderSession, values: dict[str, Any], current: Mapping[str, Any] | None
    ) -> list[FieldIssue]:
        """An expense's payment type follows from the account paid from when not given: a credit
        card account pays by card, a bank account in cash (QuickBooks' "Expense"); a refund (a
        credit-card credit) needs a card account."""
        account = await self.fetch_record(session, "ledger_account", str(values["account_id"]))
        kind = account.get("AccountType")
        card = kind == "Credit Card"
        if kind not in ("Credit Card", "Bank", "Other Current Asset"):
            return [
                FieldIssue(
                    "account_id",
                    f"QuickBooks expenses are paid from a bank or credit card account, not from account "
                    f"{values['account_id']} ({kind})",
                )
            ]
        given = values.get("payment_type")
        if given is None:
            values["payment_type"] = ExpensePaymentType.CARD if card else ExpensePaymentType.CASH
        elif (ExpensePaymentType(given) is ExpensePaymentType.CARD) != card:
            return [
                FieldIssue(
                    "payment_type",
                    f"a {ExpensePaymentType(given).value} expense is paid from "
                    f"{'a credit card' if given == ExpensePaymentType.CARD else 'a bank'} account; account "
                    f"{values['account_id']} is {kind}",
                )
            ]
        refund = values.get("type") or ((current or {}).get("Credit") and ExpenseType.REFUND)
        if refund == ExpenseType.REFUND and not card:
            return [
                FieldIssue(
                    "type",
                    "QuickBooks refunds an expense as a credit-card credit: pay it from a card account",
                )
            ]
        return []

    async def _setup(self, session: ProviderSession) -> Any:
        """The company's setup, read with ``Provider.company`` (cached) when possible."""
        found = self.directory.kept_setup(session)
        if found is None:
            await self.company(session)  # reads CompanyInfo and Preferences, keeping the setup
            found = await self.directory.setup(session)
        return found

    @staticmethod
    def _currency_precision(
        resource: str, values: Mapping[str, Any], home: str, current: Mapping[str, Any] | None
    ) -> list[FieldIssue]:
        # The client checks amounts at 2 decimals when a record names no currency; the company's
        # home currency may have fewer (JPY) or more.
        if values.get("currency") is not None:
            return []
        stored = ((current or {}).get("CurrencyRef") or {}).get("value")
        currency = stored or home
        model = {"invoice": Invoice, "payment": Payment, "customer": Customer, "credit_note": CreditNote}[
            resource
        ]
        return excess_precision_in_update(model, values, currency)

    async def _customer_currency(
        self,
        session: ProviderSession,
        resource: str,
        values: dict[str, Any],
        current: Mapping[str, Any] | None,
    ) -> list[FieldIssue]:
        """A multi-currency company fixes each customer's currency and its documents must be in it:
        the customer is read, and a document naming no currency takes the customer's."""
        customer_id = values.get("customer_id") or ((current or {}).get("CustomerRef") or {}).get("value")
        if not customer_id or (
            current is not None and "currency" not in values and "customer_id" not in values
        ):
            return []
        customer = await self.fetch_record(session, "customer", str(customer_id))
        theirs = (customer.get("CurrencyRef") or {}).get("value")
        given = values.get("currency") or ((current or {}).get("CurrencyRef") or {}).get("value")
        if theirs is None:
            return []
        if given is None:
            values["currency"] = theirs
            return []
        if given != theirs:
            return [
                FieldIssue(
                    "currency",
                    f"customer {customer_id} is billed in {theirs} and QuickBooks fixes a customer's "
                    f"currency: make the {resource} in {theirs}, or use a customer in {given}",
                )
            ]
        return []

    # ----------------------------------------------------------------------------- operations

    async def create(self, session: ProviderSession, resource: str, record: RecordMeta) -> Any:
        if resource == "tax_rate":
            assert isinstance(record, TaxRate)
            return await self._create_tax_rate(session, record)
        if isinstance(record, Invoice | CreditNote):
            self._require_items(settings_of(session), record.line_items)
        values = record_values(record)
        context = await self._prepare(session, resource, values)
        record = record.model_copy(update={key: values[key] for key in PREPARED if key in values})
        payload = encode_record(record, context)
        if isinstance(record, Item) and record.type is ItemType.INVENTORY:
            # QuickBooks counts tracked quantities from a start date, which it requires.
            payload.setdefault("InvStartDate", datetime.now(UTC).date().isoformat())
        body = await self.api.write(session, ENTITIES[resource].lower(), payload=payload)
        return await self._decode(session, resource, body)

    async def fetch_record(self, session: ProviderSession, resource: str, record_id: str) -> dict[str, Any]:
        """The record's JSON (``get`` decodes it through the codec); its version is remembered for
        the conflict policy. Resources read from several entities come as a mapping of them."""
        if resource == "company_info":
            return await self.directory.company_payload(session)
        if resource == "tax_rate":
            return await self._fetch_tax_rate(session, record_id)
        if resource == "tracking_category":
            return await self._fetch_tracking_category(session, record_id)
        entity = ENTITIES[resource]
        body = await self.api.read(session, entity.lower(), record_id)
        payload: dict[str, Any] = body[entity]
        if settings_of(session).conflict_policy == "reapply":
            self.versions.remember(session.company_id, entity, payload)
        return payload

    # -------------------------------------------------------------------- tax rates and tracking

    async def _fetch_tax_rate(self, session: ProviderSession, record_id: str) -> dict[str, Any]:
        if record_id == taxes.TAX:
            raise NotFound(f"{taxes.TAX} is not a tax rate (US taxable lines)", provider=self.name)
        book = await self.directory.read_taxes(session, [record_id])
        if not book.codes:
            raise NotFound(f"no tax code {record_id}", provider=self.name, code="610")
        return {"TaxCode": book.codes[0], "TaxRate": book.rates}

    async def _tax_rate_page(
        self, session: ProviderSession, start: int, size: int, updated_since: Any
    ) -> Page:
        query = select("TaxCode").where("Active", "IN", [True, False])
        if updated_since is not None:
            query = query.where("MetaData.LastUpdatedTime", ">=", updated_since)
        body = await self.api.query(session, str(query.order_by("Id").page(start, size)))
        rows = list((body.get("QueryResponse") or {}).get("TaxCode") or ())
        listed = [row for row in rows if str(row.get("Id")) != taxes.TAX]
        ids = [str(row.get("Id")) for row in listed if taxes.rate_ids(row)]
        book = await self.directory.read_taxes(session, ids) if ids else None
        items, issues = self.read_page(session, "tax_rate", composite(book or TaxBook(), listed))
        return Page(items=items, next_cursor=str(start + size) if len(rows) == size else None, issues=issues)

    async def _create_tax_rate(self, session: ProviderSession, record: TaxRate) -> Any:
        """``POST /taxservice/taxcode``: a code with a new rate per component and use, owed to the
        company's first tax agency; then the code is read back."""
        agency = await self.directory.tax_agency(session)
        if agency is None:
            raise ValidationFailed(
                "tax_rate is not acceptable to this QuickBooks company",
                issues=[
                    FieldIssue("rate", "the company has no tax agency to owe a new rate to: add one first")
                ],
                provider=self.name,
            )
        payload = taxes.tax_service_payload(record, agency, await self.directory.rate_names(session))
        body = await self.api.write(session, "taxservice", "taxcode", payload=payload)
        self.directory.forget("taxes", session)
        return await self.get(session, "tax_rate", str(body["TaxCodeId"]))

    async def _fetch_tracking_category(self, session: ProviderSession, record_id: str) -> dict[str, Any]:
        if record_id not in tracking.CATEGORIES:
            raise NotFound(
                f"QuickBooks tracking categories are {' and '.join(tracking.CATEGORIES)}, not {record_id!r}",
                provider=self.name,
            )
        body = await self._tracking_body(session, [record_id])
        if not _enabled(body["Preferences"], record_id):
            raise NotFound(f"{record_id} tracking is off in this QuickBooks company", provider=self.name)
        return {
            "Category": record_id,
            "Preferences": body["Preferences"],
            "Options": body[tracking.ENTITIES[record_id]],
        }

    async def _tracking_body(self, session: ProviderSession, categories: Sequence[str]) -> dict[str, Any]:
        prefs = (await self.api.read(session, "preferences")).get("Preferences") or {}
        body: dict[str, Any] = {"Preferences": prefs}
        for category in categories:
            entity = tracking.ENTITIES[category]
            rows: list[Any] = []
            if _enabled(prefs, category):
                start = 1
                while True:
                    query = select(entity).where("Active", "IN", [True, False]).order_by("Id")
                    answer = await self.api.query(session, str(query.page(start, MAX_RESULTS)))
                    found = (answer.get("QueryResponse") or {}).get(entity) or []
                    rows += found
                    if len(found) < MAX_RESULTS:
                        break
                    start += MAX_RESULTS
            body[entity] = rows
        return body

    def _select(self, resource: str) -> Any:
        entity = ENTITIES[resource]
        query = select(entity)
        if entity in NAME_LISTS:
            query = query.where("Active", "IN", [True, False])  # archived records are records too
        return query

    async def list_page(
        self,
        session: ProviderSession,
        resource: str,
        *,
        cursor: str | None,
        updated_since: datetime | None,
        page_size: int | None,
        filters: Mapping[str, Any] | None = None,
        sort: Any = None,
    ) -> Page:
        # Overridden rather than built on fetch_page: the next cursor depends on how many records
        # the page held, read or not.
        size = min(page_size or DEFAULT_PAGE_SIZE, MAX_RESULTS)
        start = _start_position(cursor)
        if resource == "tax_rate":
            page = await self._tax_rate_page(session, start, size, updated_since)
            wanted = (filters or {}).get("status")
            if wanted is not None:
                # QuickBooks has no status to query on: filtered here, page by page.
                status = TaxRateStatus(getattr(wanted, "value", wanted))
                page.items = [item for item in page.items if item.status is status]
            return page
        if resource == "tracking_category":
            # At most two categories, both on one page; their options come with them.
            body = await self._tracking_body(session, tracking.CATEGORIES)
            items, issues = self.read_page(session, resource, body)
            if updated_since is not None:
                items = [
                    item for item in items if item.updated_at is None or item.updated_at >= updated_since
                ]
            return Page(items=items, next_cursor=None, issues=issues)
        body = await self._query_page(session, resource, start, size, updated_since, filters, sort)
        items, issues = await self._read_page_with_terms(session, resource, body)
        # A full page (records read or not) means there may be more.
        full = len(items) + len(issues) == size
        items = await self._with_uses(session, resource, items)
        return Page(items=items, next_cursor=str(start + size) if full else None, issues=issues)

    async def _query_page(
        self,
        session: ProviderSession,
        resource: str,
        start: int,
        size: int,
        updated_since: datetime | None,
        filters: Mapping[str, Any] | None = None,
        sort: Any = None,
    ) -> bytes:
        """The answer's bytes to a query for ``size`` records of ``resource`` from ``start``."""
        query = self._select(resource)
        if updated_since is not None:
            query = query.where("MetaData.LastUpdatedTime", ">=", updated_since)
        query = listing.ordered(listing.narrowed(query, resource, filters or {}), resource, sort)
        return await self.api.query_bytes(session, str(query.page(start, size)))

    async def list_page_unread(
        self, session: ProviderSession, resource: str, *, cursor: str | None, page_size: int | None
    ) -> UnreadPage | None:
        # Pages that need more than their body are read by list_page only: tax rates and tracking
        # categories (built from several queries), and credits with their uses (a query per page).
        if resource in _READ_WHOLE or resource in credit_uses.USES or resource not in ENTITIES:
            return None
        size = min(page_size or DEFAULT_PAGE_SIZE, MAX_RESULTS)
        start = _start_position(cursor)
        book = self.directory.kept_terms(session)
        if book is None and resource in _TERM_RESOURCES:
            # Read beside the first page, not after it (once it named a term): the page cannot
            # be read without them, and the sync's first steps wait for it.
            body, book = await asyncio.gather(
                self._query_page(session, resource, start, size, None), self.directory.terms(session)
            )
        else:
            body = await self._query_page(session, resource, start, size, None)
        reader = functools.partial(
            read_listing_page,
            self.codec,
            resource,
            session.include_raw,
            # What the reader needs of the book, without the ids it found missing so far.
            None if book is None else terms.TermBook(terms=book.terms, active=book.active),
        )
        return UnreadPage(body, reader, next_cursor=str(start + size), last_unless=size, held=_held(body))

    def rewind_cursor(self, resource: str, cursor: str, records: int) -> str | None:
        # Cursors are STARTPOSITIONs over a listing ordered by Id, which never changes.
        return str(max(1, int(cursor) - records)) if cursor.isdigit() else None

    async def get_many(self, session: ProviderSession, resource: str, record_ids: Sequence[str]) -> Page:
        """One ``Id IN (...)`` query per chunk rather than one GET per record."""
        if resource in LISTED_CHANGES:
            return await super().get_many(session, resource, record_ids)
        found = Page(items=[])
        for start in range(0, len(record_ids), ID_CHUNK):
            query = self._select(resource).where("Id", "IN", list(record_ids[start : start + ID_CHUNK]))
            body = await self.api.query_bytes(session, str(query.page(1, MAX_RESULTS)))
            records, issues = await self._read_page_with_terms(session, resource, body)
            found.items += records
            found.issues += issues
        found.items = await self._with_uses(session, resource, found.items)
        return found

    async def update(
        self,
        session: ProviderSession,
        resource: str,
        record_id: str,
        fields: Mapping[str, Any],
        row_version: str | None,
    ) -> Any:
        settings = settings_of(session)
        if resource in ("invoice", "credit_note") and "line_items" in fields:
            self._require_items(settings, fields["line_items"] or [])
        entity = ENTITIES[resource]
        current: Mapping[str, Any] | None = None
        if resource == "ledger_account":
            current = await self._changeable_account(session, record_id, fields, archive=False)
            row_version = row_version or str(current["SyncToken"])
        if row_version is None or _needs_current(resource, fields):
            # No version given: the caller asked for last-writer-wins, so use the current one. Some
            # changes are checked against (or encoded with) what is stored: its currency, tax mode.
            if row_version is not None:
                current = self.versions.version(session.company_id, entity, record_id, row_version)
            current = current or await self.fetch_record(session, resource, record_id)
            row_version = row_version or str(current["SyncToken"])
        values = dict(fields)
        context = await self._prepare(session, resource, values, current=current)
        encoded = encode_fields(resource, values, context)
        if needs_tax_code(encoded):
            if current is None:
                known = self.versions.version(session.company_id, entity, record_id, row_version)
                current = known or await self.fetch_record(session, resource, record_id)
            encoded = keep_tax_code(encoded, current)
        try:
            body = await self._sparse_update(session, resource, record_id, row_version, encoded)
        except Conflict as conflict:
            if settings.conflict_policy != "reapply":
                raise
            current = await self.fetch_record(session, resource, record_id)
            base = self.versions.version(session.company_id, entity, record_id, row_version)
            if base is None:
                raise
            moved = changed_fields(base, current, encoded)
            if moved:
                conflict.detail = f"{conflict.detail or ''} (changed meanwhile: {', '.join(moved)})".strip()
                raise
            body = await self._sparse_update(session, resource, record_id, str(current["SyncToken"]), encoded)
        return await self._decode(session, resource, body)

    async def _sparse_update(
        self,
        session: ProviderSession,
        resource: str,
        record_id: str,
        sync_token: str,
        fields: Mapping[str, Any],
    ) -> Any:
        payload = {**fields, "Id": record_id, "SyncToken": sync_token, "sparse": True}
        return await self.api.write(session, ENTITIES[resource].lower(), payload=payload)

    async def _sync_token(
        self, session: ProviderSession, resource: str, record_id: str, given: str | None
    ) -> str:
        if given is not None:
            return given
        return str((await self.fetch_record(session, resource, record_id))["SyncToken"])

    async def delete(
        self, session: ProviderSession, resource: str, record_id: str, row_version: str | None
    ) -> None:
        token = await self._sync_token(session, resource, record_id, row_version)
        await self.api.write(
            session,
            ENTITIES[resource].lower(),
            payload={"Id": record_id, "SyncToken": token},
            params={"operation": "delete"},
        )

    async def void(
        self, session: ProviderSession, resource: str, record_id: str, row_version: str | None
    ) -> Any:
        token = await self._sync_token(session, resource, record_id, row_version)
        entity = ENTITIES[resource].lower()
        if resource == "payment":
            params = {"operation": "update", "include": "void"}
            payload: dict[str, Any] = {"Id": record_id, "SyncToken": token, "sparse": True}
        else:
            params = {"operation": "void"}
            payload = {"Id": record_id, "SyncToken": token}
        body = await self.api.write(session, entity, payload=payload, params=params)
        return await self._decode(session, resource, body)

    async def _changeable_account(
        self, session: ProviderSession, record_id: str, fields: Mapping[str, Any], *, archive: bool
    ) -> Mapping[str, Any]:
        """The stored account, read before any write: a system account's type, parent and status
        are QuickBooks' own, and changing them is refused here with the reason."""
        current = await self.fetch_record(session, "ledger_account", record_id)
        issues = accounts.system_issues(current, fields, archive=archive)
        if issues:
            raise ValidationFailed(
                "ledger_account is not acceptable to QuickBooks", issues=issues, provider=self.name
            )
        return current

    async def archive(
        self, session: ProviderSession, resource: str, record_id: str, row_version: str | None
    ) -> Any:
        if resource == "ledger_account":
            current = await self._changeable_account(session, record_id, {}, archive=True)
            row_version = row_version or str(current["SyncToken"])
        token = await self._sync_token(session, resource, record_id, row_version)
        body = await self._sparse_update(session, resource, record_id, token, {"Active": False})
        return await self._decode(session, resource, body)

    async def allocate(
        self, session: ProviderSession, resource: str, record_id: str, allocation: CreditAllocation
    ) -> Any:
        """QuickBooks applies a credit memo to an invoice with a payment naming both: one line
        linking the invoice and one linking the credit memo, for the same amount, and no money
        (``TotalAmt`` 0). The invoice's balance and the memo's remaining credit both fall."""
        if resource == "supplier_credit":
            return await self._apply_vendor_credit(session, record_id, allocation)
        if resource != "credit_note":
            return await super().allocate(session, resource, record_id, allocation)
        memo = await self.fetch_record(session, resource, record_id)
        customer_id = str((memo.get("CustomerRef") or {}).get("value"))
        values: dict[str, Any] = {
            "customer_id": customer_id,
            "total_amount": Decimal(0),
            "allocations": [
                Allocation(invoice_id=allocation.document_id, amount=allocation.amount),
                Allocation(credit_note_id=record_id, amount=allocation.amount),
            ],
            "currency": (memo.get("CurrencyRef") or {}).get("value"),
            "date": allocation.date,
        }
        values = {key: value for key, value in values.items() if value is not None}
        await self.api.write(
            session, "payment", payload=encode_fields("payment", values, self._context(session))
        )
        return await self.get(session, resource, record_id)

    async def _apply_vendor_credit(
        self, session: ProviderSession, record_id: str, allocation: CreditAllocation
    ) -> Any:
        """QuickBooks applies a vendor credit to a bill with a bill payment naming both, for the same
        amount and no money; a bill payment names the bank account it pays from even then (the
        company's first bank account)."""
        credit = await self.fetch_record(session, "supplier_credit", record_id)
        query = select("Account").where("AccountType", "=", "Bank").order_by("Id").page(1, 1)
        banks = ((await self.api.query(session, str(query))).get("QueryResponse") or {}).get("Account") or []
        if not banks:
            raise ValidationFailed(
                "supplier_credit cannot be allocated in this QuickBooks company",
                issues=[FieldIssue("bill_id", "QuickBooks needs a bank account to record the allocation in")],
                provider=self.name,
            )
        payload: dict[str, Any] = {
            "VendorRef": {"value": str((credit.get("VendorRef") or {}).get("value"))},
            "TotalAmt": Decimal(0),
            "PayType": "Check",
            "CheckPayment": {"BankAccountRef": {"value": str(banks[0]["Id"])}, "PrintStatus": "NotSet"},
            "Line": [
                {
                    "Amount": allocation.amount,
                    "LinkedTxn": [{"TxnId": allocation.document_id, "TxnType": "Bill"}],
                },
                {"Amount": allocation.amount, "LinkedTxn": [{"TxnId": record_id, "TxnType": "VendorCredit"}]},
            ],
        }
        currency = (credit.get("CurrencyRef") or {}).get("value")
        if currency:
            payload["CurrencyRef"] = {"value": currency}
        if allocation.date is not None:
            payload["TxnDate"] = allocation.date.isoformat()
        await self.api.write(session, "billpayment", payload=payload)
        return await self.get(session, "supplier_credit", record_id)

    async def send(self, session: ProviderSession, resource: str, record_id: str, to: str | None) -> Any:
        body = await self.api.write(
            session,
            "invoice",
            record_id,
            "send",
            params={"sendTo": to} if to else None,
            content=b"",
            headers={"Content-Type": "application/octet-stream"},
        )
        return await self._decode(session, resource, body)

    # ----------------------------------------------------------------------------------- batch

    async def bulk_create(
        self, session: ProviderSession, resource: str, records: Sequence[RecordMeta]
    ) -> list[BulkResult]:
        settings = settings_of(session)
        for record in records:
            if isinstance(record, Invoice):
                self._require_items(settings, record.line_items)
        entity = ENTITIES[resource]
        items = []
        for index, record in enumerate(records):
            values = record_values(record)
            context = await self._prepare(session, resource, values)
            record = record.model_copy(update={key: values[key] for key in ("terms", "currency")})
            items.append({"bId": str(index), "operation": "create", entity: encode_record(record, context)})
        return await self._run_batch(session, resource, items)

    async def bulk_update(
        self, session: ProviderSession, resource: str, updates: Sequence[BulkUpdate]
    ) -> list[BulkResult]:
        entity = ENTITIES[resource]
        settings = settings_of(session)
        for update in updates:
            if resource == "invoice" and "line_items" in update.fields:
                self._require_items(settings, update.fields["line_items"] or [])
        wanted = [u.id for u in updates if u.row_version is None or _needs_current(resource, u.fields)]
        rows = await self._current_rows(session, entity, wanted)
        tokens = {record_id: str(row["SyncToken"]) for record_id, row in rows.items()}
        items = []
        for index, update in enumerate(updates):
            values = dict(update.fields)
            current = rows.get(update.id) if _needs_current(resource, values) else None
            context = await self._prepare(session, resource, values, current=current)
            payload = {
                **encode_fields(resource, values, context),
                "Id": update.id,
                "SyncToken": update.row_version or tokens.get(update.id, "0"),
                "sparse": True,
            }
            items.append({"bId": str(index), "operation": "update", entity: payload})
        return await self._run_batch(session, resource, items)

    async def _current_rows(
        self, session: ProviderSession, entity: str, ids: list[str]
    ) -> dict[str, dict[str, Any]]:
        """The stored ``ids`` (their SyncTokens, and what updates are checked against), read with one
        query per chunk rather than one GET per record."""
        rows: dict[str, dict[str, Any]] = {}
        for start in range(0, len(ids), MAX_RESULTS):
            chunk = ids[start : start + MAX_RESULTS]
            query = select(entity).where("Id", "IN", chunk)
            if entity in NAME_LISTS:
                query = query.where("Active", "IN", [True, False])
            body = await self.api.query(session, str(query.page(1, MAX_RESULTS)))
            for row in (body.get("QueryResponse") or {}).get(entity) or ():
                rows[str(row["Id"])] = row
        return rows

    async def _run_batch(
        self, session: ProviderSession, resource: str, items: list[dict[str, Any]]
    ) -> list[BulkResult]:
        results: list[BulkResult] = []
        for start in range(0, len(items), BATCH_SIZE):
            chunk = items[start : start + BATCH_SIZE]
            answers = await self.api.batch(session, chunk)
            for item, answer in zip(chunk, answers, strict=True):
                index = int(item["bId"])
                errors = fault_errors(answer)
                if errors or not answer:
                    error = error_from_fault(
                        errors, status_code=None, request_id=None, raw=answer
                    ) or ProviderError(
                        "QuickBooks gave no answer for this batch item", provider=self.name, raw=answer
                    )
                    results.append(BulkResult(index=index, error=error))
                else:
                    try:
                        record = await self._decode(session, resource, answer)
                    except DecodeFailed as exc:  # written, but its answer cannot be read
                        results.append(BulkResult(index=index, error=exc))
                    else:
                        results.append(BulkResult(index=index, record=record))
        return results

    # ---------------------------------------------------------------------------- incremental

    async def read_change_feed(
        self, session: ProviderSession, resources: Sequence[str], since: datetime
    ) -> ChangeFeedResult:
        unknown = [r for r in resources if r not in ENTITIES and r not in LISTED_CHANGES]
        if unknown:
            raise ValidationFailed(f"QuickBooks has no resource {', '.join(unknown)}", provider=self.name)
        if {"invoice", "customer", "supplier", "bill"} & set(resources):
            await self.directory.terms(session)  # the changes' SalesTermRef ids read as terms
        captured = [r for r in resources if r not in LISTED_CHANGES]
        result = (
            await change_reads.read_changes(
                self.api, session, captured, since, read_page=functools.partial(self.read_page, session)
            )
            if captured
            else ChangeFeedResult()
        )
        for resource in set(result.records) & set(credit_uses.USES):
            result.records[resource] = await self._with_uses(
                session, resource, list(result.records[resource])
            )
        for resource in (r for r in resources if r in LISTED_CHANGES):
            # Change Data Capture has no tax codes, and a category is read from its options: these
            # small lists are read whole, changed since ``since``. QuickBooks never deletes them.
            cursor: str | None = None
            changed: list[Any] = []
            while True:
                page = await self.list_page(
                    session, resource, cursor=cursor, updated_since=since, page_size=MAX_RESULTS
                )
                changed += page.items
                result.issues += page.issues
                cursor = page.next_cursor
                if cursor is None:
                    break
            result.records[resource] = changed
        return result

    # ----------------------------------------------------------------------------------- OAuth

    async def confirm_company(
        self, http: httpx.AsyncClient, settings: ProviderSettings, company_id: str, tokens: TokenSet
    ) -> str | None:
        return await oauth.company_name(self, http, settings, company_id, tokens)

    def token_set(
        self, payload: Mapping[str, Any], *, now: datetime, previous: TokenSet | None = None
    ) -> TokenSet:
        tokens = super().token_set(payload, now=now, previous=previous)
        return oauth.with_refresh_expiries(tokens, payload, now)

    # -------------------------------------------------------------------------------- webhooks

    def parse_webhook(self, body: bytes) -> list[WebhookEvent]:
        return webhooks.parse(body, self.name)

    # -------------------------------------------------------------------------------- emulator

    def create_emulator(self, **options: Any) -> Any:
        from .emulator import create_emulator

        return create_emulator(**options)

    def emulator_command(self) -> Any:
        from .emulator.command import COMMAND

        return COMMAND

    # ------------------------------------------------------------------------------- extras

    def company_url(self, session: ProviderSession, *path: str) -> str:
        """The URL of a company path (for calls the unified API does not cover). Each argument is one
        path segment, percent-encoded: ``company_url(session, "reports", "ProfitAndLoss")``."""
        return company_url(session, *path)


#: The resources whose records name a term (``SalesTermRef``, ``TermRef``).
_TERM_RESOURCES = frozenset({"invoice", "customer", "supplier", "bill"})
#: Resources whose pages ``list_page`` builds from more than one query answer.
_READ_WHOLE = frozenset({"tax_rate", "tracking_category"})


#: ``"maxResults": N`` of a query answer: the records it holds (after them, before ``"time"``).
_MAX_RESULTS = re.compile(rb'"maxResults"\s*:\s*(\d+)')


def _held(body: bytes) -> int | None:
    """The records a query answer holds, as it says at its end (``None`` when it does not)."""
    found = _MAX_RESULTS.search(body, max(0, len(body) - 256))
    return int(found.group(1)) if found else None


def read_listing_page(
    codec: QuickBooksCodec, resource: str, include_raw: bool, book: terms.TermBook | None, body: bytes
) -> tuple[list[Any], list[RecordIssue]]:
    """A query answer read as :meth:`QuickBooksProvider.read_page` reads it, its terms from ``book``
    (the :data:`~unified_accounting.PageReader` of :meth:`QuickBooksProvider.list_page_unread`:
    it runs in any process). A page naming a term ``book`` lacks raises ``StaleReader``: the
    provider reads it again after reading the company's terms anew."""
    with terms.decoding_with(book):
        found = read_codec_page(codec, PROVIDER, resource, include_raw, body)
    if book is not None and book.missing:
        raise StaleReader(f"the company's term list lacks term {min(book.missing)!r}, named on this page")
    return found


# Starts with a literal, which the regex engine looks for quickly (the quoted names are checked
# behind it): a page of 1,000 invoices is scanned in about 1 ms, not 10. An empty id names no term
# (as in a record's mapping), so it never sends the provider to read the term list again.
_TERM_REF = re.compile(
    rb'TermRef"(?:(?<="TermRef")|(?<="SalesTermRef"))\s*:\s*\{[^}]*?"value"\s*:\s*"([^"\\]+)"'
)


def _term_ids(payload: Any) -> set[str]:
    """The ``SalesTermRef`` ids a record (or a page's bytes: any id at all) names."""
    if isinstance(payload, bytes | bytearray):
        if b'TermRef"' not in payload:
            return set()
        return {match.decode() for match in _TERM_REF.findall(payload)}
    if not isinstance(payload, Mapping):
        return set()
    ref = payload.get("SalesTermRef") or payload.get("TermRef")
    value = ref.get("value") if isinstance(ref, Mapping) else None
    return {str(value)} if value not in (None, "") else set()


def _needs_current(resource: str, fields: Mapping[str, Any]) -> bool:
    """Whether an update is checked against, or encoded with, the record as stored."""
    if resource in ("invoice", "credit_note"):
        return bool({"line_items", "currency", "currency_rate", "customer_id", "tax_mode"} & set(fields))
    if resource == "payment":
        return bool({"currency", "currency_rate", "customer_id"} & set(fields))
    if resource in ("customer", "supplier"):
        return "currency" in fields or ("email" in fields and "emails" not in fields)
    if resource == "bill":
        return bool({"line_items", "tax_mode"} & set(fields))
    return False


def _enabled(prefs: Mapping[str, Any], category: str) -> bool:
    accounting = prefs.get("AccountingInfoPrefs") or {}
    if category == tracking.CLASS:
        return bool(accounting.get("ClassTrackingPerTxn") or accounting.get("ClassTrackingPerTxnLine"))
    return bool(accounting.get("TrackDepartments"))


__all__ = ["QuickBooksProvider"]
