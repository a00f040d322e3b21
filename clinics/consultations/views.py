"""Consultation pages for clinic doctors and specialists; thin over ``actions``."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clinics import identity
from clinics.access import patient_of, staff_of, visible_patients
from clinics.consultations import actions, feedback, forms, listing, queries, rooms
from clinics.consultations.access import visible_consultations
from clinics.consultations.models import Consent, Status
from clinics.consultations.reports import verify as signature_holds
from clinics.models import Role
from clinics.views import page_error
from cloudhospital.core.errors import DomainError, NotAllowed, NotFound
from cloudhospital.security import audit


@login_required
def consultation_list(request: HttpRequest) -> HttpResponse:
    staff = staff_of(request.user)
    if staff is None and not request.user.is_superuser:
        return redirect("clinics:home")
    found = listing.browse(request.user, request.GET, request=request)
    return render(request, "consultations/consultation_list.html", {
        "items": found.page.object_list, "page_obj": found.page, "staff": staff,
        "querystring_base": found.querystring_base,
        "filters": {"q": found.q, "status": found.status, "statuses": Status.choices}})


@login_required
def consultation_new(request: HttpRequest) -> HttpResponse:
    patients = visible_patients(request.user)
    form = forms.RequestForm(request.POST or None, patients=patients)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        details = actions.RequestDetails(
            patient=data["patient"], invited_institution=data["invited_institution"],
            specialist=data["specialist"], department=data["department"],
            reason=data["reason"], clinical_question=data["clinical_question"],
            record_summary=data["record_summary"], urgency=data["urgency"],
            proposed_times=[data["proposed_time"]] if data["proposed_time"] else [])
        try:
            consultation = actions.create_request(request.user, details, request=request)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Draft saved. Record consent, then send it."))
            return redirect("consultations:consultation_detail", pk=consultation.pk)
    return render(request, "consultations/consultation_new.html", {"form": form})


@login_required
def consultation_detail(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    try:
        consultation = actions.get_consultation(request.user, pk, request=request)
    except NotFound as exc:
        return page_error(request, exc)
    reports = [(r, signature_holds(r) if r.is_signed else None)
               for r in queries.readable_reports(request.user, consultation)]
    try:
        consent = consultation.consent
    except Consent.DoesNotExist:
        consent = None
    return render(request, "consultations/consultation_detail.html", {
        "c": consultation, "staff": staff_of(request.user), "reports": reports,
        "consent": consent, "consent_form": forms.ConsentForm(),
        "reason_form": forms.ReasonForm(), "schedule_form": forms.ScheduleForm(),
        "Status": Status, "Role": Role,
    })


@login_required
def workspace(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    """The consultation's panel in the live room: summary and images (an HTML fragment the
    generic room page loads from the room descriptor's ``workspace_url``). Only the room's
    participants get it; everyone else gets 404 or 403 exactly as from the room."""
    try:
        consultation = actions.get_consultation(request.user, pk, request=request)
        rooms.participant_role(request.user, consultation)
    except DomainError as exc:
        return page_error(request, exc)
    return render(request, "consultations/workspace.html", {
        "c": consultation, "identity": identity.patient_identity(consultation.patient)})


# The form of each step that takes input; the steps themselves are actions.STEPS.
STEP_FORMS = {"decline": forms.ReasonForm, "cancel": forms.ReasonForm,
              "schedule": forms.ScheduleForm, "consent": forms.ConsentForm}


@login_required
@require_POST
def consultation_step(request: HttpRequest, pk: uuid.UUID, step: str) -> HttpResponse:
    """One button on the detail page: a workflow step, its form checked, errors shown."""
    if step not in actions.STEPS:
        return page_error(request, NotFound(_("No such step.")))
    form_class = STEP_FORMS.get(step)
    try:
        consultation = actions.get_consultation(request.user, pk, request=request,
                                                audit_read=False)
        data: dict[str, Any] = {}
        if form_class is not None:
            form = form_class(request.POST)
            if not form.is_valid():
                messages.error(request, " ".join(
                    f"{form.fields[f].label if f in form.fields else ''}: {' '.join(map(str, e))}"
                    for f, e in form.errors.items()))
                return redirect("consultations:consultation_detail", pk=pk)
            data = form.cleaned_data
        actions.take_step(request.user, consultation, step, request=request, **data)
    except NotFound as exc:
        return page_error(request, exc)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, feedback.step_done(step, consultation))
    return redirect("consultations:consultation_detail", pk=pk)


@login_required
def report_editor(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    try:
        consultation = actions.get_consultation(request.user, pk, request=request)
    except NotFound as exc:
        return page_error(request, exc)
    if not queries.may_write_report(request.user, consultation):
        # Sees the consultation (its signed reports are on the detail page), may not write.
        return page_error(request, NotAllowed(_("Only the consultation's specialist writes "
                                                "its report.")))
    draft, latest = queries.draft_and_latest(request.user, consultation)
    initial = ({"findings": latest.findings, "opinion": latest.opinion,
                "recommendations": latest.recommendations} if latest else None)
    form = forms.ReportForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            actions.save_report_draft(request.user, consultation, request=request,
                                      **form.cleaned_data)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Draft saved."))
            return redirect("consultations:report_editor", pk=pk)
    return render(request, "consultations/report_editor.html",
                  {"c": consultation, "form": form, "draft": draft})


@login_required
def patient_home(request: HttpRequest) -> HttpResponse:
    """The patient's page: diagnoses, follow-up link, their consultations."""
    patient = patient_of(request.user)
    if patient is None:
        return redirect("clinics:home")
    audit.record(request.user, "patient.read", patient, request=request)
    consultations = visible_consultations(request.user)
    return render(request, "consultations/patient_home.html",
                  {"patient": patient, "consultations": consultations})
