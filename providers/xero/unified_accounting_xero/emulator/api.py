"""Accounting API routes under ``/api.xro/2.0``: Invoices, Contacts, Payments, Accounts, Items, TaxRates,
TrackingCategories (and their Options), Currencies, Organisation (and ``Organisation/Actions``),
ManualJournals, CreditNotes (and their Allocations), BankTransactions.

Request pipeline: ``Accept`` check (406 unless ``application/json``; the emulator never produces XML, option
``require_json_accept``) → Bearer token (401) → ``xero-tenant-id`` connected for the token (403) → scope (401)
→ rate limits (429) → latency → handler.  Rate-limit headers are added to every answer past the limiter.

Reads: list with ``page``/``pageSize`` (default 100 when paged, at most 1000) and a ``pagination`` object,
``If-Modified-Since`` (``UpdatedDateUTC`` at or after the header's second), ``where``, ``order``, ``IDs``,
and for invoices ``Statuses``, ``ContactIDs``, ``InvoiceNumbers``; for contacts ``includeArchived`` (archived
contacts are hidden by default) and ``searchTerm``.  Unpaged invoice lists omit line items.  A single record
is addressed by id (or by ``InvoiceNumber``/``ContactNumber``/item ``Code``/account ``Code``).

Writes: ``PUT`` creates, ``POST`` creates or updates (by id; contacts also by active ``Name``, items by
``Code``, ACCREC invoices by ``InvoiceNumber``), ``POST /{Resource}/{id}`` updates one record.  Bodies are
``{"Invoices": [...]}``, a list, or one object.  A batch is all-or-nothing (400 ``ValidationException``)
unless ``summarizeErrors=false`` (200, per-element ``StatusAttributeString``).  ``Idempotency-Key`` replays a
stored response.  Accounts are created with ``PUT``, changed with ``POST /Accounts/{id}`` and removed with
``DELETE`` (:mod:`.chart`, as are manual journals); ``DELETE /Items/{id}`` removes an item; credit notes,
their allocations and refunds follow :mod:`.credits`, bank transactions :mod:`.bank`.  Tax rates are keyed
by ``TaxType`` (one per request, :mod:`.taxes`); tracking categories have their own routes
(:mod:`.tracking`); currencies are added with ``PUT`` (:mod:`.organisation`).

Beyond records: ``GET /Reports/{ReportID}`` (:mod:`.reports`, computed from :mod:`.postings`),
``/{Endpoint}/{id}/Attachments`` (:mod:`.attachments`; the ``Accept`` check does not apply), and
documents (:mod:`.documents`): ``GET /Invoices/{id}`` or ``/CreditNotes/{id}`` with
``Accept: application/pdf`` answers a PDF, ``POST /Invoices/{id}/Email`` emails a sales invoice.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from . import attachments, bank, chart, credits, documents, organisation, reports, taxes, tracking
from .dates import DateParseError, parse_if_modified_since, wire_envelope_timestamp
from .emulator import XeroEmulator
from .errors import (
    QueryParseError,
    ValidationFailed,
    forbidden,
    json_response,
    not_acceptable,
    not_found,
    post_data_invalid,
    problem,
    query_parse_error,
    simple_validation_error,
    unauthorized,
    validation_body,
)
from .filters import apply_order, compile_where, parse_order
from .idempotency import MAX_KEY_LENGTH
from .journal import Journal
from .ledger import WriteContext
from .serialize import entity_wire, field_resolver, wire
from .state import Record, TenantState
from .tracking import category_wire, option_wire
from .wirejson import loads

#: Collection path → (entity, id field).
RESOURCES: dict[str, tuple[str, str]] = {
    "Invoices": ("Invoice", "InvoiceID"),
    "Contacts": ("Contact", "ContactID"),
    "Payments": ("Payment", "PaymentID"),
    "Accounts": ("Account", "AccountID"),
    "Items": ("Item", "ItemID"),
    "TaxRates": ("TaxRate", "TaxType"),
    "TrackingCategories": ("TrackingCategory", "TrackingCategoryID"),
    "Currencies": ("Currency", "Code"),
    "ManualJournals": ("ManualJournal", "ManualJournalID"),
    "CreditNotes": ("CreditNote", "CreditNoteID"),
    "BankTransactions": ("BankTransaction", "BankTransactionID"),
}
_CANONICAL = {name.lower(): name for name in (*RESOURCES, "Organisation", "Reports")}
#: Alternative key a single record may be addressed by.
_ALT_KEYS = {
    "CreditNote": "CreditNoteNumber",
    "Invoice": "InvoiceNumber",
    "Contact": "ContactNumber",
    "Item": "Code",
    "Account": "Code",
}


def _is_guid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


class ApiRequest:
    """Everything a handler needs about one authenticated Accounting API call."""

    def __init__(self, emulator: XeroEmulator, request: Request, tenant: TenantState, resource: str) -> None:
        self.em = emulator
        self.request = request
        self.tenant = tenant
        self.resource = resource

    def envelope(self, key: str, items: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
        body: dict[str, Any] = {
            "Id": str(uuid.uuid4()),
            "Status": "OK",
            "ProviderName": self.em.options.provider_name,
            "DateTimeUTC": wire_envelope_timestamp(self.em.clock.now()),
        }
        body.update(extra)
        body[key] = items
        return body


async def accounting(request: Request) -> Response:
    em: XeroEmulator = request.app.state.emulator
    options = em.options
    resource = _CANONICAL.get(request.path_params["resource"].lower())
    if resource is None:
        return not_found(options.not_found_body)
    accept = request.headers.get("accept", "").lower()
    if options.require_json_accept and "application/json" not in accept and not _binary(request, resource):
        return not_acceptable()
    token = em.identity.authenticate(request.headers.get("authorization"))
    if isinstance(token, str):
        return unauthorized(token)
    tenant_id = (request.headers.get("xero-tenant-id") or "").strip().lower()
    tenant = em.tenants.get(tenant_id)
    if tenant is None or not em.identity.has_tenant(token, tenant_id):
        return forbidden()
    write = request.method in ("PUT", "POST", "DELETE")
    sub = (request.path_params.get("sub") or "").lower()
    if not em.identity.scope_allows(token, "Attachments" if sub == "attachments" else resource, write):
        return unauthorized("AuthorizationUnsuccessful")
    decision = em.limiter.acquire(tenant_id, token.client_id, tenant.day_limit)
    if not decision.allowed:
        return problem(
            429,
            "Too Many Requests",
            "The API rate limit for your organisation/application pairing has been exceeded "
            f"({decision.problem}).",
            decision.headers,
        )
    try:
        await em.clock.sleep(options.latency_ms / 1000)
        call = ApiRequest(em, request, tenant, resource)
        response = await _dispatch(call)
    finally:
        em.limiter.release(tenant_id)
    response.headers.update(decision.headers)
    return response


async def _dispatch(call: ApiRequest) -> Response:
    request = call.request
    record_id = request.path_params.get("record_id")
    sub = request.path_params.get("sub")
    if call.resource == "Organisation":
        if request.method != "GET":
            return problem(405, "Method Not Allowed", "Organisation is read-only")
        if record_id is None:
            return json_response(call.envelope("Organisations", [wire(call.tenant.organisation)]))
        if record_id.lower() == "actions" and sub is None:
            return json_response(call.envelope("Actions", organisation.actions(call.tenant)))
        return not_found(call.em.options.not_found_body)
    if call.resource == "Reports":
        return reports.serve(call, record_id)
    if sub is not None and record_id and sub.lower() == "attachments":
        return await attachments.serve(call, _find, record_id, request.path_params.get("sub_id"))
    if sub is not None and record_id and sub.lower() == "email" and call.resource == "Invoices":
        if request.path_params.get("sub_id") is not None:
            return not_found(call.em.options.not_found_body)
        return documents.email(call, _find(call, "Invoice", record_id))
    if (
        request.method == "GET"
        and record_id
        and sub is None
        and call.resource in ("Invoices", "CreditNotes")
        and documents.wants_pdf(request.headers.get("accept", ""))
    ):
        found = _find(call, RESOURCES[call.resource][0], record_id)
        return documents.pdf(call, found) if found is not None else not_found(call.em.options.not_found_body)
    if sub is not None:
        if call.resource == "TrackingCategories" and sub.lower() == "options" and record_id:
            return await _options(call, record_id, request.path_params.get("sub_id"))
        if call.resource == "CreditNotes" and sub.lower() == "allocations" and record_id:
            return await _allocations(call, record_id, request.path_params.get("sub_id"))
        return not_found(call.em.options.not_found_body)
    if call.resource == "TrackingCategories" and request.method in ("PUT", "POST", "DELETE"):
        if request.method == "DELETE":
            return _delete_category(call, record_id)
        return await _write(call, record_id, _write_categories)
    if request.method == "GET":
        if record_id:
            return _get_one(call, record_id)
        return _get_list(call)
    if request.method in ("PUT", "POST"):
        return await _write(call, record_id, _execute)
    if request.method == "DELETE" and record_id and call.resource in ("Accounts", "Items"):
        return _delete(call, record_id)
    return problem(405, "Method Not Allowed", f"{request.method} is not supported on {call.resource}")


def _binary(request: Request, resource: str) -> bool:
    """Whether the request asks for bytes rather than JSON: a document as a PDF, an attachment's file
    (or its upload, which Xero answers in JSON whatever the Accept header says)."""
    params = request.path_params
    if (params.get("sub") or "").lower() == "attachments":
        return True
    accept = request.headers.get("accept", "")
    return (
        resource in ("Invoices", "CreditNotes") and params.get("sub") is None and documents.wants_pdf(accept)
    )


# ------------------------------------------------------------------------------------------------------ reads
def _find(call: ApiRequest, entity: str, key: str) -> Record | None:
    collection = call.tenant.collection(entity)
    if entity == "TaxRate":
        return call.tenant.tax_rate(key)
    if entity == "Currency":
        return collection.get(key.upper())
    if entity == "TrackingCategory":
        found = collection.get(key.lower())
        return None if found is None or found["Status"] == "DELETED" else found
    if entity == "Account":
        found = collection.get(key.lower()) if _is_guid(key) else call.tenant.account_by_code(key)
        return None if found is None or found.get("Status") == "DELETED" else found
    if _is_guid(key):
        found = collection.get(key.lower())
        if found is not None:
            return found
    alt = _ALT_KEYS.get(entity)
    if alt is None:
        return None
    if entity == "Invoice":
        return call.tenant.invoice_by_number(key)
    if entity == "Item":
        return call.tenant.item_by_code(key)
    if entity == "Account":
        return call.tenant.account_by_code(key)
    for rec in collection.values():
        if str(rec.get(alt) or "").upper() == key.upper():
            return rec
    return None


def _get_one(call: ApiRequest, key: str) -> Response:
    entity, _ = RESOURCES[call.resource]
    rec = _find(call, entity, key)
    if rec is None:
        return not_found(call.em.options.not_found_body)
    body = entity_wire(
        call.tenant, entity, rec, full_contact=True, today=call.em.clock.now().date(), unitdp=_unitdp(call)
    )
    return json_response(call.envelope(call.resource, [body]))


def _unitdp(call: ApiRequest) -> int:
    return 4 if call.request.query_params.get("unitdp") == "4" else 2


def _csv(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def _get_list(call: ApiRequest) -> Response:
    entity, id_field = RESOURCES[call.resource]
    options = call.em.options
    query = call.request.query_params
    t = call.tenant
    records: list[Record] = list(t.collection(entity).values())
    ids = {i.lower() for i in _csv(query.get("IDs") or query.get("ids"))}
    if ids:
        records = [r for r in records if r[id_field] in ids]
    if entity == "Invoice":
        statuses = {s.upper() for s in _csv(query.get("Statuses"))}
        if statuses:
            records = [r for r in records if r["Status"] in statuses]
        contact_ids = {c.lower() for c in _csv(query.get("ContactIDs"))}
        if contact_ids:
            records = [r for r in records if (r.get("Contact") or {}).get("ContactID") in contact_ids]
        numbers = {n.upper() for n in _csv(query.get("InvoiceNumbers"))}
        if numbers:
            records = [r for r in records if str(r.get("InvoiceNumber") or "").upper() in numbers]
    if entity == "Account":
        records = [r for r in records if r.get("Status") != "DELETED"]
    include_archived = query.get("includeArchived", "false").lower() == "true"
    if entity == "TrackingCategory":
        shown = ("ACTIVE", "ARCHIVED") if include_archived else ("ACTIVE",)
        records = [r for r in records if r["Status"] in shown]
    if entity == "Contact":
        if not include_archived and not ids:
            records = [r for r in records if r.get("ContactStatus") != "ARCHIVED"]
        term = (query.get("searchTerm") or "").casefold()
        if term:
            fields = ("Name", "FirstName", "LastName", "ContactNumber", "EmailAddress")
            records = [r for r in records if any(term in str(r.get(f) or "").casefold() for f in fields)]
    since_header = call.request.headers.get("if-modified-since")
    if since_header:
        try:
            since = parse_if_modified_since(since_header)
        except DateParseError:
            return simple_validation_error(
                f"The If-Modified-Since header '{since_header}' is not a valid date."
            )
        records = [r for r in records if r.get("UpdatedDateUTC") is not None and r["UpdatedDateUTC"] >= since]
    resolve = field_resolver(t, entity)
    try:
        if query.get("where"):
            predicate = compile_where(query["where"], resolve, options.where_case_insensitive)
            records = [r for r in records if predicate(r)]
        if query.get("order"):
            records = apply_order(records, parse_order(query["order"]), resolve)
    except QueryParseError as exc:
        return query_parse_error(str(exc))
    extra: dict[str, Any] = {}
    paged = "page" in query
    if paged:
        try:
            page = max(1, int(query["page"]))
            size = int(query.get("pageSize") or options.default_page_size)
        except ValueError:
            return simple_validation_error("page and pageSize must be whole numbers.")
        size = max(1, min(size, options.max_page_size))
        count = len(records)
        extra["pagination"] = {
            "page": page,
            "pageSize": size,
            "pageCount": (count + size - 1) // size,
            "itemCount": count,
        }
        records = records[(page - 1) * size : page * size]
    include_lines = paged or options.line_items_in_unpaged_lists
    if entity == "TrackingCategory":
        items = [category_wire(r, include_archived) for r in records]
    else:
        unitdp = _unitdp(call)
        items = [
            entity_wire(t, entity, r, include_lines=include_lines, listed=True, unitdp=unitdp)
            for r in records
        ]
    return json_response(call.envelope(call.resource, items, **extra))


# ----------------------------------------------------------------------------------------------------- writes
def _elements(body: Any, resource: str) -> list[Any] | None:
    if isinstance(body, list):
        return body
    if isinstance(body, dict):
        for key, value in body.items():
            if key.lower() == resource.lower():
                return value if isinstance(value, list) else [value]
        return [body]
    return None


Executor = Callable[[ApiRequest, list[Any], str | None], Response]


async def _write(call: ApiRequest, record_id: str | None, run: Executor) -> Response:
    em = call.em
    request = call.request
    key = request.headers.get("idempotency-key")
    if key is not None:
        if len(key) > MAX_KEY_LENGTH or not key.strip():
            return simple_validation_error(f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} characters long.")
        stored = em.idempotency.get(call.tenant.tenant_id, key)
        if stored is not None:
            request.state.idempotent_replay = True
            return Response(stored.body, status_code=stored.status, media_type=stored.media_type)
    raw = await request.body()
    if len(raw) > em.options.max_body_bytes:
        return problem(
            413, "Request Entity Too Large", f"Bodies are limited to {em.options.max_body_bytes} bytes"
        )
    try:
        body = loads(raw) if raw.strip() else None
    except ValueError:
        return post_data_invalid("The request body is not valid JSON.")
    elements = _elements(body, call.resource)
    if not elements:
        return post_data_invalid(f"The request body must contain {call.resource}.")
    response = run(call, elements, record_id)
    if key is not None:
        em.idempotency.put(
            call.tenant.tenant_id, key, response.status_code, bytes(response.body), "application/json"
        )
    return response


def _execute(call: ApiRequest, elements: list[Any], record_id: str | None) -> Response:
    em = call.em
    t = call.tenant
    entity, id_field = RESOURCES[call.resource]
    method = call.request.method
    query = call.request.query_params
    summarize = query.get("summarizeErrors", "true").lower() != "false"
    unitdp = 4 if query.get("unitdp") == "4" else 2
    if entity == "TaxRate" and len(elements) > 1:
        return simple_validation_error("Only one tax rate can be created or updated per request.")
    if record_id is not None:
        target = _find(call, entity, record_id)
        if target is None:
            return not_found(em.options.not_found_body)
        if len(elements) != 1:
            return simple_validation_error(f"Only one {entity} can be updated at {call.resource}/{{id}}.")
        element = elements[0]
        if isinstance(element, dict):
            given = element.get(id_field)
            if given and str(given).lower() != target[id_field]:
                return simple_validation_error(f"The {id_field} in the body does not match the URL.")
            element = {**element, id_field: target[id_field]}
        elements = [element]
    now = em.clock.now()
    batch = Journal()
    outcomes: list[tuple[Any, Record | None, list[str]]] = []
    for element in elements:
        journal = Journal()
        ctx = WriteContext(t, journal, now, unitdp)
        try:
            if not isinstance(element, dict):
                raise ValidationFailed(f"Each element must be a {entity} object.")
            rec = _write_element(em, ctx, entity, id_field, element, method)
        except ValidationFailed as exc:
            journal.rollback()
            outcomes.append((element, None, exc.messages))
            continue
        batch.absorb(journal)
        outcomes.append((element, rec, []))
    failed = any(errors for _, _, errors in outcomes)
    if failed and summarize:
        batch.rollback()
        elements_out = [
            {**_echo(el), "ValidationErrors": [{"Message": m} for m in errors]} for el, _, errors in outcomes
        ]
        return json_response(validation_body(elements_out), 400)
    em.publish(batch.events)
    items: list[dict[str, Any]] = []
    for element, written, errors in outcomes:
        if written is not None:
            out = entity_wire(
                t, entity, t.collection(entity)[written[id_field]], full_contact=False, unitdp=unitdp
            )
            if not summarize:
                out["StatusAttributeString"] = "OK"
        else:
            out = {
                **_echo(element),
                "HasErrors": True,
                "StatusAttributeString": "ERROR",
                "ValidationErrors": [{"Message": m} for m in errors],
            }
        items.append(out)
    return json_response(call.envelope(call.resource, items))


def _echo(element: Any) -> dict[str, Any]:
    if isinstance(element, dict):
        return {k: v for k, v in element.items() if isinstance(k, str)}
    return {}


def _existing(
    t: TenantState, entity: str, id_field: str, element: Mapping[str, Any], method: str
) -> tuple[bool, Record | None]:
    """(id given, record to update) for an element; raises when an explicit id is unknown or misused."""
    collection = t.collection(entity)
    given = element.get(id_field)
    if given:
        rec = collection.get(str(given).lower())
        if method == "PUT":
            if rec is not None:
                raise ValidationFailed(
                    f"A {entity} with {id_field} '{given}' already exists; use POST to update it."
                )
            raise ValidationFailed(f"{id_field} cannot be set when creating a {entity}.")
        if rec is None:
            raise ValidationFailed(f"{entity} with {id_field} '{given}' could not be found.")
        return True, rec
    if method != "POST":
        return False, None
    if entity == "Contact" and element.get("Name"):
        holder = t.active_contact_names.get(str(element["Name"]).strip().upper())
        return False, collection.get(holder) if holder else None
    if entity == "Item" and element.get("Code"):
        return False, t.item_by_code(str(element["Code"]))
    if entity == "Invoice" and element.get("InvoiceNumber"):
        holder = t.invoice_numbers.get(str(element["InvoiceNumber"]).upper())
        return False, collection.get(holder) if holder else None
    return False, None


def _write_element(
    em: XeroEmulator,
    ctx: WriteContext,
    entity: str,
    id_field: str,
    element: dict[str, Any],
    method: str,
) -> Record:
    ledger = em.ledger
    if entity == "TaxRate":
        # Keyed by TaxType, which a PUT may not choose: the tax module finds the rate itself.
        return taxes.write_tax_rate(ctx.tenant, ctx.journal, element, method)
    if entity == "Currency":
        if method != "PUT":
            raise ValidationFailed("Currencies are added with PUT and cannot be changed.")
        return organisation.add_currency(ctx.tenant, ctx.journal, element)
    _, existing = _existing(ctx.tenant, entity, id_field, element, method)
    if entity == "Payment":
        if existing is not None and existing.get("CreditNote"):
            return credits.delete_refund(ctx, existing, element)
        if existing is not None:
            return ledger.update_payment(ctx, existing, element)
        if isinstance(element.get("CreditNote"), Mapping):
            return credits.refund(ledger, ctx, element)
        return ledger.create_payment(ctx, element)
    if entity == "Account":
        if method == "PUT" and len(ctx.tenant.accounts) and existing is None and element.get("AccountID"):
            raise ValidationFailed("AccountID cannot be set when creating an Account.")
        return chart.write_account(em.ids, ctx, element, existing)
    if entity == "ManualJournal":
        return chart.write_manual_journal(em.ids, ctx, element, existing)
    if entity == "CreditNote":
        return credits.write_credit_note(ledger, ctx, element, existing)
    if entity == "BankTransaction":
        return bank.write_bank_transaction(ledger, ctx, element, existing)
    writers: dict[str, Callable[[WriteContext, Mapping[str, Any], Record | None], Record]] = {
        "Invoice": ledger.write_invoice,
        "Contact": ledger.write_contact,
        "Item": ledger.write_item,
    }
    return writers[entity](ctx, element, existing)


async def _allocations(call: ApiRequest, credit_id: str, allocation_id: str | None) -> Response:
    """``PUT /CreditNotes/{id}/Allocations`` and ``DELETE /CreditNotes/{id}/Allocations/{AllocationID}``."""
    credit = _find(call, "CreditNote", credit_id)
    method = call.request.method
    if credit is None:
        return not_found(call.em.options.not_found_body)
    t = call.tenant
    if method == "DELETE" and allocation_id:
        journal = Journal()
        removed = credits.remove_allocation(
            WriteContext(t, journal, call.em.clock.now()), credit, allocation_id
        )
        if removed is None:
            return not_found(call.em.options.not_found_body)
        call.em.publish(journal.events)
        return json_response(call.envelope("Allocations", [{**wire(removed), "IsDeleted": True}]))
    if method != "PUT" or allocation_id is not None:
        return problem(405, "Method Not Allowed", f"{method} is not supported here")

    def run(call: ApiRequest, elements: list[Any], _: str | None) -> Response:
        journal = Journal()
        ctx = WriteContext(t, journal, call.em.clock.now())

        def work() -> list[dict[str, Any]]:
            out = []
            given: list[Any] = []
            for element in elements:  # {"Allocations": [...]} or one bare allocation
                wrapped = isinstance(element, dict) and "Allocations" in element and "Invoice" not in element
                given += list(element["Allocations"] or []) if wrapped else [element]
            for element in given:
                if not isinstance(element, dict):
                    raise ValidationFailed("Each element must be an Allocation object.")
                current = t.credit_notes[credit["CreditNoteID"]]
                allocation = credits.allocate(call.em.ledger, ctx, current, element)
                out.append({**wire(allocation), "CreditNote": {"CreditNoteID": credit["CreditNoteID"]}})
            return out

        response = _answer(call, "Allocations", journal, work)
        if response.status_code == 200:
            call.em.publish(journal.events)
        return response

    return await _write(call, None, run)


def _delete(call: ApiRequest, record_id: str) -> Response:
    """``DELETE /Accounts/{id}`` (answers the account, ``Status: DELETED``) and ``DELETE /Items/{id}``
    (204, no body)."""
    entity, id_field = RESOURCES[call.resource]
    target = _find(call, entity, record_id)
    if target is None:
        return not_found(call.em.options.not_found_body)
    t = call.tenant
    journal = Journal()
    ctx = WriteContext(t, journal, call.em.clock.now())
    try:
        if entity == "Account":
            deleted = chart.delete_account(ctx, target)
        else:
            deleted = call.em.ledger.delete_item(ctx, target)
    except ValidationFailed as exc:
        journal.rollback()
        return json_response(
            validation_body(
                [{id_field: target[id_field], "ValidationErrors": [{"Message": m} for m in exc.messages]}]
            ),
            400,
        )
    if entity == "Item":
        return Response(status_code=204)
    return json_response(call.envelope(call.resource, [entity_wire(t, entity, deleted)]))


# ------------------------------------------------------------------------------------- tracking categories
def _answer(
    call: ApiRequest, key: str, journal: Journal, work: Callable[[], list[dict[str, Any]]]
) -> Response:
    """Run ``work`` (tracking changes) all or nothing: a refusal undoes it and answers 400."""
    try:
        items = work()
    except ValidationFailed as exc:
        journal.rollback()
        return json_response(
            validation_body([{"ValidationErrors": [{"Message": m} for m in exc.messages]}]), 400
        )
    return json_response(call.envelope(key, items))


def _write_categories(call: ApiRequest, elements: list[Any], record_id: str | None) -> Response:
    t, em = call.tenant, call.em
    journal = Journal()
    limits = em.ledger.tracking_limits

    def work() -> list[dict[str, Any]]:
        out = []
        for element in elements:
            if not isinstance(element, dict):
                raise ValidationFailed("Each element must be a TrackingCategory object.")
            target_id = record_id or element.get("TrackingCategoryID")
            if target_id and call.request.method == "POST":
                category = _find(call, "TrackingCategory", str(target_id))
                if category is None:
                    raise ValidationFailed(f"Tracking category '{target_id}' could not be found.")
                written = tracking.update_category(t, journal, category, element, limits)
            elif call.request.method == "PUT" or not target_id:
                written = tracking.create_category(t, journal, em.ids, element, limits)
            else:
                raise ValidationFailed("Tracking categories are created with PUT.")
            out.append(category_wire(written))
        return out

    if record_id is not None and _find(call, "TrackingCategory", record_id) is None:
        return not_found(em.options.not_found_body)
    return _answer(call, "TrackingCategories", journal, work)


def _delete_category(call: ApiRequest, record_id: str | None) -> Response:
    category = _find(call, "TrackingCategory", record_id) if record_id else None
    if category is None:
        return not_found(call.em.options.not_found_body)
    journal = Journal()
    return _answer(
        call,
        "TrackingCategories",
        journal,
        lambda: [category_wire(tracking.delete_category(call.tenant, journal, category))],
    )


async def _options(call: ApiRequest, category_id: str, option_id: str | None) -> Response:
    category = _find(call, "TrackingCategory", category_id)
    method = call.request.method
    if category is None:
        return not_found(call.em.options.not_found_body)
    if method == "GET" or (method == "PUT") == (option_id is not None):
        return problem(405, "Method Not Allowed", f"{method} is not supported here")
    if method == "DELETE":
        assert option_id is not None
        journal = Journal()
        deleted = tracking.change_option(call.tenant, journal, category, option_id, None)
        if deleted is None:
            return not_found(call.em.options.not_found_body)
        return json_response(call.envelope("Options", [option_wire(deleted)]))

    def run(call: ApiRequest, elements: list[Any], _: str | None) -> Response:
        journal = Journal()

        def work() -> list[dict[str, Any]]:
            out = []
            current = category
            given: list[Any] = []
            for element in elements:  # {"Name": ...} or {"Options": [{"Name": ...}, ...]}
                wrapped = isinstance(element, dict) and "Name" not in element and "Options" in element
                given += list(element["Options"] or []) if wrapped else [element]
            for element in given:
                if not isinstance(element, dict):
                    raise ValidationFailed("Each element must be a TrackingOption object.")
                if option_id is None:
                    out.append(
                        option_wire(tracking.add_option(call.tenant, journal, call.em.ids, current, element))
                    )
                else:
                    changed = tracking.change_option(call.tenant, journal, current, option_id, element)
                    if changed is None:
                        raise ValidationFailed(f"Tracking option '{option_id}' could not be found.")
                    out.append(option_wire(changed))
                current = call.tenant.tracking_categories[current["TrackingCategoryID"]]
            return out

        return _answer(call, "Options", journal, work)

    return await _write(call, None, run)
