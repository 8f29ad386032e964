"""The contract a provider implements, documented for third parties in ``docs/providers/writing.md``.

A provider is an instance of a :class:`Provider` subclass, returned by a plugin's
``ua_register_providers`` hook. It is stateless with respect to callers: everything about one
call (settings, company, tokens, HTTP) arrives in the :class:`ProviderSession` the client hands it,
so one provider object serves every connection. Mapping lives in its :class:`Codec` (pure, no I/O).

Operations a provider does not override raise :class:`UnsupportedOperation`, and the client checks
``capabilities`` before calling, so product code gets the error before any HTTP traffic.
"""

from __future__ import annotations

import abc
import contextlib
import hmac
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Protocol, runtime_checkable

import httpx
from pydantic import BaseModel, ConfigDict, SecretStr

from . import oauth as oauth_steps
from .catalog import Operation
from .decoding import RecordIssue
from .errors import DecodeFailed, FieldIssue, NotFound, ProviderError, UnsupportedOperation, ValidationFailed
from .http.errors import error_from_status
from .models import RecordMeta, WebhookEvent
from .tokens import Grant, TokenSet

if TYPE_CHECKING:
    from .types import ASGIApp

PROVIDER_NAME = re.compile(r"^[a-z][a-z0-9_]{1,39}$")


#: Resource name → the operations supported on it.
Capabilities = Mapping[str, frozenset[Operation]]


def capabilities(**resources: str) -> dict[str, frozenset[Operation]]:
    """Build capabilities from space-separated operation names: ``capabilities(invoice="create get")``."""
    return {name: frozenset(Operation(op) for op in ops.split()) for name, ops in resources.items()}


@dataclass(frozen=True)
class OAuthSettings:
    """How a provider does OAuth 2.0 (authorization code grant)."""

    authorize_url: str
    token_url: str
    revoke_url: str | None = None
    scopes: tuple[str, ...] = ()
    #: Whether to send a PKCE (S256) challenge with the authorization request.
    pkce: bool = False
    #: How the client authenticates at the token endpoint.
    client_auth_method: Literal["client_secret_basic", "client_secret_post"] = "client_secret_basic"
    #: Extra fixed query parameters for the authorization URL.
    authorize_params: Mapping[str, str] = field(default_factory=dict)


class ProviderSettings(BaseModel):
    """Settings every provider accepts. A provider may subclass it (``Provider.settings_model``).

    Values come from ``Client(providers={"name": {...}})`` and, for what is not given there, from
    environment variables ``UA_<NAME>_<FIELD>`` (``UA_QUICKBOOKS_CLIENT_ID``).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    client_id: str | None = None
    client_secret: SecretStr | None = None
    environment: Literal["sandbox", "production"] = "production"
    #: One URL that replaces every provider host (API, OAuth, identity): how emulators are plugged in.
    base_url: str | None = None
    scopes: tuple[str, ...] | None = None
    webhook_secret: SecretStr | None = None


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


#: Deprecated name of :class:`ChangeFeedResult`.
ChangeSet = ChangeFeedResult


@runtime_checkable
class Codec(Protocol):
    """Pure mapping between provider JSON and unified models (no I/O; fast paths welcome)."""

    def decode(self, resource: str, payload: Mapping[str, Any] | bytes, include_raw: bool = False) -> Any:
        """One provider record (a mapping, or JSON bytes) → the unified model of ``resource``."""
        ...

    def decode_list(self, resource: str, body: bytes, include_raw: bool = False) -> list[Any]:
        """A whole provider list/query response body → unified models, in order."""
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

    async def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        content: bytes | str | None = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
    ) -> httpx.Response:
        """Send an authenticated request, with retries; return a 2xx response or raise a mapped error.

        ``idempotent`` says whether re-sending is safe. It defaults to true for GET, HEAD, PUT and
        DELETE and false otherwise: a POST is retried only when the provider put an idempotency key
        in the request (and passes ``idempotent=True``). The same request, key included, is re-sent.
        """
        ...

    def new_idempotency_key(self) -> str:
        """A fresh random key for one write; reuse it for every retry of that write."""
        ...


class Provider(abc.ABC):
    """Base class of every provider. Subclass it, set the class attributes, override what you support."""

    #: Registry name, lower case (``"quickbooks"``); also the ``UA_<NAME>_*`` environment prefix.
    name: ClassVar[str]
    #: Name shown to people (``"QuickBooks Online"``).
    display_name: ClassVar[str]
    settings_model: ClassVar[type[ProviderSettings]] = ProviderSettings
    capabilities: ClassVar[Capabilities] = {}
    oauth: ClassVar[OAuthSettings | None] = None
    #: How far back :meth:`read_change_feed` reaches, margin for clock differences included; a read
    #: from further back lists each resource with ``updated_since`` instead. ``None``: no limit.
    change_feed_window: ClassVar[timedelta | None] = None
    #: The provider's pure mapping between its JSON and the unified models.
    codec: Codec

    # ----------------------------------------------------------------------------------- basics

    def supports(self, resource: str, operation: Operation) -> bool:
        return operation in self.capabilities.get(resource, frozenset())

    def require(self, resource: str, operation: Operation) -> None:
        """Raise :class:`UnsupportedOperation` unless ``operation`` is supported on ``resource``."""
        if not self.supports(resource, operation):
            raise UnsupportedOperation(self.name, operation.value, resource)

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

    def request_slot(self, session: ProviderSession) -> contextlib.AbstractAsyncContextManager[None]:
        """Entered around every HTTP attempt: where a provider waits for its rate limiter."""
        return contextlib.nullcontext()

    def observe_response(self, session: ProviderSession, response: httpx.Response) -> None:  # noqa: B027
        """Called with every response (also errors): where a provider reads its limit headers.

        Deliberately a no-op by default, not abstract: most providers have no limit headers.
        """

    # ------------------------------------------------------------------------------ operations

    async def create(self, session: ProviderSession, resource: str, record: RecordMeta) -> Any:
        raise UnsupportedOperation(self.name, "create", resource)

    async def get(self, session: ProviderSession, resource: str, record_id: str) -> Any:
        raise UnsupportedOperation(self.name, "get", resource)

    async def list_page(
        self,
        session: ProviderSession,
        resource: str,
        *,
        cursor: str | None,
        updated_since: datetime | None,
        page_size: int | None,
    ) -> Page:
        """One page of records, oldest-first or in a stable order; ``cursor=None`` is the first page."""
        raise UnsupportedOperation(self.name, "list", resource)

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

    # ----------------------------------------------------------------------------------- OAuth

    def oauth_url(self, settings: ProviderSettings, kind: Literal["authorize", "token", "revoke"]) -> str:
        """The endpoint URL, moved onto ``settings.base_url`` when one is set (emulators)."""
        return oauth_steps.endpoint(self, settings, kind)

    def authorization_url(
        self,
        settings: ProviderSettings,
        *,
        redirect_uri: str,
        state: str,
        code_challenge: str | None = None,
        scopes: Sequence[str] | None = None,
    ) -> str:
        return oauth_steps.authorization_url(
            self,
            settings,
            redirect_uri=redirect_uri,
            state=state,
            code_challenge=code_challenge,
            scopes=scopes,
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
        """Trade an authorization code for tokens; return one grant per company the consent covers.

        Return only company ids the provider confirmed for the new token (a read of the company
        with it, or the provider's list of granted companies): ``callback_params`` passed through
        the user's browser and may have been changed. Raise ``PermissionDenied`` when the token
        cannot reach the company the callback names; nothing is then stored.
        """
        raise UnsupportedOperation(self.name, "oauth")

    async def refresh(
        self, http: httpx.AsyncClient, settings: ProviderSettings, tokens: TokenSet
    ) -> TokenSet:
        """Use the refresh token; ``invalid_grant`` raises ``ReauthorizationRequired``."""
        return await oauth_steps.refresh_tokens(self, http, settings, tokens)

    async def revoke(self, http: httpx.AsyncClient, settings: ProviderSettings, tokens: TokenSet) -> None:
        raise UnsupportedOperation(self.name, "revoke")

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
        """Whether ``body`` was signed by the provider with ``secret`` (compare in constant time)."""
        raise UnsupportedOperation(self.name, "webhooks")

    def parse_webhook(self, body: bytes) -> list[WebhookEvent]:
        """A verified webhook body → unified change events."""
        raise UnsupportedOperation(self.name, "webhooks")

    # -------------------------------------------------------------------------------- emulator

    def create_emulator(self, **options: Any) -> ASGIApp:
        """An ASGI app emulating the provider locally (for tests, ``ua sandbox`` and the demo)."""
        raise UnsupportedOperation(self.name, "emulator")

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"


def constant_time_equal(a: str | bytes, b: str | bytes) -> bool:
    """Compare signatures without leaking, through timing, how many leading bytes matched."""
    a_bytes = a.encode() if isinstance(a, str) else a
    b_bytes = b.encode() if isinstance(b, str) else b
    return hmac.compare_digest(a_bytes, b_bytes)


async def follow_cursors(
    fetch: Callable[[str | None], Awaitable[Page]], cursor: str | None = None
) -> AsyncIterator[Page]:
    """Every page from ``cursor`` on, fetched lazily one at a time (constant memory)."""
    while True:
        page = await fetch(cursor)
        yield page
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


__all__ = [
    "BulkResult",
    "BulkUpdate",
    "Capabilities",
    "ChangeFeedResult",
    "Codec",
    "OAuthSettings",
    "Operation",
    "Page",
    "Provider",
    "ProviderSession",
    "ProviderSettings",
    "RecordIssue",
    "capabilities",
    "constant_time_equal",
    "follow_cursors",
]
