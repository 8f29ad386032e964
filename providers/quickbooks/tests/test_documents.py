"""Attachments (Attachable), document PDFs and raw requests on QuickBooks and its emulator."""

from __future__ import annotations

import base64
import io
import json
import os
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from pypdf import PdfReader
from unified_accounting_quickbooks.attachments import LIMITS

from unified_accounting import NotFound, ValidationFailed
from unified_accounting.emulation.pdf import pdf_problems
from unified_accounting.errors import ProviderError

from .test_api import Env, api_calls, make_env, new_customer, new_invoice

pytestmark = pytest.mark.anyio


@pytest.fixture
async def env() -> AsyncIterator[Env]:
    made = await make_env()
    yield made
    await made.client.aclose()


def emulator_http(env: Env) -> httpx.AsyncClient:
    """A plain HTTP client on the emulator, with a token of the company (for the wire's own shapes)."""
    token = env.emulator.issue_tokens(env.realm)["access_token"]
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=env.app),
        base_url=f"http://qbo.test/v3/company/{env.realm}",
        headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
    )


# ------------------------------------------------------------------------------------ attachments


async def test_a_large_file_round_trips_byte_for_byte_in_chunks(env: Env, tmp_path: Path) -> None:
    invoice = await new_invoice(env)
    content = os.urandom(3 * 1024 * 1024 + 17)
    source = tmp_path / "scan.pdf"
    source.write_bytes(content)
    attachment = await env.conn.attachments.upload(
        "invoice", str(invoice.id), source, note="Signed copy", include_online=True
    )
    assert (attachment.file_name, attachment.content_type, attachment.size) == (
        "scan.pdf",
        "application/pdf",
        len(content),
    )
    assert (attachment.resource, attachment.record_id, attachment.note) == (
        "invoice",
        invoice.id,
        "Signed copy",
    )
    assert attachment.include_online and attachment.download_url
    stored = env.emulator.record("Attachable", str(attachment.id), env.realm)
    assert stored["AttachableRef"][0]["EntityRef"] == {"type": "Invoice", "value": invoice.id}
    assert stored["AttachableRef"][0]["IncludeOnSend"] is True
    chunks = [chunk async for chunk in env.conn.attachments.download(attachment)]
    assert len(chunks) > 1, "the download arrived in one piece"
    assert b"".join(chunks) == content
    target = tmp_path / "copy.pdf"
    assert await env.conn.attachments.download_to(attachment, target) == len(content)
    assert target.read_bytes() == content


async def test_the_upload_is_intuits_multipart_with_a_requestid(env: Env) -> None:
    invoice = await new_invoice(env)
    env.emulator.fail_next(1, status=503)
    attachment = await env.conn.attachments.upload(
        "invoice", str(invoice.id), b"a,b\n1,2\n", file_name="t.csv"
    )
    uploads = [entry for entry in api_calls(env) if entry.path.endswith("/upload")]
    assert [entry.status for entry in uploads] == [503, 200]
    assert uploads[0].query["requestid"] == uploads[1].query["requestid"]
    assert env.emulator.count("Attachable", env.realm) == 1
    assert attachment.content_type == "text/csv"


async def test_list_finds_the_files_of_one_record_only(env: Env) -> None:
    first, second = await new_invoice(env), await new_invoice(env)
    one = await env.conn.attachments.upload("invoice", str(first.id), b"1", file_name="one.txt")
    two = await env.conn.attachments.upload("invoice", str(first.id), b"22", file_name="two.txt")
    await env.conn.attachments.upload("invoice", str(second.id), b"333", file_name="other.txt")
    listed = await env.conn.attachments.list("invoice", str(first.id))
    assert [(a.id, a.file_name, a.size) for a in listed] == [(one.id, "one.txt", 1), (two.id, "two.txt", 2)]
    (query,) = [entry.query["query"] for entry in api_calls(env) if entry.path.endswith("/query")][-1:]
    assert "AttachableRef.EntityRef.value = " in query and "AttachableRef.EntityRef.Type = 'Invoice'" in query
    assert await env.conn.attachments.list("bill", str(first.id)) == []


async def test_delete_sends_the_whole_object_and_removes_the_bytes(env: Env) -> None:
    invoice = await new_invoice(env)
    attachment = await env.conn.attachments.upload("invoice", str(invoice.id), b"x" * 10, file_name="a.txt")
    await env.conn.attachments.delete(attachment)
    assert await env.conn.attachments.list("invoice", str(invoice.id)) == []
    (deleted,) = [e for e in api_calls(env) if e.path.endswith("/attachable") and e.method == "POST"]
    assert deleted.query["operation"] == "delete"
    with pytest.raises(NotFound):
        [chunk async for chunk in env.conn.attachments.download(attachment)]


async def test_a_fresh_link_is_asked_for_each_download(env: Env) -> None:
    invoice = await new_invoice(env)
    attachment = await env.conn.attachments.upload("invoice", str(invoice.id), b"receipt", file_name="r.png")
    assert attachment.download_url is not None
    env.emulator.advance(16 * 60)  # TempDownloadUri lasts 15 minutes
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=env.app)) as plain:
        expired = await plain.get(attachment.download_url)
    assert expired.status_code == 403
    assert b"".join([c async for c in env.conn.attachments.download(attachment)]) == b"receipt"


async def test_limits_are_intuits(env: Env) -> None:
    assert LIMITS.max_bytes == 100_000_000 and LIMITS.max_per_record is None
    assert LIMITS.content_types is not None and "application/pdf" in LIMITS.content_types
    assert {"invoice", "bill", "expense", "credit_note", "journal_entry"} <= LIMITS.resources
    env.emulator.request_log.clear()
    with pytest.raises(ValidationFailed) as caught:
        await env.conn.attachments.upload("invoice", "1", b"MZ", file_name="setup.exe")
    assert [issue.field for issue in caught.value.issues] == ["content_type"]
    assert api_calls(env) == []


async def test_the_emulator_takes_base64_parts_and_reports_a_refused_file_next_to_it(env: Env) -> None:
    invoice = await new_invoice(env)

    def described(file_name: str, kind: str) -> str:
        ref = {"EntityRef": {"type": "Invoice", "value": invoice.id}}
        return json.dumps({"AttachableRef": [ref], "FileName": file_name, "ContentType": kind})

    meta, bad = described("n.txt", "text/plain"), described("x.exe", "application/x-msdownload")
    boundary = "b0undary"
    parts = []
    for suffix, metadata, content, extra in (
        ("01", meta, base64.b64encode(b"hello"), "Content-Transfer-Encoding: base64\r\n"),
        ("02", bad, b"MZ", ""),
    ):
        disposition = f'form-data; name="file_metadata_{suffix}"; filename="a.json"'
        parts.append(
            f"--{boundary}\r\nContent-Disposition: {disposition}\r\n"
            f"Content-Type: application/json\r\n\r\n{metadata}\r\n".encode()
        )
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="file_content_{suffix}"; filename="f"\r\n'
            f"Content-Type: text/plain\r\n{extra}\r\n".encode()
            + content
            + b"\r\n"
        )
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    async with emulator_http(env) as http:
        answer = await http.post(
            "/upload", content=body, headers={"Content-Type": f"multipart/form-data; boundary={boundary}"}
        )
        assert answer.status_code == 200
        first, second = answer.json()["AttachableResponse"]
        assert first["Attachable"]["Size"] == 5 and "Fault" in second
        link = (await http.get(f"/download/{first['Attachable']['Id']}")).text
        assert (await http.get(link)).content == b"hello"
        found = await http.get(
            "/query",
            params={
                "query": f"select * from attachable where AttachableRef.EntityRef.value = '{invoice.id}'"
            },
        )
        assert [row["Id"] for row in found.json()["QueryResponse"]["Attachable"]] == [
            first["Attachable"]["Id"]
        ]


async def test_a_note_only_attachable_is_listed_with_its_note(env: Env) -> None:
    invoice = await new_invoice(env)
    async with emulator_http(env) as http:
        made = await http.post(
            "/attachable",
            json={
                "Note": "Call before delivery",
                "AttachableRef": [{"EntityRef": {"type": "Invoice", "value": invoice.id}}],
            },
        )
        assert made.status_code == 200, made.text
        refused = await http.post(
            "/attachable",
            json={"Note": "x", "AttachableRef": [{"EntityRef": {"type": "TaxCode", "value": "2"}}]},
        )
        assert refused.status_code == 400 and refused.json()["Fault"]["Error"][0]["code"] == "6050"
    (note,) = await env.conn.attachments.list("invoice", str(invoice.id))
    assert note.note == "Call before delivery" and note.file_name == "" and note.size is None


# -------------------------------------------------------------------------------------------- PDFs


async def test_invoice_and_credit_memo_pdfs_open_as_pdfs(env: Env) -> None:
    invoice = await new_invoice(env, "42.00")
    document = await env.conn.invoices.pdf(str(invoice.id))
    assert pdf_problems(document) == []
    assert b"Invoice " in document and b"42.00" in document
    page = PdfReader(io.BytesIO(document), strict=True).pages[0]  # a PDF reader opens it as it is
    assert "42.00" in page.extract_text()
    (call,) = [e for e in api_calls(env) if e.path.endswith("/pdf")]
    assert call.path == f"/v3/company/{env.realm}/invoice/{invoice.id}/pdf"
    customer = await new_customer(env)
    from unified_accounting import CreditNote, LineItem

    credit = await env.conn.credit_notes.create(
        CreditNote(
            customer_id=str(customer.id), line_items=[LineItem(description="Back", quantity=1, unit_price=5)]
        )
    )
    assert pdf_problems(await env.conn.credit_notes.pdf(str(credit.id))) == []
    with pytest.raises(NotFound):
        await env.conn.invoices.pdf("999999")


# ------------------------------------------------------------------------------------ raw requests


async def test_raw_reads_reach_the_company_root(env: Env) -> None:
    info = await env.conn.request("GET", f"companyinfo/{env.realm}")
    assert info.status_code == 200 and info.json()["CompanyInfo"]["Id"] == "1"
    found = await env.conn.request(
        "GET", "query", params={"query": "select * from Account where Name = 'Checking'"}
    )
    assert found.json()["QueryResponse"]["Account"][0]["Id"] == "1"
    calls = api_calls(env)
    assert all(entry.query.get("minorversion") == "75" for entry in calls)
    assert calls[0].path == f"/v3/company/{env.realm}/companyinfo/{env.realm}"


async def test_a_raw_write_carries_a_requestid_kept_across_retries(env: Env) -> None:
    env.emulator.fail_next(1, status=500)
    made = await env.conn.request("POST", "customer", json={"DisplayName": "Raw Customer"})
    assert made.json()["Customer"]["DisplayName"] == "Raw Customer"
    posts = [entry for entry in api_calls(env) if entry.method == "POST"]
    assert [entry.status for entry in posts] == [500, 200]
    assert posts[0].query["requestid"] and posts[0].query["requestid"] == posts[1].query["requestid"]
    assert env.emulator.count("Customer", env.realm) == 1
    again = await env.conn.request(
        "POST", "customer", params={"requestid": "mine-1"}, json={"DisplayName": "Once"}
    )
    replay = await env.conn.request(
        "POST", "customer", params={"requestid": "mine-1"}, json={"DisplayName": "Once"}
    )
    assert again.json()["Customer"]["Id"] == replay.json()["Customer"]["Id"]
    with pytest.raises(ValidationFailed):
        await env.conn.request("POST", "customer", params={"requestid": "x" * 51}, json={})


async def test_raw_paths_cannot_leave_the_company(env: Env) -> None:
    env.emulator.request_log.clear()
    for path in (
        "../9130000000000000/companyinfo/1",
        "companyinfo/%2e%2e/x",
        "https://evil.example/v3",
        "//x",
    ):
        with pytest.raises(ValidationFailed) as caught:
            await env.conn.request("GET", path)
        assert [issue.field for issue in caught.value.issues] == ["path"]
    assert api_calls(env) == []
    missing = await env.conn.request("GET", "invoice/424242", raise_for_status=False)
    assert missing.status_code == 400 and "Fault" in missing.json()
    with pytest.raises(ProviderError):
        await env.conn.request("GET", "invoice/424242")
