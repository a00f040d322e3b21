"""The signed report as a PDF download, and the page its QR code opens to verify it."""

from __future__ import annotations

import uuid

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext

from clinics.consultations import actions, queries, report_pdf
from clinics.consultations.models import Consultation, Report
from clinics.consultations.reports import verify as signature_holds
from clinics.views import page_error
from cloudhospital.core.errors import NotFound
from cloudhospital.security import audit


def _signed(request: HttpRequest, pk: uuid.UUID,
            version: int) -> tuple[Consultation, Report]:
    consultation = actions.get_consultation(request.user, pk, request=request)
    report = (queries.readable_reports(request.user, consultation)
              .filter(version=version, signed_at__isnull=False).first())
    if report is None:
        raise NotFound(gettext("no signed report with that version"))
    return consultation, report


@login_required
def report_pdf_view(request: HttpRequest, pk: uuid.UUID, version: int) -> HttpResponse:
    try:
        consultation, report = _signed(request, pk, version)
    except NotFound as exc:
        return page_error(request, exc)
    audit.record(request.user, "report.pdf", consultation, request=request,
                 version=report.version)
    response = HttpResponse(report_pdf.render(report), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="consultation-report-{consultation.pk}-v{report.version}.pdf"')
    return response


@login_required
def report_verify(request: HttpRequest, pk: uuid.UUID, version: int) -> HttpResponse:
    """What the QR code opens: does the stored signature still match the report?"""
    try:
        consultation, report = _signed(request, pk, version)
    except NotFound as exc:
        return page_error(request, exc)
    return render(request, "consultations/report_verify.html", {
        "c": consultation, "r": report, "valid": signature_holds(report),
        "fingerprint": report_pdf.fingerprint(report)})
