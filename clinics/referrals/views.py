"""Referral pages: the clinic doctor's and hospital's worklists, the new-referral form,
the detail page with the next steps, and the patient's view; thin over ``actions``."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, cast

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User as AuthUser
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clinics.access import User, patient_of, staff_of
from clinics.consultations.access import visible_consultations
from clinics.followups.models import Notification
from clinics.models import Patient, Staff
from clinics.referrals import actions, forms
from clinics.referrals.access import is_receiver, is_sender, visible_referrals, worklist_order
from clinics.referrals.models import Direction, Referral, ReferralStatus
from clinics.referrals.presenters import consent_of, consultation_report
from cloudhospital.core.errors import DomainError, NotFound
from cloudhospital.security import audit


def _page_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return render(request, "clinics/error.html", {"error": exc}, status=exc.status)


@login_required
def referral_list(request: HttpRequest) -> HttpResponse:
    """Staff: received (green channel first) and sent; patients: their own referrals."""
    staff, patient = staff_of(request.user), patient_of(request.user)
    qs = visible_referrals(request.user)
    if staff is not None:
        received = list(worklist_order(qs.filter(to_institution=staff.institution_id))[:200])
        sent = list(worklist_order(qs.filter(from_institution=staff.institution_id))[:200])
        items = received + sent
        alerts = list(Notification.objects.filter(user=cast(AuthUser, request.user),
                                                  kind__startswith="referral")[:10])
    else:
        received, sent, alerts = [], [], []
        items = list(qs.order_by("-created_at")[:200])
    audit.record(request.user, "referral.list", object_type="referrals.referral",
                 object_id="*", request=request, count=len(items),
                 patient_id=patient.pk if patient else None)
    return render(request, "referrals/list.html", {
        "staff": staff, "patient": patient, "received": received, "sent": sent,
        "mine": items if patient else [], "alerts": alerts})


def _referable_patients(staff: Staff) -> QuerySet[Patient]:
    """The sender's patients: registered there, or (a hospital) arrived by referral."""
    arrived = Q(referrals__direction=Direction.UP, referrals__to_institution=staff.institution_id,
                referrals__status__in=[ReferralStatus.ARRIVED, ReferralStatus.COMPLETED])
    return Patient.objects.filter(Q(home_institution=staff.institution_id) | arrived).distinct()


@login_required
def referral_new(request: HttpRequest) -> HttpResponse:
    staff = staff_of(request.user)
    if staff is None or not staff.is_doctor:
        return redirect("referrals:list")
    form = forms.ReferralForm(request.POST or None, staff=staff,
                              patients=_referable_patients(staff),
                              consultations=visible_consultations(request.user))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        followup = None
        if form.direction == Direction.DOWN and data.get("followup_condition"):
            followup = actions.FollowUpInstruction(
                data["followup_condition"], data.get("followup_interval_days"),
                data.get("followup_targets") or "")
        details = actions.ReferralDetails(
            patient=data["patient"], direction=form.direction,
            to_institution=data["to_institution"], to_department=data["to_department"],
            to_doctor=data["to_doctor"], urgency=data["urgency"], reason=data["reason"],
            summary=data["summary"], medication=data["medication"],
            consultation=data["consultation"],
            discharge_summary=data.get("discharge_summary") or "",
            diagnoses=forms.diagnoses_from(data), followup=followup)
        try:
            referral = actions.create_referral(request.user, details, request=request)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Draft saved. Record the patient's consent to send it."))
            return redirect("referrals:detail", pk=referral.pk)
    return render(request, "referrals/new.html", {"form": form})


@login_required
def referral_detail(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    try:
        referral = actions.get_referral(request.user, pk, request=request)
    except NotFound as exc:
        return _page_error(request, exc)
    staff = staff_of(request.user)
    return render(request, "referrals/detail.html", {
        "r": referral, "staff": staff, "consent": consent_of(referral),
        "report": consultation_report(referral),
        "sender": is_sender(staff, referral), "receiver": is_receiver(staff, referral),
        "consent_form": forms.ConsentForm(), "accept_form": forms.AcceptForm(),
        "reason_form": forms.ReasonForm(), "complete_form": forms.CompleteForm(),
    })


def _accept(user: User, referral: Referral, data: dict[str, Any],
            request: HttpRequest) -> Referral:
    admission = (actions.Admission(ward=data["ward"], admit_at=data["admit_at"])
                 if data.get("ward") else None)
    return actions.accept(user, referral, appointment_at=data["appointment_at"],
                          admission=admission, location=data["location"],
                          bring=data["bring"], request=request)


def _complete(user: User, referral: Referral, data: dict[str, Any],
              request: HttpRequest) -> Referral:
    return actions.complete(user, referral, discharge_summary=data["discharge_summary"],
                            diagnoses=forms.diagnoses_from(data),
                            treatment=data["treatment"], medication=data["medication"],
                            advice=data["advice"], request=request)


Step = Callable[[User, Referral, dict[str, Any], HttpRequest], Referral]

STEPS: dict[str, tuple[type[django_forms.Form] | None, Step]] = {
    "consent": (forms.ConsentForm,
                lambda u, r, d, req: actions.record_consent(u, r, request=req, **d)),
    "accept": (forms.AcceptForm, _accept),
    "decline": (forms.ReasonForm, lambda u, r, d, req: actions.decline(u, r, request=req, **d)),
    "arrive": (None, lambda u, r, d, req: actions.arrive(u, r, request=req)),
    "complete": (forms.CompleteForm, _complete),
    "cancel": (forms.ReasonForm, lambda u, r, d, req: actions.cancel(u, r, request=req, **d)),
}


@login_required
@require_POST
def referral_step(request: HttpRequest, pk: uuid.UUID, step: str) -> HttpResponse:
    """One button on the detail page: a workflow step, its form checked, errors shown."""
    if step not in STEPS:
        return _page_error(request, NotFound(_("No such step.")))
    form_class, run = STEPS[step]
    try:
        referral = actions.get_referral(request.user, pk, request=request, audit_read=False)
        data: dict[str, Any] = {}
        if form_class is not None:
            form = form_class(request.POST)
            if not form.is_valid():
                messages.error(request, " ".join(
                    f"{form.fields[f].label if f in form.fields else ''}: "
                    f"{' '.join(cast('list[str]', e))}"
                    for f, e in form.errors.items()))
                return redirect("referrals:detail", pk=pk)
            data = form.cleaned_data
        run(request.user, referral, data, request)
    except NotFound as exc:
        return _page_error(request, exc)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Done."))
    return redirect("referrals:detail", pk=pk)
