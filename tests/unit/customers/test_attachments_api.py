"""Attachments through the API on SQLite: multipart upload to the account or an interaction, the
type catalogue with "Not in CRM" listed but refused, size and content type told from the bytes,
the SHA-256 kept, downloads streamed and only to whoever reaches the card (and the interaction)."""
from __future__ import annotations

import dataclasses
import hashlib
import io
import uuid
import zipfile

import pytest

from services.customers.attachments.sniffing import DOCX, XLSX
from tests.conftest import make_principal
from tests.unit.customers.conftest import BRANCH_A, BRANCH_B, DEPT_A, DEPT_B

PDF_BYTES = b"%PDF-1.7\n" + b"1 0 obj << /Type /Catalog >> endobj\n" * 2000 + b"%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
PROSPECT = str(uuid.UUID(int=0))


def office(kind: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml" if kind == "docx" else "xl/workbook.xml", "<x/>")
    return buffer.getvalue()


@pytest.fixture
def types(client, admin) -> dict:
    return {t["name"]: t for t in client.get("/api/v1/customers/attachment-types", headers=admin[1]).get_json()["items"]}


@pytest.fixture
def upload(client, admin, types):
    def send(customer_id, content: bytes, *, name="paper.pdf", type_name="Registration papers", headers=None, **form):
        data = {"type_id": types[type_name]["id"] if type_name in types else type_name,
                "file": (io.BytesIO(content), name)} | form
        return client.post(f"/api/v1/customers/{customer_id}/attachments", headers=headers or admin[1], data=data,
                           content_type="multipart/form-data")
    return send


def stored_files(app) -> list:
    root = app.extensions["customers"].attachments_dir
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_not_in_crm_is_listed_but_cannot_be_chosen(types, upload, make_customer, app):
    assert types["Not in CRM"]["is_selectable"] is False
    assert {"Registration papers", "Power of attorney"} <= set(types)
    response = upload(make_customer()["id"], PDF_BYTES, type_name="Not in CRM")
    assert response.status_code == 422
    assert response.get_json()["errors"] == {"type_id": ["\"Not in CRM\" cannot be chosen for a file."]}
    assert stored_files(app) == []


def test_a_file_on_the_account_is_stored_with_its_checksum_and_streams_back(client, admin, upload, make_customer):
    customer = make_customer()
    response = upload(customer["id"], PDF_BYTES, name="../../scans/registro mercantil.pdf",
                      description="Cámara de comercio")
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert (body["filename"], body["content_type"], body["size_bytes"], body["sha256"], body["interaction_id"]) == (
        "registro mercantil.pdf", "application/pdf", len(PDF_BYTES), hashlib.sha256(PDF_BYTES).hexdigest(), None)
    content = client.get(f"/api/v1/customers/{customer['id']}/attachments/{body['id']}/content", headers=admin[1])
    assert content.status_code == 200 and content.is_streamed
    assert content.get_data() == PDF_BYTES
    assert content.headers["Content-Type"] == "application/pdf"
    assert content.headers["X-Content-Type-Options"] == "nosniff"
    assert content.headers["ETag"] == f'"{body["sha256"]}"'
    assert "filename*=UTF-8''registro%20mercantil.pdf" in content.headers["Content-Disposition"]
    listed = client.get(f"/api/v1/customers/{customer['id']}/attachments", headers=admin[1]).get_json()
    assert [item["id"] for item in listed["items"]] == [body["id"]]
    assert listed["items"][0]["type_name"] == "Registration papers"


@pytest.mark.parametrize(("content", "name", "expected"), [
    (PNG_BYTES, "photo.png", "image/png"), (b"\xff\xd8\xff\xe0" + b"\x00" * 100, "scan.jpg", "image/jpeg"),
    (b"II*\x00" + b"\x00" * 100, "fax.tif", "image/tiff"), (office("docx"), "poder.docx", DOCX),
    (office("xlsx"), "tarifas.xlsx", XLSX), ("Доверенность № 5\nSí, firmado.\n".encode(), "note.txt", "text/plain"),
])
def test_the_content_type_is_told_from_the_bytes(upload, make_customer, content, name, expected):
    response = upload(make_customer()["id"], content, name="renamed.bin")
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["content_type"] == expected


@pytest.mark.parametrize("content", [
    b"MZ\x90\x00\x03" + b"\x00" * 200,                    # a Windows program named .pdf
    b"plain text with a \x00 NUL byte",
    b"\xc3\x28 not UTF-8",
    b"PK\x03\x04" + b"\x00" * 50,                        # a broken ZIP
    b"",
])
def test_a_file_of_another_kind_is_refused_whatever_its_name(upload, make_customer, app, content):
    response = upload(make_customer()["id"], content, name="contract.pdf")
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"file"}
    assert stored_files(app) == []


def test_a_zip_that_is_no_office_document_is_refused(upload, make_customer):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("evil.exe", b"MZ")
    assert upload(make_customer()["id"], buffer.getvalue(), name="x.docx").status_code == 422


def test_the_size_limit_is_counted_on_the_bytes(app, upload, make_customer):
    app.extensions["customers"] = dataclasses.replace(app.extensions["customers"], attachment_max_bytes=1000)
    customer = make_customer()
    assert upload(customer["id"], PNG_BYTES[:1000]).status_code == 201
    too_large = upload(customer["id"], PNG_BYTES[:1001])
    assert too_large.status_code == 413
    assert too_large.get_json()["errors"] == {"file": ["Larger than 1000 bytes."]}
    whole_body = upload(customer["id"], PNG_BYTES * 100)
    assert whole_body.status_code == 413
    assert len(stored_files(app)) == 1


def test_files_on_an_interaction_and_every_reference_resolved_on_the_card(client, admin, upload, make_customer):
    customer, other = make_customer(), make_customer()
    interaction = client.post(f"/api/v1/customers/{customer['id']}/interactions", headers=admin[1],
                              json={"direction": "inbound", "channel": "office_visit"}).get_json()
    foreign = client.post(f"/api/v1/customers/{other['id']}/interactions", headers=admin[1],
                          json={"direction": "inbound", "channel": "office_visit"}).get_json()
    on_interaction = upload(customer["id"], PDF_BYTES, interaction_id=interaction["id"], type_name="Power of attorney")
    assert on_interaction.status_code == 201 and on_interaction.get_json()["interaction_id"] == interaction["id"]
    refused = upload(customer["id"], PDF_BYTES, interaction_id=foreign["id"], type_name=str(uuid.uuid4()))
    assert refused.status_code == 422
    assert set(refused.get_json()["errors"]) == {"interaction_id", "type_id"}
    listed = client.get(f"/api/v1/customers/{customer['id']}/attachments", headers=admin[1],
                        query_string={"interaction_id": interaction["id"]}).get_json()
    assert listed["total"] == 1
    assert client.get(f"/api/v1/customers/{customer['id']}/attachments", headers=admin[1],
                      query_string={"on_account": "true"}).get_json()["total"] == 0


def test_downloads_follow_the_card_and_the_interaction_s_reach(client, admin, upload, make_customer, headers_for):
    customer = make_customer()
    attachment = upload(customer["id"], PDF_BYTES).get_json()
    base = f"/api/v1/customers/{customer['id']}/attachments"
    outsider = headers_for(make_principal(level=2, branch_id=BRANCH_B, department_id=DEPT_A))
    for path in (base, f"{base}/{attachment['id']}", f"{base}/{attachment['id']}/content"):
        response = client.get(path, headers=outsider)
        assert response.status_code == 404 and b"%PDF" not in response.get_data()
    assert upload(customer["id"], PDF_BYTES, headers=outsider).status_code == 404

    # on the prospect "0" everyone reaches the card; an interaction's file follows the interaction's level
    agent = make_principal(level=4, branch_id=BRANCH_A, department_id=DEPT_A)
    colleague = make_principal(level=3, branch_id=BRANCH_A, department_id=DEPT_B)
    interaction = client.post(f"/api/v1/customers/{PROSPECT}/interactions", headers=headers_for(agent),
                              json={"direction": "inbound", "channel": "phone"}).get_json()
    mine = upload(PROSPECT, PDF_BYTES, headers=headers_for(agent), interaction_id=interaction["id"])
    assert mine.status_code == 201, mine.get_json()
    assert client.get(f"/api/v1/customers/{PROSPECT}/attachments/{mine.get_json()['id']}/content",
                      headers=headers_for(colleague)).status_code == 404
    assert client.get(f"/api/v1/customers/{PROSPECT}/attachments", headers=headers_for(colleague)).get_json()["total"] == 0
    assert client.get(f"/api/v1/customers/{PROSPECT}/attachments/{mine.get_json()['id']}/content",
                      headers=headers_for(agent)).get_data() == PDF_BYTES
    on_prospect_account = upload(PROSPECT, PDF_BYTES, headers=headers_for(agent))
    assert on_prospect_account.status_code == 409


def test_level_1_administers_the_types_but_not_in_crm_stays(client, admin, types, headers_for):
    created = client.post("/api/v1/customers/attachment-types", headers=admin[1], json={"name": "Utility bill"})
    assert created.status_code == 201 and created.get_json()["version"] == 1
    path = f"/api/v1/customers/attachment-types/{created.get_json()['id']}"
    assert client.patch(path, headers=admin[1], json={"name": "Electricity bill"}).status_code == 428
    assert client.patch(path, headers=admin[1] | {"If-Match": '"5"'}, json={"name": "Electricity bill"}).status_code == 412
    renamed = client.patch(path, headers=admin[1] | {"If-Match": '"1"'}, json={"name": "Electricity bill"})
    assert renamed.status_code == 200 and renamed.headers["ETag"] == '"2"'
    assert client.patch(f"/api/v1/customers/attachment-types/{types['Not in CRM']['id']}",
                        headers=admin[1] | {"If-Match": f'"{types["Not in CRM"]["version"]}"'},
                        json={"name": "Anything"}).status_code == 409
    agent = headers_for(make_principal(level=3))
    assert client.post("/api/v1/customers/attachment-types", headers=agent, json={"name": "X"}).status_code == 403


def test_papers_on_the_account_need_edit_customers_but_an_interaction_s_file_does_not(
        client, upload, make_customer, headers_for, app):
    customer = make_customer()
    front = headers_for(make_principal(level=1, branch_id=BRANCH_A, department_id=DEPT_A))  # no edit_customers
    refused = upload(customer["id"], PDF_BYTES, headers=front)
    assert refused.status_code == 403
    assert refused.get_json()["type"].endswith("edit-customers-permission-required")
    assert stored_files(app) == []
    assert client.get(f"/api/v1/customers/{customer['id']}/attachments", headers=front).get_json()["total"] == 0
    interaction = client.post(f"/api/v1/customers/{customer['id']}/interactions", headers=front,
                              json={"direction": "inbound", "channel": "office_visit"}).get_json()
    assert upload(customer["id"], PDF_BYTES, headers=front, interaction_id=interaction["id"]).status_code == 201


def test_an_upload_announces_the_file_for_the_cases_service(client, admin, upload, make_customer, outbox):
    customer = make_customer()
    interaction = client.post(f"/api/v1/customers/{customer['id']}/interactions", headers=admin[1],
                              json={"direction": "inbound", "channel": "office_visit"}).get_json()
    body = upload(customer["id"], PDF_BYTES, interaction_id=interaction["id"], name="poder.pdf",
                  type_name="Power of attorney").get_json()
    [added] = [data for key, data in outbox() if key == "attachment.added.v1"]
    assert added == {
        "id": body["id"], "customer_id": customer["id"], "interaction_id": interaction["id"],
        "interaction_branch_id": str(BRANCH_A), "interaction_department_id": str(DEPT_A),
        "interaction_agent_id": str(admin[0].user_id), "filename": "poder.pdf", "type": "Power of attorney",
        "content_type": "application/pdf", "size_bytes": len(PDF_BYTES), "sha256": hashlib.sha256(PDF_BYTES).hexdigest(),
        "uploaded_by": str(admin[0].user_id), "uploaded_at": added["uploaded_at"]}
