"""The contract a provider implements, documented for third parties in ``docs/providers/writing.md``.

A provider is an instance of a :class:`Provider` subclass, returned by a plugin's
``ua_register_providers`` hook. It is stateless with respect to callers: everything about one
call (settings, company, tokens, HTTP) arrives in the :class:`ProviderSession` the client hands it,
so one provider object serves every connection. Mapping lives in its :class:`Codec` (pure, no I/O).

Reads go through the codec in one place: :meth:`Provider.get` and :meth:`Provider.list_page` fetch
the provider's payload with the small hooks :meth:`Provider.fetch_record` and
:meth:`Provider.fetch_page` and decode it with :meth:`Provider.read_record` and
:meth:`Provider.read_page`, which call ``codec.decode`` and ``codec.decode_page`` with the call's
``include_raw`` and turn any failure into ``DecodeFailed`` (a whole answer) or a
:class:`~unified_accounting.RecordIssue` (one record of a page). A provider that needs more (a
cursor computed from what a page held, a batched read) overrides ``list_page``/``get_many`` and
still decodes with ``read_page``.

Operations a provider does not override raise :class:`UnsupportedOperation`, and the client checks
``capabilities`` before calling, so product code gets the error before any HTTP traffic.

OAuth, rate limits and webhook signatures are declared (``oauth``, ``rate_limits``,
``webhook_signature_header``) and run by the core (:mod:`unified_accounting.oauth`,
:mod:`unified_accounting.ratelimits`, :mod:`unified_accounting.webhook_signatures`); a provider
overrides only the small hooks below for what a declaration cannot say.
"""

from __future__ import annotations

import abc
import contextlib
import functools
import hmac
import re
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Protocol, runtime_checkable

import httpx

from .catalog import RESOURCES, UPDATED_SINCE, ListSort, Operation
from .connections import unreachable_hint
from .decoding import RecordIssue, decode_one, readable_raw
from .errors import (
    AuthenticationError,
    ConfigurationError,
    DecodeFailed,
    FieldIssue,
    NotFound,
    PermissionDenied,
    ProviderError,
    ProviderUnavailable,
    RateLimited,
    ReauthorizationRequired,
    UnsupportedOperation,
    ValidationFailed,
)
from .field_support import FieldSupport
from .http.bodies import UploadContent
from .http.errors import error_from_status
from .models import (
    AccountingMethod,
    Attachment,
    AttachmentLimits,
    CompanyInfo,
    CreditAllocation,
    RecordMeta,
    Report,
    ReportName,
    ReportPeriod,
    WebhookEvent,
)
from .models.money import QuantizedRecords, quantized
from .oauth import OAuthFlow, OAuthSettings, token_set
from .ratelimits import (
    Limiter,
    LimitFeedback,
    LimitKey,
    RateLimits,
    Window,
    flow_limiter,
    process_limiter,
)
from .settings import ProviderSettings
from .tokens import Grant, TokenSet
from .webhook_signatures import header_value, verify_hmac_sha256_base64

if TYPE_CHECKING:
    from .emulation.command import EmulatorCommand
    from .types import ASGIApp

PROVIDER_NAME = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
#: How long :meth:`Provider.company` keeps a company's info before reading it again.
COMPANY_INFO_TTL = timedelta(minutes=10)


#: Resource name → the operations supported on it.
Capabilities = Mapping[str, frozenset[Operation]]


def capabilities(**resources: str) -> dict[str, frozenset[Operation]]:
    """Build capabilities from space-separated operation names: ``capabilities(invoice="create get")``."""
    return {name: frozenset(Operation(op) for op in ops.split()) for name, ops in resources.items()}


@dataclass
class Page:
    """One page of a list: the records and the opaque cursor of the next page (``None`` at the end).

    ``issues`` lists the records of the page that could not be read into the unified model, each
    with its id (when known), the error and the provider's payload: one such record never fails
    the page (see :mod:`unified_accounting.decoding`).
    """

    items: list[Any]
    next_cursor: str | None = None
    issues: list[RecordIssue] = field(default_factory=list)


@dataclass
class BulkResult:
    """Outcome of one element of a bulk write: the record written, or the error it got."""

    index: int
    record: Any | None = None
    error: Exception | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class BulkUpdate:
    """One element of a bulk update: the record's id, the fields to set, its expected version."""

    id: str
    fields: Mapping[str, Any]
    row_version: str | None = None


@dataclass
class ChangeFeedResult:
    """What one read of a provider's change feed returned: records changed since a moment, across
    resources (:meth:`Provider.read_change_feed`). Incremental syncs and webhook batches apply it.

    ``records`` maps a resource name to the changed records (unified models, current state);
    ``deleted`` maps a resource name to the ids of records deleted since then.
    ``server_time`` is the provider's clock at the read, when it says (a safe next bookmark).
    ``issues`` lists changed records that could not be read into the unified model (as in ``Page``).
    """

    records: dict[str, list[Any]] = field(default_factory=dict)
    deleted: dict[str, list[str]] = field(default_factory=dict)
    server_time: datetime | None = None
    issues: list[RecordIssue] = field(default_factory=list)


@dataclass(frozen=True)
class ListQuery:
    """What one list request asks of :meth:`Provider.fetch_page`: which page, the filters and
    the order (validated by the client against the resource's declaration in the catalog).

    ``filters`` holds only filters in :attr:`Provider.list_filters`, by name, with validated
    values: text (``customer_id``, ``supplier_id``, ``number``: 1-255 characters, no NUL),
    ``date`` (``issue_date_from``/``_to``, ``date_from``/``_to``: inclusive), timezone-aware UTC
    ``datetime`` (``created_since``, strictly after), an enum member, or for a ``one_of`` filter
    (``status``) a non-empty tuple of enum members. ``sort`` is set only when its field is in
    :attr:`Provider.list_sorts`. Values are data: send them as typed parameters or escaped by the
    query language's rules; one that cannot be sent safely is left out of the request (the core
    applies every filter to what comes back anyway).
    """

    #: ``None`` for the first page, else a ``next_cursor`` this provider returned.
    cursor: str | None = None
    page_size: int | None = None
    updated_since: datetime | None = None
    #: The other filters asked for, by name: only those in ``Provider.list_filters``.
    filters: Mapping[str, Any] = field(default_factory=dict)
    #: The order asked for, when the provider declares it in ``Provider.list_sorts``.
    sort: ListSort | None = None


@dataclass
class FetchedPage:
    """One list answer as the provider sent it: ``body`` is whatever the codec's ``decode_page``
    reads (the response bytes, parsed JSON, or the records already taken out of an envelope)."""

    body: Any
    next_cursor: str | None = None


#: Reads a list answer's body into its records and an issue for each record it cannot read, as
#: :meth:`Provider.read_page` does. It must pickle (a module-level function, or a
#: ``functools.partial`` of one over picklable arguments): it may run in another process.
PageReader = Callable[[Any], tuple[list[Any], list[RecordIssue]]]


@dataclass(frozen=True)
class UnreadPage:
    """A page of an unfiltered listing as the provider answered it, not read yet, and how to read
    it in any process (see :meth:`Provider.list_page_unread`).

    Reading it gives what :meth:`Provider.list_page` would have returned for the same cursor: the
    records and issues from ``reader(body)``, and :meth:`cursor_after` as the next cursor.
    """

    body: Any
    reader: PageReader
    #: The cursor of the page after this one (``None`` when this one is the last).
    next_cursor: str | None
    #: When set, a page holding fewer records than this (read or not) is the last, whatever
    #: ``next_cursor`` says: listings paged by position know only once the page is read.
    last_unless: int | None = None
    #: How many records the page holds (read or not), when the answer says so without being read
    #: (QuickBooks' ``maxResults``): a sync then asks for the next pages while this one is read.
    held: int | None = None

    def cursor_after(self, held: int) -> str | None:
        """The next cursor, for a page that held ``held`` records (read or not)."""
        if self.last_unless is not None and held < self.last_unless:
            return None
        return self.next_cursor


class StaleReader(Exception):
    """Raised by a :data:`PageReader` whose copy of the company's data (QuickBooks' term list) lacks
    something the page names: the page is read again with :meth:`Provider.list_page`, which can
    refresh that data."""


def read_codec_page(
    codec: Codec, provider: str, resource: str, include_raw: bool, body: Any
) -> tuple[list[Any], list[RecordIssue]]:
    """``body`` read by ``codec.decode_page`` as :meth:`Provider.read_page` reads it (amounts at
    their currency's minor units; a body that is no list answer raises ``DecodeFailed``), with no
    session: a :data:`PageReader` built on it runs in any process."""
    records, issues = decode_one(
        provider, resource, body, lambda data: codec.decode_page(resource, data, include_raw)
    )
    if isinstance(records, QuantizedRecords):  # the codec built them quantized already
        return list(records), issues
    return [quantized(r) if isinstance(r, RecordMeta) else r for r in records], issues


#: Deprecated name of :class:`ChangeFeedResult`.
ChangeSet = ChangeFeedResult


@dataclass(frozen=True)
class ReportRequest:
    """One report asked of :meth:`Provider.report`, its arguments checked by the client."""

    name: ReportName
    #: The period of a report over a period (profit and loss).
    start_date: date | None = None
    end_date: date | None = None
    #: The date of a report as of a date (balance sheet, trial balance, aged reports).
    as_of: date | None = None
    accounting_method: AccountingMethod = AccountingMethod.ACCRUAL
    columns: ReportPeriod = ReportPeriod.TOTAL
    #: Aged receivables of one customer, aged payables of one supplier (``None``: all of them).
    customer_id: str | None = None
    supplier_id: str | None = None


@dataclass(frozen=True)
class AttachmentUpload:
    """One file to attach, checked against :attr:`Provider.attachment_limits` by the client.

    ``content`` is read in chunks from its source each time it is iterated (a retry sends it
    again); send it as the body (``content=upload.content`` with ``Content-Length: upload.size``)
    or inside a multipart form (:func:`unified_accounting.http.bodies.multipart_form`).
    """

    resource: str
    record_id: str
    file_name: str
    content_type: str
    content: UploadContent
    note: str | None = None
    include_online: bool = False

    @property
    def size(self) -> int:
        return self.content.size


@dataclass(frozen=True)
class AttachmentRef:
    """Which attachment a download or delete is about: its id, and the record it is attached to
    when the caller knows it (Xero addresses attachments through their record)."""

    id: str
    resource: str | None = None
    record_id: str | None = None
    file_name: str | None = None


@runtime_checkable
class Codec(Protocol):
    """Pure mapping between provider JSON and unified models (no I/O; fast paths welcome).

    A codec may raise anything on a payload it cannot read: the provider's read paths turn the
    failure into ``DecodeFailed`` (one record) or a ``RecordIssue`` (one record of a page). Models
    are built from provider data with the provider context (see ``unified_accounting.models.
    context``); ``unified_accounting.codec.RecordCodec`` does that, ``raw`` and the page handling
    for codecs that map one record at a time.
    """

    def decode(self, resource: str, payload: Mapping[str, Any] | bytes, include_raw: bool = False) -> Any:
        """One provider record (a mapping, or JSON bytes) → the unified model of ``resource``."""
        ...

    def decode_list(self, resource: str, body: bytes, include_raw: bool = False) -> list[Any]:
        """A whole provider list/query response body → unified models, in order (the first record
        that cannot be read raises ``DecodeFailed``)."""
        ...

    def decode_page(
        self, resource: str, body: Any, include_raw: bool = False
    ) -> tuple[list[Any], list[RecordIssue]]:
        """A list answer (as ``fetch_page`` returned it) → the records that decode, in order, and a
        ``RecordIssue`` for each that does not: one odd record never fails a page. A body that is
        not a list answer at all may raise.

        The read path quantizes every record (``unified_accounting.models.money.quantized``); a
        codec that builds them quantized already returns them as a ``QuantizedRecords`` to be
        spared that second walk."""
        ...

    def encode(self, model: RecordMeta) -> dict[str, Any]:
        """A unified model → the provider's JSON payload (``pass_through`` merged in)."""
        ...


class ProviderSession(Protocol):
    """What the client gives a provider for one call on one connection."""

    provider_name: str
    settings: ProviderSettings
    company_id: str
    include_raw: bool
    #: Where the session's requests wait for room in the provider's limits: the client's choice
    #: (this process's limiter, or one shared through the client's database). ``None``: the
    #: provider's own :attr:`Provider.limiter`.
    limiter: Limiter | None

    async def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        content: bytes | str | AsyncIterable[bytes] | None = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
    ) -> httpx.Response:
        """Send an authenticated request, with retries; return a 2xx response or raise a mapped error.

        ``content`` may be an async iterable that starts again each time it is iterated (an
        upload's :class:`~unified_accounting.http.bodies.Body`): each retry sends it from the start.

        ``idempotent`` says whether re-sending is safe. It defaults to true for GET, HEAD, PUT and
        DELETE and false otherwise: a POST is retried only when the provider put an idempotency key
        in the request (and passes ``idempotent=True``). The same request, key included, is re-sent.
        """
        ...

    def new_idempotency_key(self) -> str:
        """A fresh random key for one write; reuse it for every retry of that write."""
        ...

    def stream(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        authenticated: bool = True,
    ) -> contextlib.AbstractAsyncContextManager[httpx.Response]:
        """Like :meth:`request`, for an answer read as it arrives (a download):
        ``async with session.stream("GET", url) as response: async for chunk in response.aiter_bytes()``.

        Authentication, refresh on 401, rate limits and retries work as for :meth:`request` until
        a 2xx answer starts; its body is then read by the caller, outside the rate limiter's slot
        (the call is counted once its answer started). An error answer raises the mapped error.

        ``authenticated=False`` fetches a signed link the API handed out (QuickBooks'
        ``TempDownloadUri``, on another host): no token, no :meth:`Provider.default_headers`, no
        rate limit spent, only ``headers``; the URL must be absolute http(s).
        """
        ...


class Provider(abc.ABC):
    """Base class of every provider. Subclass it, set the class attributes, override what you support."""

    #: Registry name, lower case (``"quickbooks"``); also the ``UA_<NAME>_*`` environment prefix.
    name: ClassVar[str]
    #: Name shown to people (``"QuickBooks Online"``).
    display_name: ClassVar[str]
    settings_model: ClassVar[type[ProviderSettings]] = ProviderSettings
    #: Per resource, the operations supported. A unified resource (in the catalog) takes only the
    #: operations the catalog defines on it; any other name is a resource of this provider's own
    #: and needs its model in :attr:`models`. Checked when the provider is registered.
    capabilities: ClassVar[Capabilities] = {}
    #: Models of the provider's own resources, those the unified catalog does not declare
    #: (QuickBooks ``{"item": Item, "account": Account}``); reached with ``conn.resource(name)``.
    models: ClassVar[Mapping[str, type[RecordMeta]]] = {}
    #: Per resource, the list filters declared in the catalog that the provider narrows its list
    #: requests by besides ``updated_since`` (which every provider applies):
    #: ``{"invoice": frozenset({"customer_id", "status"})}``. They reach :meth:`fetch_page` in
    #: ``ListQuery.filters`` (and :meth:`list_page` as ``filters=``). A provider may narrow more
    #: loosely than the unified rule (a unified status it can only map to a coarser one), never more
    #: tightly: the core checks every filter on what comes back, and applies those not declared here
    #: itself (the provider then sends the records they leave out).
    list_filters: ClassVar[Mapping[str, frozenset[str]]] = {}
    #: Per resource, the sort keys of the catalog (model fields) the provider orders its lists by, in
    #: both directions: ``{"invoice": frozenset({"issue_date", "updated_at"})}``. They reach
    #: :meth:`fetch_page` as ``ListQuery.sort`` (and :meth:`list_page` as ``sort=``), and the pages
    #: must then come in that order, records without a value last. A sort not declared here is done
    #: by the core in memory, after reading every page.
    list_sorts: ClassVar[Mapping[str, frozenset[str]]] = {}
    #: How the provider does OAuth 2.0; the default OAuth methods below run it.
    oauth: ClassVar[OAuthSettings | None] = None
    #: The provider's documented rate limits; every request waits for room in them (``None``: no
    #: client-side limiting). Settings may adjust them through :meth:`limits_for`.
    rate_limits: ClassVar[RateLimits | None] = None
    #: The header carrying a base64 HMAC-SHA256 signature of webhook bodies (``None``: no webhooks,
    #: or another scheme — then override :meth:`verify_webhook`).
    webhook_signature_header: ClassVar[str | None] = None
    #: Groups of resources the provider keeps in one collection, under one id space, told apart by a
    #: field of each record — when its webhooks do not say which of them a record is (Xero's INVOICE
    #: events name sales invoices and bills alike). An event naming any resource of a group is read
    #: as whichever of them the record turns out to be (:meth:`get_many_of`), and written under that
    #: one only: the others are not told "deleted" about a record they never held.
    shared_id_groups: ClassVar[tuple[tuple[str, ...], ...]] = ()
    #: Per resource, what the provider does with the unified fields it does not simply store:
    #: ``{"invoice": {"reference": ("refused", "QuickBooks invoices have no reference: use po_number")}}``.
    #: A path reaches into nested records with dots (``"line_items.discount_amount"``), and a
    #: declaration covers what is nested in its field. Kinds: ``"stored"`` (the default for a field
    #: not named), ``"computed"`` (the provider sets it and reads it back), ``"refused"`` (it cannot
    #: be stored; the note says why and what to do instead) and ``"mapped"`` (stored, the note saying
    #: how). The client refuses a ``computed`` or ``refused`` field a user gives (create: set in the
    #: record; update: a key of the update, nested too) before any HTTP call, with the note; the
    #: portability table of the docs is generated from every provider's declaration. Checked when
    #: the provider is registered (real fields of the resource's model, one of the four kinds). See
    #: :mod:`unified_accounting.field_support`.
    field_support: ClassVar[FieldSupport] = {}
    #: How far back :meth:`read_change_feed` reaches, margin for clock differences included; a read
    #: from further back lists each resource with ``updated_since`` instead. ``None``: no limit.
    change_feed_window: ClassVar[timedelta | None] = None
    #: The reports :meth:`report` computes; the client refuses any other before HTTP.
    reports: ClassVar[frozenset[ReportName]] = frozenset()
    #: What the provider accepts as attachments (``None``: no attachments); the client checks every
    #: upload against it before HTTP (see :class:`~unified_accounting.AttachmentLimits`).
    attachment_limits: ClassVar[AttachmentLimits | None] = None
    #: The provider's pure mapping between its JSON and the unified models; every read decodes
    #: through it (see :meth:`read_record` and :meth:`read_page`).
    codec: Codec

    # ----------------------------------------------------------------------------------- basics

    def supports(self, resource: str, operation: Operation) -> bool:
        return operation in self.capabilities.get(resource, frozenset())

    def supports_filter(self, resource: str, name: str) -> bool:
        """Whether lists of ``resource`` are narrowed by the catalog's filter ``name`` here (else the
        core applies it to what the provider returns)."""
        return name == UPDATED_SINCE.name or name in self.list_filters.get(resource, frozenset())

    def supports_sort(self, resource: str, key: str) -> bool:
        """Whether lists of ``resource`` can be ordered by ``key`` (a model field) here (else the
        core sorts them in memory)."""
        return key in self.list_sorts.get(resource, frozenset())

    def model_for(self, resource: str) -> type[RecordMeta]:
        """The model of ``resource``: the provider's own (:attr:`models`), else the catalog's."""
        own = self.models.get(resource)
        if own is not None:
            return own
        spec = RESOURCES.get(resource)
        if spec is None:
            theirs = f"; {self.name}'s own: {', '.join(self.models)}" if self.models else ""
            raise ConfigurationError(
                f"no resource is called {resource!r} (unified: {', '.join(RESOURCES)}{theirs})"
            )
        return spec.model

    def require(self, resource: str, operation: Operation) -> None:
        """Raise :class:`UnsupportedOperation` unless ``operation`` is supported on ``resource``."""
        if not self.supports(resource, operation):
            raise UnsupportedOperation(self.name, operation.value, resource)

    async def company(self, session: ProviderSession) -> CompanyInfo:
        """The connected company (home currency, tax system, multi-currency), for checks that need
        it before a write. Read with ``get(session, "company_info", company_id)`` and kept for
        :data:`COMPANY_INFO_TTL` per app and company: a company changes these rarely, and a write
        the provider then refuses is still reported as its error."""
        key = (session.settings.client_id, session.settings.base_url, session.company_id)
        now = datetime.now(UTC)
        cached = self._companies.get(key)
        if cached is not None and now - cached[0] < COMPANY_INFO_TTL:
            return cached[1]
        info = await self.get(session, "company_info", session.company_id)
        if not isinstance(info, CompanyInfo):
            raise TypeError(f"{self.name} answered company_info with {type(info).__name__}")
        self._companies[key] = (now, info)
        return info

    @functools.cached_property
    def _companies(self) -> dict[tuple[str | None, str | None, str], tuple[datetime, CompanyInfo]]:
        return {}

    def validate(self, resource: str, record: RecordMeta, operation: Operation) -> list[FieldIssue]:
        """Problems that make ``record`` unacceptable to this provider although it is a valid model.

        Called before any HTTP call; a non-empty list becomes :class:`ValidationFailed`.
        """
        return []

    def validate_update(self, resource: str, fields: Mapping[str, Any]) -> list[FieldIssue]:
        """Like :meth:`validate`, for the fields of a partial update (unified field → validated value)."""
        return []

    def error_from_response(self, response: httpx.Response) -> ProviderError | ValidationFailed:
        """Map an error answer onto the error tree. Providers override this for their error bodies."""
        return error_from_status(self.name, response)

    def default_headers(self, session: ProviderSession) -> dict[str, str]:
        """Headers added to every API call of a session (besides ``Authorization``)."""
        return {"Accept": "application/json"}

    # ------------------------------------------------------------------------------ rate limits

    @property
    def limiter(self) -> Limiter:
        """Where this provider's requests wait when their session names no limiter: the process's."""
        return process_limiter()

    def limiter_for(self, session: ProviderSession) -> Limiter:
        """Where a session's requests wait: the limiter its client chose (``session.limiter``), or
        :attr:`limiter` for a session without one. A provider that overrides :attr:`limiter`
        keeps its own."""
        return self._limiter_given(getattr(session, "limiter", None))

    def _limiter_given(self, chosen: Limiter | None) -> Limiter:
        """``chosen`` (a client's limiter), unless there is none or the provider keeps its own."""
        if chosen is None or type(self).limiter is not Provider.limiter:
            return self.limiter
        return chosen

    def limits_for(self, settings: ProviderSettings) -> RateLimits | None:
        """The limits requests with ``settings`` obey: :attr:`rate_limits`, which a provider adjusts
        here from its settings (``self.rate_limits.adjusted(calls={"minute": ...})``)."""
        return self.rate_limits

    def limit_key(self, session: ProviderSession) -> LimitKey:
        """Whose budget a session's requests spend: this provider's, for its app and company."""
        return LimitKey.of(self.name, session.settings, session.company_id)

    def rate_limit_feedback(self, response: httpx.Response) -> LimitFeedback | None:
        """What an answer says about the provider's own count: remaining calls per window, a
        429's wait. Default: nothing (the declared windows alone pace the requests)."""
        return None

    def rate_limit_refusal(self, window: Window, retry_after: float) -> RateLimited:
        """The error for a request refused because a ``when_full="refuse"`` window is full."""
        return RateLimited(
            f"the {self.display_name} budget of {window.calls} calls per {window.seconds:g} s "
            f"({window.name}) is spent for this company",
            retry_after=retry_after,
            provider=self.name,
            code=window.name,
        )

    def request_slot(self, session: ProviderSession) -> contextlib.AbstractAsyncContextManager[None]:
        """Entered around every HTTP attempt: waits for room in the declared limits.

        Requests sent under :func:`~unified_accounting.ratelimits.counted_as` also spend the
        windows declared for those kinds.
        """
        limits = self.limits_for(session.settings)
        if limits is None:
            return contextlib.nullcontext()
        return self.limiter_for(session).slot(self.limit_key(session), limits, refuse=self.rate_limit_refusal)

    def observe_response(self, session: ProviderSession, response: httpx.Response) -> None:
        """Called with every response (also errors): feeds :meth:`rate_limit_feedback` to the
        limiter. A provider overriding it for more (metering) calls ``super()`` first."""
        limits = self.limits_for(session.settings)
        feedback = self.rate_limit_feedback(response) if limits is not None else None
        if limits is not None and feedback is not None:
            self.limiter_for(session).learn(self.limit_key(session), limits, feedback)

    # ------------------------------------------------------------------- reading through the codec

    def read_record(self, session: ProviderSession, resource: str, payload: Any) -> Any:
        """``payload`` (one record, or an answer holding one) decoded by the codec with the call's
        ``include_raw``; a payload that cannot be read raises ``DecodeFailed`` carrying it."""
        include_raw = session.include_raw
        record = decode_one(
            self.name, resource, payload, lambda data: self.codec.decode(resource, data, include_raw)
        )
        # Amounts come back at their currency's minor units whatever the provider's JSON held.
        return quantized(record) if isinstance(record, RecordMeta) else record

    def read_page(
        self, session: ProviderSession, resource: str, body: Any
    ) -> tuple[list[Any], list[RecordIssue]]:
        """A list answer decoded by the codec: the records that decode and an issue for each that
        does not. A body that is no list answer at all raises ``DecodeFailed`` carrying it."""
        return read_codec_page(self.codec, self.name, resource, session.include_raw, body)

    async def fetch_record(self, session: ProviderSession, resource: str, record_id: str) -> Any:
        """The provider's payload of one record, as ``codec.decode`` reads it (a mapping, or the
        response bytes); ``NotFound`` when there is none. Called by the default :meth:`get`."""
        raise UnsupportedOperation(self.name, "get", resource)

    async def fetch_page(self, session: ProviderSession, resource: str, query: ListQuery) -> FetchedPage:
        """One list answer as the provider sent it and the cursor of the next page (``None`` at
        the end); ``query.cursor=None`` asks for the first page. Records come oldest-first or in
        another stable order. Called by the default :meth:`list_page`."""
        raise UnsupportedOperation(self.name, "list", resource)

    # ------------------------------------------------------------------------------ operations

    async def create(self, session: ProviderSession, resource: str, record: RecordMeta) -> Any:
        raise UnsupportedOperation(self.name, "create", resource)

    async def get(self, session: ProviderSession, resource: str, record_id: str) -> Any:
        """The record: :meth:`fetch_record`, decoded by :meth:`read_record`."""
        return self.read_record(session, resource, await self.fetch_record(session, resource, record_id))

    async def list_page(
        self,
        session: ProviderSession,
        resource: str,
        *,
        cursor: str | None,
        updated_since: datetime | None,
        page_size: int | None,
        filters: Mapping[str, Any] | None = None,
        sort: ListSort | None = None,
    ) -> Page:
        """One page of records, oldest-first or in a stable order; ``cursor=None`` is the first page.

        The default fetches with :meth:`fetch_page` and decodes with :meth:`read_page`.
        ``filters`` holds the other filters of ``list()`` (only those in :attr:`list_filters`) and
        ``sort`` the order asked for (only a key in :attr:`list_sorts`); the client passes each only
        when there is one, so an override without them keeps working until it declares some.
        """
        query = ListQuery(cursor, page_size, updated_since, dict(filters or {}), sort)
        fetched = await self.fetch_page(session, resource, query)
        items, issues = self.read_page(session, resource, fetched.body)
        return Page(items=items, next_cursor=fetched.next_cursor, issues=issues)

    async def list_page_unread(
        self, session: ProviderSession, resource: str, *, cursor: str | None, page_size: int | None
    ) -> UnreadPage | None:
        """The page :meth:`list_page` returns for an unfiltered listing (no ``updated_since``,
        filters or sort), fetched but not read, with a :data:`PageReader` that reads it in any
        process; ``None`` when this resource's pages are read by :meth:`list_page` only (the
        default).

        A sync with ``SyncOptions.read_processes`` reads large listings this way: decoding a page
        and building its mirror rows run in worker processes while this one fetches and writes
        (see ``docs/sync.md``). Override it when reading a page needs nothing but its body and
        picklable data (the codec, settings); a reader whose data may be out of date raises
        :class:`StaleReader`.
        """
        return None

    def rewind_cursor(self, resource: str, cursor: str, records: int) -> str | None:
        """For lists paged by position: a cursor ``records`` records before ``cursor``; else ``None``.

        A sync reads each page from a little before the previous page's end and checks that the
        two share a record, which proves that nothing was skipped when deletions shifted positions
        (see ``unified_accounting.sync.pages``). Override it when ``list_page`` pages by position
        in an order that never changes (by id); opaque cursors and page numbers cannot be moved.
        """
        return None

    async def get_many(self, session: ProviderSession, resource: str, record_ids: Sequence[str]) -> Page:
        """The current version of each of ``record_ids`` that still exists, as one page: a record
        left out of ``items`` and ``issues`` was not found (deleted); one that exists but cannot be
        read is a :class:`~unified_accounting.RecordIssue`. A full sync asks this of records its
        listing did not see before it calls them deleted. The default calls :meth:`get` for each
        id; override it with a batched read when the provider has one."""
        found = Page(items=[])
        for record_id in record_ids:
            try:
                found.items.append(await self.get(session, resource, record_id))
            except NotFound:
                continue
            except DecodeFailed as exc:
                found.issues.append(RecordIssue(resource=resource, record_id=record_id, error=exc))
        return found

    def id_siblings(self, resource: str) -> tuple[str, ...]:
        """The resources a record announced as ``resource`` may be: its group of
        :attr:`shared_id_groups` (``resource`` first), or ``resource`` alone."""
        for group in self.shared_id_groups:
            if resource in group:
                return (resource, *(other for other in group if other != resource))
        return (resource,)

    async def get_many_of(
        self, session: ProviderSession, resources: Sequence[str], record_ids: Sequence[str]
    ) -> dict[str, Page]:
        """Each of ``record_ids`` as whichever of ``resources`` (a group of :attr:`shared_id_groups`)
        it is: per resource, the page of the records found as that resource (and of those found but
        unreadable, as issues). An id in no page was not found as any of them. The default asks
        :meth:`get_many` of each resource in turn for the ids not found yet; override it when one
        read returns every kind (Xero: ``Invoices?IDs=`` holds sales invoices and bills)."""
        found: dict[str, Page] = {}
        left = list(record_ids)
        for resource in resources:
            if not left:
                break
            if not self.supports(resource, Operation.GET):
                continue
            page = await self.get_many(session, resource, left)
            found[resource] = page
            seen = {str(record.id) for record in page.items} | {i.record_id for i in page.issues}
            left = [record_id for record_id in left if record_id not in seen]
        return found

    async def update(
        self,
        session: ProviderSession,
        resource: str,
        record_id: str,
        fields: Mapping[str, Any],
        row_version: str | None,
    ) -> Any:
        """Set ``fields`` (unified field → validated value), leaving the others as they are. A stale
        ``row_version`` → ``Conflict``."""
        raise UnsupportedOperation(self.name, "update", resource)

    async def delete(
        self, session: ProviderSession, resource: str, record_id: str, row_version: str | None
    ) -> None:
        raise UnsupportedOperation(self.name, "delete", resource)

    async def void(
        self, session: ProviderSession, resource: str, record_id: str, row_version: str | None
    ) -> Any:
        raise UnsupportedOperation(self.name, "void", resource)

    async def archive(
        self, session: ProviderSession, resource: str, record_id: str, row_version: str | None
    ) -> Any:
        raise UnsupportedOperation(self.name, "archive", resource)

    async def send(self, session: ProviderSession, resource: str, record_id: str, to: str | None) -> Any:
        raise UnsupportedOperation(self.name, "send", resource)

    async def allocate(
        self, session: ProviderSession, resource: str, record_id: str, allocation: CreditAllocation
    ) -> Any:
        """Apply ``allocation.amount`` of the credit document ``record_id`` to the document
        ``allocation.document_id`` (an invoice for a credit note, a bill for a supplier credit);
        return the credit document as it is afterwards (its ``remaining_credit`` lowered)."""
        raise UnsupportedOperation(self.name, "allocate", resource)

    async def bulk_create(
        self, session: ProviderSession, resource: str, records: Sequence[RecordMeta]
    ) -> list[BulkResult]:
        raise UnsupportedOperation(self.name, "bulk_create", resource)

    async def bulk_update(
        self, session: ProviderSession, resource: str, updates: Sequence[BulkUpdate]
    ) -> list[BulkResult]:
        raise UnsupportedOperation(self.name, "bulk_update", resource)

    async def read_change_feed(
        self, session: ProviderSession, resources: Sequence[str], since: datetime
    ) -> ChangeFeedResult:
        """Every record of ``resources`` created, changed or deleted after ``since`` (all of them:
        the provider pages internally). QuickBooks answers from Change Data Capture, others from
        ``updated_since`` lists. Callers only ask within :attr:`change_feed_window`."""
        raise UnsupportedOperation(self.name, "read_change_feed")

    # ------------------------------------------------------------------- reports and documents

    async def report(self, session: ProviderSession, request: ReportRequest) -> Report:
        """The report ``request`` asks for (one of :attr:`reports`), read into the unified
        :class:`~unified_accounting.Report` (with :meth:`read_report`): every row and cell the
        provider sent, its ids on the rows."""
        raise UnsupportedOperation(self.name, request.name.value, "report")

    def read_report(
        self, session: ProviderSession, payload: Any, build: Callable[[Any], Report | Mapping[str, Any]]
    ) -> Report:
        """``build(payload)`` (a :class:`Report` or its fields) as a ``Report``, with ``raw`` when
        the call asked for it; a payload it cannot read raises ``DecodeFailed`` carrying it."""

        def read(data: Any) -> Report:
            built = build(data)
            report = built if isinstance(built, Report) else Report.model_validate(built)
            if session.include_raw:
                readable = readable_raw(data)  # a JSON body as its mapping
                raw = readable if isinstance(readable, Mapping) else {"body": readable}
                report = report.model_copy(update={"raw": dict(raw)})
            return report

        return decode_one(self.name, "report", payload, read)

    async def upload_attachment(self, session: ProviderSession, upload: AttachmentUpload) -> Attachment:
        """Attach ``upload`` (already checked against :attr:`attachment_limits`) to its record."""
        raise UnsupportedOperation(self.name, "upload", "attachment")

    async def list_attachments(
        self, session: ProviderSession, resource: str, record_id: str
    ) -> list[Attachment]:
        """The files attached to one record (``[]`` when none)."""
        raise UnsupportedOperation(self.name, "list", "attachment")

    def download_attachment(self, session: ProviderSession, ref: AttachmentRef) -> AsyncIterator[bytes]:
        """The file's bytes in chunks as they arrive, never the whole file in memory: write it as
        an async generator over :meth:`ProviderSession.stream`. ``NotFound`` when it is gone."""
        raise UnsupportedOperation(self.name, "download", "attachment")

    async def delete_attachment(self, session: ProviderSession, ref: AttachmentRef) -> None:
        """Remove the attachment (only when ``attachment_limits.deletable``)."""
        raise UnsupportedOperation(self.name, "delete", "attachment")

    async def pdf(self, session: ProviderSession, resource: str, record_id: str) -> bytes:
        """The document as the provider prints it (declare :attr:`Operation.PDF` on the resource):
        the PDF's bytes (the client checks that they start with ``%PDF-``)."""
        raise UnsupportedOperation(self.name, "pdf", resource)

    # --------------------------------------------------------------------------- raw requests

    def api_root(self, session: ProviderSession) -> str:
        """The URL every path of ``conn.request`` is relative to: the connected company's API
        (QuickBooks ``{host}/v3/company/{realm}``, Xero ``https://api.xero.com/api.xro/2.0``, the
        tenant going in :meth:`default_headers`). Build it with :func:`path_segment` for the
        company id and :func:`~unified_accounting.oauth.rebase` for ``settings.base_url``."""
        raise UnsupportedOperation(self.name, "raw requests")

    def prepare_request(
        self, session: ProviderSession, method: str, params: dict[str, Any], headers: dict[str, str]
    ) -> tuple[dict[str, Any], dict[str, str]]:
        """The parameters and headers a ``conn.request`` call goes out with: what every call of
        the provider carries besides :meth:`default_headers` (QuickBooks' ``minorversion``), and
        checks of its own (a spent quota). Default: as given."""
        return params, headers

    def idempotent_request(
        self, session: ProviderSession, method: str, params: dict[str, Any], headers: dict[str, str]
    ) -> tuple[dict[str, Any], dict[str, str]] | None:
        """For a write sent with ``conn.request``: the parameters and headers with the provider's
        idempotency key added (QuickBooks ``requestid``, Xero ``Idempotency-Key``), made with
        ``session.new_idempotency_key()`` unless the caller gave one; the write is then retried
        with the same key. ``None`` (the default): no key, and the write is never re-sent."""
        return None

    # ----------------------------------------------------------------------------------- OAuth

    def oauth_flow(self, settings: ProviderSettings) -> OAuthFlow:
        """The declared OAuth of this provider, for the app of ``settings``."""
        if self.oauth is None:
            raise ConfigurationError(f"provider {self.name!r} declares no OAuth settings")
        return OAuthFlow(self.name, self.oauth, settings)

    def oauth_url(self, settings: ProviderSettings, kind: Literal["authorize", "token", "revoke"]) -> str:
        """The endpoint URL, moved onto ``settings.base_url`` when one is set (emulators)."""
        return self.oauth_flow(settings).endpoint(kind)

    def oauth_scopes(self, settings: ProviderSettings) -> tuple[str, ...]:
        """The scopes asked for when the caller names none: the ``scopes`` setting, else the
        declared ones. Override to choose by other settings."""
        if settings.scopes:
            return tuple(settings.scopes)
        return self.oauth.scopes if self.oauth else ()

    def authorization_url(
        self,
        settings: ProviderSettings,
        *,
        redirect_uri: str,
        state: str,
        code_challenge: str | None = None,
        scopes: Sequence[str] | None = None,
    ) -> str:
        """The consent page URL; a ``code_challenge`` (S256) makes it a PKCE request."""
        return self.oauth_flow(settings).authorization_url(
            redirect_uri=redirect_uri,
            state=state,
            scopes=tuple(scopes or self.oauth_scopes(settings)),
            code_challenge=code_challenge,
        )

    async def exchange_code(
        self,
        http: httpx.AsyncClient,
        settings: ProviderSettings,
        *,
        code: str,
        redirect_uri: str,
        callback_params: Mapping[str, str],
        code_verifier: str | None = None,
    ) -> list[Grant]:
        """Trade an authorization code for tokens; return one grant per company the consent covers
        (see :meth:`granted_companies`)."""
        self._callback_company(callback_params)  # refused before the code is spent
        payload = await self.oauth_flow(settings).token_request(
            http, "authorization_code", code=code, redirect_uri=redirect_uri, code_verifier=code_verifier
        )
        tokens = self.token_set(payload, now=datetime.now(UTC))
        return await self.granted_companies(http, settings, tokens, callback_params)

    async def granted_companies(
        self,
        http: httpx.AsyncClient,
        settings: ProviderSettings,
        tokens: TokenSet,
        callback_params: Mapping[str, str],
    ) -> list[Grant]:
        """The companies a new token was granted, each confirmed for that token.

        Default: the one company the callback names in the declared ``company_parameter``,
        believed once :meth:`confirm_company` has read it with the new token — ``callback_params``
        passed through the user's browser and may have been changed. When the token cannot reach
        it, the unused grant is revoked and ``PermissionDenied`` (``company_not_confirmed``) is
        raised; nothing is then stored. Override for providers that list the granted companies.
        """
        company_id = self._callback_company(callback_params)
        if company_id is None:
            raise UnsupportedOperation(self.name, "oauth")
        try:
            name = await self.confirm_company(http, settings, company_id, tokens)
        except Exception as exc:
            await self._abandon(http, settings, tokens)
            if isinstance(exc, (ProviderError, ValidationFailed)) and _refusal(exc):
                raise PermissionDenied(
                    f"{self.display_name} did not confirm company {company_id!r} for this "
                    f"authorization: the callback's {self._company_parameter()} is not the company "
                    "the user connected; nothing was stored",
                    provider=self.name,
                    status_code=exc.status_code,
                    code="company_not_confirmed",
                    detail=str(exc),
                    request_id=exc.request_id,
                ) from exc
            raise
        return [Grant(company_id=company_id, company_name=name, tokens=tokens)]

    def _company_parameter(self) -> str | None:
        return self.oauth.company_parameter if self.oauth else None

    def _callback_company(self, callback_params: Mapping[str, str]) -> str | None:
        """The company the callback names in the declared parameter (``None``: none declared)."""
        parameter = self._company_parameter()
        if parameter is None:
            return None
        company_id = callback_params.get(parameter)
        if not company_id:
            raise ValidationFailed(
                f"the {self.display_name} callback carries no {parameter}: pass every query parameter "
                "of the callback",
                issues=[FieldIssue(parameter, "missing from the callback")],
                provider=self.name,
            )
        return company_id

    async def _abandon(self, http: httpx.AsyncClient, settings: ProviderSettings, tokens: TokenSet) -> None:
        # Nothing will store these tokens: end the grant rather than leave it dangling.
        with contextlib.suppress(Exception):
            await self.revoke(http, settings, tokens)

    async def confirm_company(
        self, http: httpx.AsyncClient, settings: ProviderSettings, company_id: str, tokens: TokenSet
    ) -> str | None:
        """Read ``company_id`` with the new ``tokens`` (:meth:`call_with_token`) and return its
        name; an error answer means the token cannot reach it."""
        raise UnsupportedOperation(self.name, "oauth")

    async def call_with_token(
        self,
        http: httpx.AsyncClient,
        method: str,
        url: str,
        tokens: TokenSet,
        *,
        params: Mapping[str, str] | None = None,
        settings: ProviderSettings | None = None,
        company_id: str | None = None,
    ) -> httpx.Response:
        """One request outside any connection (no retries), authenticated with ``tokens``: for
        OAuth steps such as :meth:`confirm_company`. Returns a 2xx answer, else raises the mapped
        error.

        Given ``settings`` and ``company_id``, the request spends that company's rate-limit budget
        in the limiter of the client running the flow, as the connection's requests will: the
        provider counts it too, and a connection's first burst must not overrun the window.
        """
        bearer = tokens.access_token.get_secret_value()
        headers = {"Authorization": f"Bearer {bearer}", "Accept": "application/json"}
        limits = self.limits_for(settings) if settings is not None else None
        if limits is None or settings is None or company_id is None:
            slot: contextlib.AbstractAsyncContextManager[None] = contextlib.nullcontext()
        else:
            key = LimitKey.of(self.name, settings, company_id)
            slot = self._limiter_given(flow_limiter()).slot(key, limits, refuse=self.rate_limit_refusal)
        try:
            async with slot:
                response = await http.request(method, url, params=params, headers=headers)
        except httpx.TransportError as exc:
            hint = unreachable_hint(self.name, url, None)
            unreachable = f"{self.display_name} is unreachable: {hint} ({exc or type(exc).__name__})"
            raise ProviderUnavailable(unreachable, provider=self.name) from exc
        if not response.is_success:
            raise self.error_from_response(response)
        return response

    def token_set(
        self, payload: Mapping[str, Any], *, now: datetime, previous: TokenSet | None = None
    ) -> TokenSet:
        """A token answer → :class:`TokenSet` (relative lifetimes made absolute at ``now``).
        Override to read lifetimes a provider reports in fields of its own."""
        if self.oauth is None:
            raise ConfigurationError(f"provider {self.name!r} declares no OAuth settings")
        return token_set(self.name, self.oauth, payload, now=now, previous=previous)

    async def refresh(
        self, http: httpx.AsyncClient, settings: ProviderSettings, tokens: TokenSet
    ) -> TokenSet:
        """Use the refresh token; ``invalid_grant`` raises ``ReauthorizationRequired``. A provider
        that ``rotates_refresh_token`` must answer with a new one; others may keep the old one."""
        if tokens.refresh_token is None:
            raise ReauthorizationRequired(
                "the access token expired and there is no refresh token (was offline access granted?):"
                " the user must connect again",
                provider=self.name,
            )
        flow = self.oauth_flow(settings)
        payload = await flow.token_request(
            http, "refresh_token", refresh_token=tokens.refresh_token.get_secret_value()
        )
        if flow.declared.rotates_refresh_token and not payload.get("refresh_token"):
            raise AuthenticationError(
                f"{self.display_name}'s refresh answer carried no new refresh token", provider=self.name
            )
        return self.token_set(payload, now=datetime.now(UTC), previous=tokens)

    async def revoke(self, http: httpx.AsyncClient, settings: ProviderSettings, tokens: TokenSet) -> None:
        """End the whole grant at the provider (its declared revocation endpoint)."""
        if self.oauth is None or self.oauth.revoke_url is None:
            raise UnsupportedOperation(self.name, "revoke")
        await self.oauth_flow(settings).revoke(http, tokens)

    async def disconnect(
        self,
        http: httpx.AsyncClient,
        settings: ProviderSettings,
        tokens: TokenSet,
        grant_metadata: Mapping[str, str],
    ) -> None:
        """End access to one company only (default: revoke the whole grant)."""
        await self.revoke(http, settings, tokens)

    # -------------------------------------------------------------------------------- webhooks

    def verify_webhook(self, body: bytes, headers: Mapping[str, str], secret: str) -> bool:
        """Whether ``body`` was signed by the provider with ``secret``: by default the base64
        HMAC-SHA256 in :attr:`webhook_signature_header`, decoded strictly, compared in constant time."""
        if self.webhook_signature_header is None:
            raise UnsupportedOperation(self.name, "webhooks")
        return verify_hmac_sha256_base64(body, header_value(headers, self.webhook_signature_header), secret)

    def parse_webhook(self, body: bytes) -> list[WebhookEvent]:
        """A verified webhook body → unified change events."""
        raise UnsupportedOperation(self.name, "webhooks")

    # -------------------------------------------------------------------------------- emulator

    def create_emulator(self, **options: Any) -> ASGIApp:
        """An ASGI app emulating the provider locally (for tests, ``ua sandbox`` and the demo)."""
        raise UnsupportedOperation(self.name, "emulator")

    def emulator_command(self) -> EmulatorCommand | None:
        """How ``ua sandbox`` runs the emulator: its own flags and banner (see
        :mod:`unified_accounting.emulation.command`). ``None``: the shared flags go to ``create_emulator``."""
        return None

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"


def _refusal(error: ProviderError | ValidationFailed) -> bool:
    """Whether an error answer refused the request (a 4xx but 429), rather than failed to serve it."""
    if isinstance(error, (ValidationFailed, PermissionDenied, NotFound, AuthenticationError)):
        return True
    status = error.status_code
    return status is not None and 400 <= status < 500 and not isinstance(error, RateLimited)


def constant_time_equal(a: str | bytes, b: str | bytes) -> bool:
    """Compare signatures without leaking, through timing, how many leading bytes matched."""
    a_bytes = a.encode() if isinstance(a, str) else a
    b_bytes = b.encode() if isinstance(b, str) else b
    return hmac.compare_digest(a_bytes, b_bytes)


def follow_cursors(
    fetch: Callable[[str | None], Awaitable[Page]], cursor: str | None = None
) -> AsyncIterator[Page]:
    """Every page from ``cursor`` on, fetched lazily one at a time (constant memory)."""
    return _CursorPages(fetch, cursor)


class _CursorPages:
    """:func:`follow_cursors`' pages. An iterator object rather than an async generator: one left
    before its end (the first page only, ``await anext(aiter(pager.pages()))``) has nothing to
    close, where an async generator makes the event loop schedule a task to close it — CPU a mirror
    read of a few records notices."""

    def __init__(self, fetch: Callable[[str | None], Awaitable[Page]], cursor: str | None) -> None:
        self._fetch = fetch
        self._cursor = cursor
        self._done = False

    def __aiter__(self) -> _CursorPages:
        return self

    async def __anext__(self) -> Page:
        if self._done:
            raise StopAsyncIteration
        try:
            page = await self._fetch(self._cursor)
        except BaseException:
            self._done = True  # as a generator ends when it raised
            raise
        if page.next_cursor is None:
            self._done = True
        self._cursor = page.next_cursor
        return page

    async def aclose(self) -> None:
        """Stop: no page is fetched after this (as closing a generator would)."""
        self._done = True


__all__ = [
    "AttachmentRef",
    "AttachmentUpload",
    "BulkResult",
    "BulkUpdate",
    "Capabilities",
    "ChangeFeedResult",
    "Codec",
    "FetchedPage",
    "ListQuery",
    "OAuthSettings",
    "Operation",
    "Page",
    "PageReader",
    "Provider",
    "ProviderSession",
    "ProviderSettings",
    "RecordIssue",
    "ReportRequest",
    "StaleReader",
    "UnreadPage",
    "capabilities",
    "constant_time_equal",
    "follow_cursors",
    "read_codec_page",
]
