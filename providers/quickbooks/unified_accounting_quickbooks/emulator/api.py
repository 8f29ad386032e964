"""The Accounting API under ``/v3/company/{realmId}/``: reads, writes, query, batch and CDC.

Every call passes, in order: bearer-token check (401 gateway body; 403 AuthorizationFault 3100 for a
token of another company), the throttles (429 with the XML body), injected faults, the configured
latency, then the operation. ``requestid`` on a POST makes it idempotent within the company: a repeat
returns the stored first answer without running again (even if the object was deleted since).

Batch: at most ``batch_max_items`` (30) items, run serially; the answer is HTTP 200 even when items
fault. Exceeding the item limit is answered 400 with a ValidationFault (exact real code UNVERIFIED).

CDC: ``entities`` and ``changedSince`` are required; ``changedSince`` may not be older than
``cdc_max_age_days`` (30; exact real fault UNVERIFIED); changed and deleted objects are returned
oldest first, at most ``cdc_max_objects`` (1000) in total. Responses are JSON only (no XML).
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from urllib.parse import unquote

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from . import attachments, faults, jsonutil, lists, reports
from .clock import parse_datetime
from .emulator import QuickBooksEmulator
from .entities import Ledger, entity_name
from .faults import QBOFault
from .query import QueryResult
from .state import ENTITIES, RealmState, StoredResponse

JSON = "application/json"
#: Entities Change Data Capture does not cover (Intuit's exclusion list is not fully readable:
#: tax codes, rates and agencies and the company's settings are believed to be on it, UNVERIFIED).
NOT_IN_CDC = frozenset({"CompanyInfo", "Preferences", "TaxCode", "TaxRate", "TaxAgency"})


def json_response(body: str | bytes, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(body, status_code=status, media_type=JSON, headers=headers)


def _time(emulator: QuickBooksEmulator) -> str:
    return emulator.clock.qbo_ms(emulator.clock.now())


def fault_response(emulator: QuickBooksEmulator, fault: QBOFault) -> Response:
    return json_response(jsonutil.dumps(faults.fault_body(fault, _time(emulator))), fault.status)


def throttle_response(emulator: QuickBooksEmulator) -> Response:
    return faults.throttle_response(_time(emulator), emulator.options.retry_after_s)


def query_page_json(result: QueryResult, time: str) -> str:
    """Serialise a query answer from the records' cached JSON (no copy of the table)."""
    if result.count:
        return f'{{"QueryResponse":{{"totalCount":{result.total}}},"time":"{time}"}}'
    if not result.rows:
        return (
            f'{{"QueryResponse":{{"startPosition":{result.start_position},"maxResults":0}},"time":"{time}"}}'
        )
    rows = ",".join(record.json() for record in result.rows)
    return (
        f'{{"QueryResponse":{{"{result.entity}":[{rows}],"startPosition":{result.start_position},'
        f'"maxResults":{len(result.rows)}}},"time":"{time}"}}'
    )


def query_page_dict(result: QueryResult) -> dict[str, Any]:
    if result.count:
        return {"totalCount": result.total}
    body: dict[str, Any] = {}
    if result.rows:
        body[result.entity] = [record.data for record in result.rows]
    body["startPosition"] = result.start_position
    body["maxResults"] = len(result.rows)
    return body


async def company_api(request: Request) -> Response:
    emulator: QuickBooksEmulator = request.app.state.emulator
    realm_id = request.path_params["realm_id"]
    now = emulator.clock.now()
    token = emulator.oauth.check_bearer(request.headers.get("authorization"), now)
    if token is None:
        body = faults.gateway_auth_body(int(now.timestamp() * 1000))
        return json_response(jsonutil.dumps(body), 401)
    if token.data != realm_id or realm_id not in emulator.realms:
        return json_response(jsonutil.dumps(faults.authorization_body(_time(emulator))), 403)
    parts = _segments(request)
    is_batch = len(parts) == 1 and parts[0].lower() == "batch"
    if emulator.limiter.admit(realm_id, now, batch=is_batch) is not None:
        return throttle_response(emulator)
    try:
        fault = emulator.faults.take(request.url.path)
        if fault is not None:
            failed = await emulator.inject(fault, request.scope)
            if failed is not None:
                return failed
        await emulator.clock.sleep(emulator.options.latency_ms / 1000)
        realm = emulator.realms[realm_id]
        try:
            if request.method == "GET":
                return await _get(emulator, realm, parts, request)
            return await _post(emulator, realm, parts, request)
        except QBOFault as fault:
            return fault_response(emulator, fault)
    finally:
        emulator.limiter.release(realm_id)


def _segments(request: Request) -> list[str]:
    """The path after ``/v3/company/{realmId}/``, split on the raw path: an encoded ``/`` (``%2F``)
    stays inside its segment, as it does for a server that routes before decoding."""
    raw = request.scope.get("raw_path")
    match = _AFTER_REALM.search(raw) if isinstance(raw, bytes) else None
    if match is None:
        return [part for part in request.path_params["rest"].split("/") if part]
    return [unquote(part.decode("latin-1")) for part in match.group(1).split(b"/") if part]


_AFTER_REALM = re.compile(rb"/v3/company/[^/]+/(.*)$")


def _unsupported(parts: list[str]) -> QBOFault:
    return faults.invalid_property(f"Unsupported resource /{'/'.join(parts)} (not emulated)")


async def _get(
    emulator: QuickBooksEmulator, realm: RealmState, parts: list[str], request: Request
) -> Response:
    if len(parts) == 1 and parts[0].lower() == "query":
        text = request.query_params.get("query")
        if not text:
            raise faults.query_parser("The query parameter is missing")
        return _query(emulator, realm, text)
    if len(parts) == 1 and parts[0].lower() == "cdc":
        return _cdc(emulator, realm, request)
    if len(parts) == 1 and parts[0].lower() == "preferences":
        record = emulator.ledger(realm.realm_id).read("Preferences", "1")
        return json_response(f'{{"Preferences":{record.json()},"time":"{_time(emulator)}"}}')
    if len(parts) == 1 and parts[0].lower() == "exchangerate":
        found = lists.exchange_rate(
            emulator.ledger(realm.realm_id),
            request.query_params.get("sourcecurrencycode"),
            request.query_params.get("asofdate"),
        )
        return json_response(jsonutil.dumps({"ExchangeRate": found, "time": _time(emulator)}))
    if len(parts) == 2 and parts[0].lower() == "download":
        ledger = emulator.ledger(realm.realm_id)
        link = attachments.download_link(ledger, parts[1], str(request.base_url), emulator.download_links)
        return Response(link, media_type="text/plain")
    if len(parts) == 3 and parts[0].lower() in attachments.PDF_ENTITIES and parts[2].lower() == "pdf":
        document = attachments.document_pdf_of(emulator.ledger(realm.realm_id), parts[0].lower(), parts[1])
        return Response(document, media_type="application/pdf")
    if len(parts) == 2 and parts[0].lower() == "reports":
        ledger = emulator.ledger(realm.realm_id)
        return json_response(jsonutil.dumps(reports.report(ledger, parts[1], request.query_params)))
    if len(parts) == 2:
        entity = entity_name(parts[0])
        if entity is None:
            raise _unsupported(parts)
        record = emulator.ledger(realm.realm_id).read(entity, parts[1])
        return json_response(f'{{"{entity}":{record.json()},"time":"{_time(emulator)}"}}')
    raise _unsupported(parts)


def _query(emulator: QuickBooksEmulator, realm: RealmState, text: str) -> Response:
    result = emulator.query_engine.run(text, realm.tables)
    return json_response(query_page_json(result, _time(emulator)))


async def _post(
    emulator: QuickBooksEmulator, realm: RealmState, parts: list[str], request: Request
) -> Response:
    if len(parts) == 1 and parts[0].lower() == "query":
        text = (await request.body()).decode("utf-8", "replace")
        if not text.strip():
            text = request.query_params.get("query", "")
        return _query(emulator, realm, text)
    request_id = request.query_params.get("requestid")
    if request_id is not None:
        if not request_id or len(request_id) > 50:
            raise faults.invalid_property("requestid must be 1 to 50 characters", "requestid")
        stored = realm.request_ids.get(request_id)
        if stored is not None:
            emulator.replayed += 1
            return Response(stored.body, status_code=stored.status, media_type=stored.media_type)
    try:
        response = await _write(emulator, realm, parts, request)
    except QBOFault as fault:
        response = fault_response(emulator, fault)
    if request_id is not None:
        realm.request_ids[request_id] = StoredResponse(response.status_code, bytes(response.body), JSON)
    return response


async def _body(request: Request) -> Any:
    raw = await request.body()
    if not raw.strip():
        raise faults.request_parse("the request body is empty")
    try:
        return jsonutil.loads(raw)
    except ValueError as error:
        raise faults.request_parse(str(error)) from None


async def _write(
    emulator: QuickBooksEmulator, realm: RealmState, parts: list[str], request: Request
) -> Response:
    ledger = emulator.ledger(realm.realm_id)
    if len(parts) == 1 and parts[0].lower() == "batch":
        body = await _body(request)
        return json_response(jsonutil.dumps(_batch(emulator, realm, ledger, body)))
    if [part.lower() for part in parts] == ["taxservice", "taxcode"]:
        return json_response(jsonutil.dumps(lists.create_tax_code(ledger, await _body(request))))
    if len(parts) == 1 and parts[0].lower() == "exchangerate":
        answer = lists.set_exchange_rate(ledger, await _body(request))
        return json_response(jsonutil.dumps({**answer, "time": _time(emulator)}))
    if len(parts) == 1 and parts[0].lower() == "upload":
        return json_response(
            jsonutil.dumps({**await _upload(emulator, ledger, request), "time": _time(emulator)})
        )
    if len(parts) == 3 and parts[0].lower() == "invoice" and parts[2].lower() == "send":
        record = ledger.send(parts[1], request.query_params.get("sendTo"))
        return json_response(f'{{"Invoice":{record.json()},"time":"{_time(emulator)}"}}')
    if len(parts) == 1:
        entity = entity_name(parts[0])
        if entity is None:
            raise _unsupported(parts)
        body = await _body(request)
        operation = request.query_params.get("operation", "create")
        result = ledger.write(entity, operation, body, include=request.query_params.get("include"))
        result["time"] = _time(emulator)
        return json_response(jsonutil.dumps(result))
    raise _unsupported(parts)


async def _upload(emulator: QuickBooksEmulator, ledger: Ledger, request: Request) -> dict[str, Any]:
    declared = int(request.headers.get("content-length") or 0)
    if declared > attachments.MAX_UPLOAD_BYTES + 64 * 1024:
        raise _too_large()
    if not (request.headers.get("content-type") or "").lower().startswith("multipart/form-data"):
        raise faults.request_parse("an upload is multipart/form-data")
    async with request.form(max_part_size=attachments.MAX_UPLOAD_BYTES + 1) as form:
        sizes = 0
        for value in form.values():
            if not isinstance(value, str):
                sizes += value.size or 0
        if sizes > attachments.MAX_UPLOAD_BYTES:
            raise _too_large()
        return await attachments.upload(ledger, form, str(request.base_url), emulator.download_links)


def _too_large() -> QBOFault:
    return QBOFault(
        attachments.UPLOAD_TOO_LARGE,
        "Upload size exceeded",
        f"The upload is larger than the {attachments.MAX_UPLOAD_BYTES // 1_000_000} MB allowed",
    )


def _batch(emulator: QuickBooksEmulator, realm: RealmState, ledger: Ledger, body: Any) -> dict[str, Any]:
    items = body.get("BatchItemRequest") if isinstance(body, dict) else None
    if not isinstance(items, list):
        raise faults.required("BatchItemRequest")
    limit = emulator.options.batch_max_items
    if len(items) > limit:
        raise faults.business(
            f"The batch contains {len(items)} items; at most {limit} are allowed.", "BatchItemRequest"
        )
    answers: list[dict[str, Any]] = []
    for item in items:
        bid = item.get("bId") if isinstance(item, dict) else None
        answer: dict[str, Any] = {"bId": bid}
        try:
            if not isinstance(item, dict):
                raise faults.request_parse("each BatchItemRequest must be an object")
            if "Query" in item:
                result = emulator.query_engine.run(str(item["Query"]), realm.tables)
                answer["QueryResponse"] = query_page_dict(result)
            else:
                keys = [key for key in item if key in ENTITIES]
                if len(keys) != 1:
                    raise faults.invalid_property("a batch item needs exactly one entity object or a Query")
                operation = str(item.get("operation") or "create")
                include = (
                    "void" if str(item.get("options") or item.get("optionsData") or "") == "void" else None
                )
                answer.update(ledger.write(keys[0], operation, item[keys[0]], include=include))
        except QBOFault as fault:
            answer["Fault"] = fault.fault()
        answers.append(answer)
    return {"BatchItemResponse": answers, "time": _time(emulator)}


def _cdc(emulator: QuickBooksEmulator, realm: RealmState, request: Request) -> Response:
    entities_param = request.query_params.get("entities")
    changed_param = request.query_params.get("changedSince")
    if not entities_param:
        raise faults.required("entities")
    if not changed_param:
        raise faults.required("changedSince")
    names: list[str] = []
    for raw in entities_param.split(","):
        if not raw.strip():
            continue
        name = entity_name(raw.strip())
        if name is None or name in NOT_IN_CDC:
            raise faults.invalid_property(f"Entity {raw.strip()} is not supported by CDC", "entities")
        if name not in names:
            names.append(name)
    try:
        since = parse_datetime(changed_param, emulator.clock.tz)
    except ValueError:
        raise faults.invalid_property(
            f"changedSince {changed_param!r} is not a valid datetime", "changedSince"
        ) from None
    now = emulator.clock.now()
    if since < now - timedelta(days=emulator.options.cdc_max_age_days):
        raise faults.invalid_property(
            f"changedSince cannot be more than {emulator.options.cdc_max_age_days} days ago", "changedSince"
        )
    remaining = emulator.options.cdc_max_objects
    responses: list[str] = []
    for name in names:
        table = realm.table(name)
        changed: list[tuple[Any, int, str]] = []
        for record in table.rows.values():
            if record.updated >= since:
                changed.append((record.updated, int(record.id), record.json()))
        for tomb in table.tombstones.values():
            if tomb.deleted >= since:
                deleted = {
                    "domain": "QBO",
                    "status": "Deleted",
                    "Id": tomb.id,
                    "MetaData": {"LastUpdatedTime": tomb.last_updated},
                }
                changed.append((tomb.deleted, int(tomb.id), jsonutil.dumps(deleted)))
        changed.sort(key=lambda entry: (entry[0], entry[1]))
        chosen = changed[: max(remaining, 0)]
        remaining -= len(chosen)
        if chosen:
            rows = ",".join(entry[2] for entry in chosen)
            responses.append(f'{{"{name}":[{rows}],"startPosition":1,"maxResults":{len(chosen)}}}')
        else:
            responses.append('{"startPosition":1,"maxResults":0}')
    body = f'{{"CDCResponse":[{{"QueryResponse":[{",".join(responses)}]}}],"time":"{_time(emulator)}"}}'
    return json_response(body)


async def linked_file(request: Request) -> Response:
    """A download link (``/download/{id}``, ``TempDownloadUri``): served without a token while it
    lasts, like a signed URL; afterwards 403, as a storage service answers an expired signature."""
    emulator: QuickBooksEmulator = request.app.state.emulator
    found = attachments.linked_file(
        emulator.ledger, emulator.download_links, request.path_params["token"], emulator.clock.now()
    )
    if found is None:
        return Response("Request has expired", status_code=403, media_type="text/plain")
    kind, content = found
    return Response(content, media_type=kind)


routes = [
    Route("/v3/company/{realm_id}/{rest:path}", company_api, methods=["GET", "POST"]),
    Route("/qbo-files/{token}", linked_file, methods=["GET"]),
]
