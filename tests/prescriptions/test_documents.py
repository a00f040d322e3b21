"""The prescription as a PDF 处方笺 with a QR code to the verify page; only an approved
prescription is printable. Text is read back with pypdf."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from clinics.prescriptions import actions
from tests.prescriptions.conftest import approved, draft, item


def _text(body: bytes) -> str:
    reader = PdfReader(io.BytesIO(body))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_the_pdf_carries_patient_drugs_doctor_pharmacist_and_the_verify_url(world, rx, client):
    done = approved(world, rx, item(rx.drugs["AMLO5"]), item(rx.drugs["IRBE150"],
                                                            dose="150"))
    client.force_login(world.pat.user)
    response = client.get(f"/prescriptions/{done.pk}/pdf/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    text = _text(response.content)
    for expected in ("处 方 笺", "Centre A", "Pat", "Hypertension", "Rp.", "氨氯地平片",
                     "厄贝沙坦片", "每日一次", "口服", "× 28片", "Alice",
                     world.alice.licence_number, "审核药师：Phil",
                     f"http://testserver/prescriptions/verify/{done.verify_code}/"):
        assert expected in text, expected
    content = PdfReader(io.BytesIO(response.content)).pages[0].get_contents().get_data()
    assert content.count(b" re") > 100  # the QR code's dark modules, drawn as squares


def test_the_verify_page_says_genuine_and_masks_the_patient(world, rx, client):
    done = approved(world, rx)
    page = client.get(f"/prescriptions/verify/{done.verify_code}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-valid="true"' in html and "氨氯地平片" in html
    assert '<span class="patient">P**</span>' in html  # only a masked name
    assert "Pat<" not in html and "Pat " not in html


def test_the_verify_page_shows_tampering(world, rx, client):
    from clinics.prescriptions.models import PrescriptionItem

    done = approved(world, rx)
    PrescriptionItem.objects.filter(prescription=done).update(quantity=280)
    html = client.get(f"/prescriptions/verify/{done.verify_code}/").content.decode()
    assert 'data-valid="false"' in html


def test_a_long_note_wraps_instead_of_running_off_the_page(world, rx):
    from clinics.prescriptions.documents import render_pdf

    done = approved(world, rx, note="晨起空腹服用，每日监测血压并记录。" * 4)
    text = _text(render_pdf(done, "http://127.0.0.1/v/"))
    lines = text.splitlines()
    start = next(n for n, line in enumerate(lines) if line.startswith("备注："))
    wrapped = lines[start:start + 4]
    assert len([line for line in wrapped if "医师" not in line]) >= 2
    assert done.note in "".join(wrapped).replace("备注：", "", 1).replace(" ", "")


@pytest.mark.parametrize(("code", "status"), [
    ("nope", 404), ("x" * 300, 404), ("%E4%B8%AD", 404),
    # A NUL in the path is refused by the platform (400 page) before any view runs.
    ("%00", 400), ("a%00b", 400)])
def test_an_unknown_verify_code_is_404(world, rx, client, code, status):
    assert client.get(f"/prescriptions/verify/{code}/").status_code == status


def test_only_an_approved_prescription_is_printable(world, rx, client, api_as):
    signed = actions.sign(world.alice.user, actions.create_prescription(
        world.alice.user, draft(world, rx)))
    client.force_login(world.alice.user)
    assert client.get(f"/prescriptions/{signed.pk}/pdf/").status_code == 409
    response = api_as(world.alice.user).get(f"/prescriptions/{signed.pk}/pdf")
    assert response.status_code == 409 and response.json()["status"] == "signed"
