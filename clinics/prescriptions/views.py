"""Prescription pages: the doctor prescribes (from a follow-up visit or a renewal
request), the pharmacist reviews, the patient sees his medicines. Thin over actions.py.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clinics.access import User, patient_of, staff_of
from clinics.followups.models import Visit, VisitStatus
from clinics.models import Patient, Role, Staff
from clinics.prescriptions import access, actions, documents, signing
from clinics.prescriptions.models import (
    VALID_STATUSES,
    DispenseMethod,
    Frequency,
    Prescription,
    RenewalRequest,
    RenewalStatus,
    Route,
    RxStatus,
)
from clinics.prescriptions.rules import ItemIn
from cloudhospital.core.errors import DomainError, NotFound
from cloudhospital.security import audit


def _int(value: Any) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**63 else None


def _error_page(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return render(request, "prescriptions/error.html", {"error": exc}, status=exc.status)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Each person's prescriptions page: the doctor's renewal requests and visits, the
    pharmacist's review queue, the patient's medication list."""
    staff, patient = staff_of(request.user), patient_of(request.user)
    if staff is not None and staff.is_doctor:
        return _doctor_home(request, staff)
    if staff is not None and staff.role == Role.PHARMACIST:
        return _pharmacist_home(request, staff)
    if patient is not None:
        return _patient_home(request, patient)
    return redirect("clinics:home")


def _doctor_home(request: HttpRequest, doctor: Staff) -> HttpResponse:
    window = timezone.now() - dt.timedelta(hours=settings.PRESCRIPTION_VISIT_WINDOW_HOURS)
    visits = list(Visit.objects.filter(doctor=doctor).filter(
        status=VisitStatus.IN_CONSULTATION).select_related("patient", "plan")) + list(
        Visit.objects.filter(doctor=doctor, status=VisitStatus.COMPLETED,
                             completed_at__gte=window).select_related("patient", "plan"))
    requests = list(access.visible_requests(request.user).filter(
        status=RenewalStatus.WAITING, plan__doctor=doctor).order_by("created_at"))
    recent = list(access.visible_prescriptions(request.user)[:30])
    audit.record(request.user, "prescription.desk.read", object_type="prescriptions.prescription",
                 object_id="*", request=request, count=len(recent) + len(requests))
    return render(request, "prescriptions/doctor.html", {
        "visits": visits, "requests": requests, "recent": recent})


def _pharmacist_home(request: HttpRequest, pharmacist: Staff) -> HttpResponse:
    """The review queue: urgent first, then oldest signature first."""
    visible = access.visible_prescriptions(request.user)
    queue = list(visible.filter(status=RxStatus.SIGNED).order_by("-urgent", "signed_at"))
    to_dispense = list(visible.filter(status=RxStatus.APPROVED).order_by("updated_at")[:50])
    audit.record(request.user, "prescription.queue.read",
                 object_type="prescriptions.prescription", object_id="*", request=request,
                 count=len(queue))
    return render(request, "prescriptions/pharmacist.html", {
        "queue": queue, "to_dispense": to_dispense})


def _patient_home(request: HttpRequest, patient: Patient) -> HttpResponse:
    """Current medicines with days of supply left, and the renewal requests waiting."""
    current = [rx for rx in access.visible_prescriptions(request.user).filter(
        status__in=VALID_STATUSES).prefetch_related("items__drug") if not rx.is_superseded()]
    waiting = set(RenewalRequest.objects.filter(
        patient=patient, status=RenewalStatus.WAITING).values_list("prescription_id",
                                                                   flat=True))
    requests = list(RenewalRequest.objects.filter(patient=patient).order_by("-created_at")[:10])
    audit.record(request.user, "prescription.list", object_type="prescriptions.prescription",
                 object_id="*", patient_id=patient.pk, request=request, count=len(current))
    return render(request, "prescriptions/patient.html", {
        "current": [(rx, rx.days_left(), rx.pk in waiting) for rx in current],
        "requests": requests})


def _item_rows(data: Any) -> list[dict[str, Any]]:
    rows = []
    for n in range(1, settings.PRESCRIPTION_MAX_ITEMS + 1):
        row = {field: (data.get(f"{field}_{n}") or "").strip()[:40] for field in (
            "drug_code", "dose", "unit", "frequency", "route", "days", "quantity")}
        row["n"] = n
        rows.append(row)
    return rows


def _items(rows: list[dict[str, Any]]) -> list[ItemIn]:
    items = []
    for row in rows:
        if not row["drug_code"]:
            continue
        drug = actions.drug_by_code(row["drug_code"])
        items.append(actions.make_item(
            row["drug_code"], row["dose"] or "0",
            row["unit"] or drug.unit, row["frequency"], row["route"],
            _int(row["days"]) or 0, _int(row["quantity"]) or 0))
    return items


@login_required
def new(request: HttpRequest) -> HttpResponse:
    """Write a prescription in a follow-up visit (?visit=) or for a renewal request
    (?renewal=); a refusal is shown inline with the rule and its source."""
    staff = staff_of(request.user)
    if staff is None or not staff.is_doctor:
        return redirect("prescriptions:home")
    visit_id, renewal_id = _int(request.GET.get("visit")), _int(request.GET.get("renewal"))
    visit = renewal = None
    if visit_id:
        visit = Visit.objects.filter(pk=visit_id, doctor=staff).select_related(
            "patient", "plan").first()
    elif renewal_id:
        renewal = access.visible_requests(request.user).filter(pk=renewal_id).first()
    context = visit or renewal
    if context is None:
        return _error_page(request, NotFound(_("No such visit or renewal request.")))
    audit.record(request.user, "prescription.form.read", context, request=request)
    rows, error = _item_rows(request.POST), None
    if request.method == "POST":
        try:
            rx = actions.create_prescription(request.user, actions.Draft(
                patient_id=context.patient_id, items=_items(rows), visit_id=visit_id if visit
                else None, renewal_request_id=renewal.pk if renewal else None,
                long_term=bool(request.POST.get("long_term")),
                guardian_present=bool(request.POST.get("guardian_present")),
                urgent=bool(request.POST.get("urgent")),
                note=request.POST.get("note", "")), request=request)
        except DomainError as exc:
            error = exc
        else:
            messages.success(request, _("Draft saved. Check it and sign it."))
            return redirect("prescriptions:detail", pk=rx.pk)
    return render(request, "prescriptions/new.html", {
        "visit": visit, "renewal": renewal, "patient": context.patient,
        "plan": context.plan, "rows": rows, "error": error, "post": request.POST,
        "frequencies": Frequency.choices, "routes": Route.choices},
        status=422 if error else 200)


@login_required
def detail(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    try:
        rx = access.get_prescription(request.user, pk, request=request)
    except DomainError as exc:
        return _error_page(request, exc)
    staff = staff_of(request.user)
    return render(request, "prescriptions/detail.html", {
        "rx": rx, "items": rx.items.select_related("drug"),
        "valid_signature": signing.verify(rx) if rx.signed_at else None,
        "fingerprint": signing.fingerprint(rx) if rx.signed_at else "",
        "review": getattr(rx, "review", None) if rx.status not in ("draft", "signed") else None,
        "is_prescriber": staff is not None and staff.pk == rx.doctor_id,
        "is_pharmacist": staff is not None and staff.role == Role.PHARMACIST,
        "is_patient": patient_of(request.user) is not None,
        "waiting_renewal": rx.renewal_requests.filter(status=RenewalStatus.WAITING).exists(),
        "methods": DispenseMethod.choices})


# A step: (action(user, prescription, POST data, request), the message once done).
STEPS: dict[str, tuple[Callable[[User, Prescription, Any, HttpRequest], object], str]] = {
    "sign": (lambda u, rx, p, r: actions.sign(u, rx, request=r), _("Signed.")),
    "approve": (lambda u, rx, p, r: actions.approve(u, rx, reason=p.get("reason", ""),
                                                    request=r), _("Approved.")),
    "reject": (lambda u, rx, p, r: actions.reject(u, rx, reason=p.get("reason", ""),
                                                  request=r), _("Rejected.")),
    "dispense": (lambda u, rx, p, r: actions.dispense(
        u, rx, method=p.get("method", "pickup"), note=p.get("note", ""), request=r),
        _("Dispensing recorded.")),
    "revoke": (lambda u, rx, p, r: actions.revoke(u, rx, reason=p.get("reason", ""),
                                                  request=r), _("Revoked.")),
    "renew": (lambda u, rx, p, r: actions.request_renewal(u, rx, note=p.get("note", ""),
                                                          request=r),
              _("Renewal requested: your doctor will see it on the follow-up desk.")),
}


@login_required
@require_POST
def step(request: HttpRequest, pk: uuid.UUID, name: str) -> HttpResponse:
    if name not in STEPS:
        return _error_page(request, NotFound(_("No such step.")))
    action, done = STEPS[name]
    try:
        rx = access.get_prescription(request.user, pk, request=request, audit_read=False)
        action(request.user, rx, request.POST, request)
    except DomainError as exc:
        if exc.status == 404:
            return _error_page(request, exc)
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    if name == "renew":
        return redirect("prescriptions:home")
    return redirect("prescriptions:detail", pk=pk)


@login_required
@require_POST
def decline_renewal(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        actions.decline_renewal(request.user, pk, reason=request.POST.get("reason", ""),
                                request=request)
    except DomainError as exc:
        if exc.status == 404:
            return _error_page(request, exc)
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Renewal request declined."))
    return redirect("prescriptions:home")


@login_required
def pdf(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    try:
        rx = access.get_prescription(request.user, pk, request=request, audit_read=False)
        body = documents.prescription_pdf(request.user, rx, request=request)
    except DomainError as exc:
        return _error_page(request, exc)
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="rx-{rx.number}.pdf"'
    return response


def verify(request: HttpRequest, code: str) -> HttpResponse:
    """Public: what the QR code on the paper opens. Shows whether the signature holds and
    the prescription is valid, with the items and a masked patient name, nothing more."""
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,32}", code):
        return _error_page(request, NotFound(_("No such prescription.")))
    rx = Prescription.objects.filter(verify_code=code, signed_at__isnull=False).first()
    if rx is None:
        return _error_page(request, NotFound(_("No such prescription.")))
    audit.record(request.user, "prescription.verify_page", rx, request=request)
    name = rx.patient.name
    return render(request, "prescriptions/verify.html", {
        "rx": rx, "valid_signature": signing.verify(rx), "fingerprint": signing.fingerprint(rx),
        "masked_name": name[:1] + "*" * max(len(name) - 1, 1),
        "items": rx.items.select_related("drug"),
        "review": getattr(rx, "review", None) if rx.status not in ("draft", "signed") else None})
