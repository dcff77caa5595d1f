"""The region works through its checklist on the page: answers, evidence files (upload, download, remove), history."""

from __future__ import annotations

import io
import re

import pytest
from babel.dates import format_datetime
from zoneinfo import ZoneInfo

from siaga112.onboarding import service
from siaga112.platform.tenancy.context import TenantContext

from tests.test_onboarding_helpers import PDF, PNG, actor_of, fresh, person, reset_application, run, tenant_of
from tests.test_roster_pages import page, sign_in

GORONTALO, KENDARI = "75.71", "74.71"


@pytest.fixture(scope="module")
def gorontalo(database):
    tenant = tenant_of(database, GORONTALO)
    reset_application(database, tenant)
    return tenant


@pytest.fixture(scope="module")
def people(database, gorontalo):
    return {
        "admin": person(database, "regional_admin", gorontalo, "Admin Gorontalo")[0],
        "other_admin": person(database, "regional_admin", tenant_of(database, KENDARI), "Admin Kendari")[0],
        "verifier": person(database, "ministry_verifier", None, "Verifikator Gorontalo")[0],
        "monitor": person(database, "national_monitor", None, "Pemantau Gorontalo")[0],
    }


def path(tenant, rest: str = "") -> str:
    return f"/tenants/{tenant.slug}/onboarding{rest}"


def row_of(html: str, code: str) -> str:
    found = re.search(rf'<tr id="item-{code}" data-item="{code}" data-state="(\w+)">(.*?)</tr>', html, re.S)
    assert found, f"no row for {code}"
    return found.group(1) + " " + found.group(2)


def evidence_of(database, tenant, code: str):
    with database.transaction(TenantContext(tenant.id)) as session:
        return [(e.id, e.name, e.sha256) for e in service.list_evidence(session, fresh(session, tenant), code)]


def item_form(html: str, code: str) -> str:
    found = re.search(rf'<form method="post" class="item-form" [^>]*data-item-form="{code}".*?</form>', html, re.S)
    assert found, f"no form for {code}"
    return found.group(0)


def answer_of(database, tenant, code: str):
    with database.transaction(TenantContext(tenant.id)) as session:
        application = service.find_application(session, tenant.id)
        found = service.find_answer(session, application, code)
        return (found.answer, found.note) if found else None


def test_the_admin_answers_notes_and_attaches_in_one_submit(app, client, database, gorontalo, people):
    csrf = sign_in(app, client, people["admin"])
    _response, html = page(client, path(gorontalo))
    form = item_form(html, "application_letter")  # one form per declared item: answer, note and files
    assert 'action="%s"' % path(gorontalo, "/items/application_letter") in form
    assert 'enctype="multipart/form-data"' in form and 'name="answer"' in form and 'name="note"' in form
    assert 'type="file"' in form and "multiple" in form
    assert "Jawab dan lampirkan bukti" in html and "/answer" not in html

    saved = client.post(path(gorontalo, "/items/application_letter"), content_type="multipart/form-data",
                        data={"csrf_token": csrf, "answer": "yes", "note": "Surat No. 112/2026",
                              "file": [(io.BytesIO(PDF), "../dokumen/surat bupati.pdf"), (io.BytesIO(b""), "")]})
    assert saved.status_code == 302 and saved.headers["Location"].endswith("/onboarding#item-application_letter")
    assert answer_of(database, gorontalo, "application_letter") == ("yes", "Surat No. 112/2026")
    files = evidence_of(database, gorontalo, "application_letter")
    assert [name for _id, name, _sha in files] == ["surat bupati.pdf"]
    _response, html = page(client, path(gorontalo))
    row = row_of(html, "application_letter")
    assert row.startswith("ready") and "Surat No. 112/2026" in row
    # The confirmation is in the item the person was working on, which stays open; not above the page.
    assert '<p class="notice" role="status">Jawaban telah disimpan. Dilampirkan: surat bupati.pdf.</p>' in row
    assert '<details class="item-edit" open>' in row
    assert html.count('role="status"') == 1
    assert "surat bupati.pdf</a>\n" in row and f"({len(PDF)} B)" in row
    download = client.get(path(gorontalo, f"/items/application_letter/evidence/{files[0][0]}"))
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["Content-Type"] == "application/pdf" and "attachment" in download.headers[
        "Content-Disposition"]
    _response, html = page(client, path(gorontalo))  # the message was for one look
    assert "Jawaban telah disimpan." not in html and '<details class="item-edit" open>' not in row_of(
        html, "application_letter")


def test_a_refused_file_saves_nothing_and_keeps_the_note(app, client, database, gorontalo, people):
    csrf = sign_in(app, client, people["admin"])
    before = evidence_of(database, gorontalo, "regulation_112")
    refused = client.post(path(gorontalo, "/items/regulation_112"), content_type="multipart/form-data",
                          data={"csrf_token": csrf, "answer": "yes", "note": "Perbup No. 7 Tahun 2026",
                                "file": [(io.BytesIO(PDF), "perbup.pdf"),
                                         (io.BytesIO(b"just text, not a scan"), "lampiran.pdf")]})
    assert refused.status_code == 415
    html = refused.get_data(as_text=True)
    assert answer_of(database, gorontalo, "regulation_112") is None  # not the answer, not the good file either
    assert evidence_of(database, gorontalo, "regulation_112") == before
    form = item_form(html, "regulation_112")
    assert ">Perbup No. 7 Tahun 2026</textarea>" in form  # what the person wrote is still there
    assert re.search(r'value="yes" required checked', form)
    file_input = re.search(r'<input type="file" id="file-regulation_112"[^>]*>', form).group(0)
    assert 'aria-invalid="true"' in file_input and 'aria-describedby="file-regulation_112-error"' in file_input
    assert "autofocus" in file_input and html.count("autofocus") == 1  # focus on the field in error
    assert re.search(r'id="file-regulation_112-error">Isi berkas ini bukan PDF/JPEG/PNG', form)
    assert "pilih berkas itu lagi" in form  # the browser cannot keep a chosen file: said plainly
    assert '<details class="item-edit" open>' in row_of(html, "regulation_112")

    # The refused form's URL is a page: reloading it (a GET) leads back to that item, open.
    again = client.get(path(gorontalo, "/items/regulation_112"), headers={"Accept": "text/html"})
    assert again.status_code == 302
    assert again.headers["Location"].endswith("/onboarding?item=regulation_112#item-regulation_112")
    _response, html = page(client, again.headers["Location"].split("#")[0])
    assert '<details class="item-edit" open>' in row_of(html, "regulation_112") and "autofocus" not in html


def test_wrong_input_is_refused_at_its_field(app, client, database, gorontalo, people):
    csrf = sign_in(app, client, people["admin"])
    long_note = client.post(path(gorontalo, "/items/sop"), content_type="multipart/form-data",
                            data={"csrf_token": csrf, "answer": "no", "note": "x" * 4001})
    assert long_note.status_code == 422 and answer_of(database, gorontalo, "sop") is None
    form = item_form(long_note.get_data(as_text=True), "sop")
    note = re.search(r'<textarea id="note-sop"[^>]*>', form).group(0)
    assert 'aria-invalid="true"' in note and "autofocus" in note
    assert 'id="note-sop-error">Catatan harus kurang dari 4000 karakter.' in form
    assert re.search(r'value="no" checked', form)
    no_answer = client.post(path(gorontalo, "/items/sop"), content_type="multipart/form-data",
                            data={"csrf_token": csrf, "note": "Belum ada"})
    assert no_answer.status_code == 422
    form = item_form(no_answer.get_data(as_text=True), "sop")
    assert 'id="answer-sop-error">Jawab ya atau tidak.' in form and ">Belum ada</textarea>" in form
    assert re.search(r'id="answer-sop-yes"[^>]*autofocus', form)
    computed = client.post(path(gorontalo, "/items/inbound_lines"), data={"csrf_token": csrf, "answer": "yes"})
    assert computed.status_code == 409 and "dihitung dari data daerah" in computed.get_data(as_text=True)
    unknown = client.post(path(gorontalo, "/items/no_such_item"), data={"csrf_token": csrf, "answer": "yes"})
    assert unknown.status_code == 404
    no_csrf = client.post(path(gorontalo, "/items/sop"), data={"answer": "yes"})
    assert no_csrf.status_code == 400  # the CSRF guard turns it away before the view
    assert answer_of(database, gorontalo, "sop") is None


def test_the_admin_removes_a_file_after_confirming_and_the_state_follows(app, client, database, services, gorontalo,
                                                                        people):
    csrf = sign_in(app, client, people["admin"])
    client.post(path(gorontalo, "/items/sop"), content_type="multipart/form-data",
                data={"csrf_token": csrf, "answer": "yes", "file": (io.BytesIO(PNG), "sop.png")})
    [(evidence_id, name, _sha)] = evidence_of(database, gorontalo, "sop")
    assert name == "sop.png"
    _response, html = page(client, path(gorontalo))
    remove = re.search(r'<details class="confirm inline" data-confirm="remove">.*?</details>', row_of(html, "sop"),
                       re.S).group(0)  # removing asks first: the button that removes is inside the disclosure
    assert '<summary class="danger-link">Hapus</summary>' in remove
    assert '<button type="submit" class="danger">Ya, hapus sop.png</button>' in remove
    with database.transaction(TenantContext(gorontalo.id)) as session:
        key = service.get_evidence(session, fresh(session, gorontalo), "sop", evidence_id).key
    stored = services.data_dir / "files" / key
    assert stored.exists()
    removed = client.post(path(gorontalo, f"/items/sop/evidence/{evidence_id}/remove"), data={"csrf_token": csrf})
    assert removed.status_code == 302 and evidence_of(database, gorontalo, "sop") == []
    assert not stored.exists()  # the bytes go with the row
    _response, html = page(client, path(gorontalo))
    assert row_of(html, "sop").startswith("needs_evidence") and "Berkas telah dihapus." in row_of(html, "sop")
    gone = client.get(path(gorontalo, f"/items/sop/evidence/{evidence_id}"))
    assert gone.status_code == 404


def test_readers_see_files_but_cannot_change_them(app, client, database, gorontalo, people):
    [(evidence_id, _name, _sha)] = evidence_of(database, gorontalo, "application_letter")
    csrf = sign_in(app, client, people["monitor"])
    _response, html = page(client, path(gorontalo))
    assert "surat bupati.pdf" in html and "Jawab dan lampirkan bukti" not in html and "/remove" not in html
    assert client.get(path(gorontalo, f"/items/application_letter/evidence/{evidence_id}")).status_code == 200
    assert client.post(path(gorontalo, "/items/sop"),
                       data={"csrf_token": csrf, "answer": "no"}).status_code == 403
    sign_in(app, client, people["other_admin"])
    assert client.get(path(gorontalo, f"/items/application_letter/evidence/{evidence_id}")).status_code == 404


def test_once_submitted_the_region_can_no_longer_change_answers(app, client, database, gorontalo, people):
    """The ministry's request for changes is read on the page, with the note, and the forms come back."""
    verifier = actor_of(people["verifier"], "ministry_verifier")
    with database.transaction(TenantContext(gorontalo.id)) as session:  # submit without the guards: set the status
        application = service.find_application(session, gorontalo.id)
        application.status = "in_review"
    csrf = sign_in(app, client, people["admin"])
    _response, html = page(client, path(gorontalo))
    assert "Jawab dan lampirkan bukti" not in html
    refused = client.post(path(gorontalo, "/items/sop"), data={"csrf_token": csrf, "answer": "yes"})
    assert refused.status_code == 409 and "hanya dapat diubah saat permohonan berstatus Draf atau Perlu perbaikan" in refused.get_data(
        as_text=True)
    run(database, gorontalo, service.act, "request_changes", "Lampirkan SOP yang sudah ditandatangani.", verifier)
    _response, html = page(client, path(gorontalo))
    history = re.search(r'<ol class="history" id="history">(.*?)</ol>', html, re.S).group(1)
    assert "Perlu perbaikan" in history and "Lampirkan SOP yang sudah ditandatangani." in history
    with database.transaction(TenantContext(gorontalo.id)) as session:
        latest = service.history(session, service.find_application(session, gorontalo.id))[0]
    on_gorontalo_clock = format_datetime(latest.created_at, "d MMM y HH:mm", tzinfo=ZoneInfo("Asia/Makassar"),
                                         locale="id")
    assert on_gorontalo_clock in history  # WITA, the region's clock, not Jakarta's
    assert "Jawab dan lampirkan bukti" in html


def test_file_sizes_read_with_the_indonesian_decimal_comma(app):
    from siaga112.onboarding.views import file_size

    with app.test_request_context("/"):
        assert [file_size(58), file_size(12_800), file_size(3_355_443)] == ["58 B", "12,5 KB", "3,2 MB"]
