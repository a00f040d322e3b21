"""The signed report as a PDF: letterhead, patient, signer, fingerprint, verify URL, the
same bytes every time; only those who may read the consultation get it."""

from __future__ import annotations

import io

from pypdf import PdfReader

from clinics.consultations import report_pdf
from cloudhospital.security.models import AuditEntry


def _text(pdf: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_the_signed_report_downloads_as_a_pdf_with_patient_signer_and_verify_url(
        client, world, consultation_at):
    consultation = consultation_at("completed")
    client.force_login(world.alice.user)
    response = client.get(f"/consultations/{consultation.pk}/reports/1.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    text = _text(response.content)
    assert "Pat" in text and "Sam" in text and world.sam.licence_number in text
    url = f"http://127.0.0.1:8000/consultations/{consultation.pk}/reports/1/verify/"
    assert url in text.replace("\n", "")
    assert "Test Tertiary" in text
    assert AuditEntry.objects.filter(action="report.pdf", actor=world.alice.user).exists()


def test_the_pdf_speaks_chinese_with_the_signature_fingerprint(world, consultation_at):
    consultation = consultation_at("completed")
    report = consultation.reports.get(version=1)
    text = _text(report_pdf.render(report))
    assert "远程会诊报告" in text and "签名指纹" in text
    assert report_pdf.fingerprint(report).split()[0] in text


def test_a_signed_version_always_gives_the_same_pdf(world, consultation_at):
    consultation = consultation_at("completed")
    report = consultation.reports.get(version=1)
    first = report_pdf.render(report)
    assert report_pdf.render(report) == first
    info = PdfReader(io.BytesIO(first)).metadata
    assert info.creation_date is not None
    assert info.creation_date.replace(tzinfo=None) == report.signed_at.replace(tzinfo=None)


def test_no_pdf_for_an_outsider_or_an_unsigned_version(client, world, consultation_at):
    consultation = consultation_at("completed")
    client.force_login(world.oscar.user)
    assert client.get(f"/consultations/{consultation.pk}/reports/1.pdf").status_code == 404
    client.force_login(world.alice.user)
    assert client.get(f"/consultations/{consultation.pk}/reports/2.pdf").status_code == 404
    assert client.get(f"/consultations/{consultation.pk}/reports/99999999999999.pdf"
                      ).status_code == 404
    client.logout()
    assert client.get(f"/consultations/{consultation.pk}/reports/1.pdf").status_code == 302


def test_the_verify_page_says_whether_the_signature_holds(client, world, consultation_at):
    consultation = consultation_at("completed")
    client.force_login(world.alice.user)
    page = client.get(f"/consultations/{consultation.pk}/reports/1/verify/").content.decode()
    assert "签名有效" in page and "Sam" in page
    detail = client.get(f"/consultations/{consultation.pk}/").content.decode()
    assert f"/consultations/{consultation.pk}/reports/1.pdf" in detail
