"""Pages for clinic doctors, specialists and patients; thin over ``clinics.actions``."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clinics import actions, forms, signing
from clinics.access import patient_of, staff_of, visible_consultations, visible_patients
from clinics.models import Consent, Role, Status
from cloudhospital.core.errors import DomainError, NotFound
from cloudhospital.security import audit


@login_required
def home(request):
    """Send each person to the page of their role."""
    if patient_of(request.user) is not None:
        return redirect("clinics:patient_home")
    if staff_of(request.user) is None and request.user.is_staff:
        return redirect("admin:index")
    return redirect("clinics:consultation_list")


def _page_error(request, exc: DomainError, status: int | None = None):
    return render(request, "clinics/error.html", {"error": exc}, status=status or exc.status)


@login_required
def consultation_list(request):
    staff = staff_of(request.user)
    if staff is None and not request.user.is_superuser:
        return redirect("clinics:home")
    items = list(visible_consultations(request.user)[:200])
    audit.record(request.user, "consultation.list", object_type="clinics.consultation",
                 object_id="*", request=request, count=len(items))
    return render(request, "clinics/consultation_list.html", {"items": items, "staff": staff})


@login_required
def consultation_new(request):
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
            return redirect("clinics:consultation_detail", pk=consultation.pk)
    return render(request, "clinics/consultation_new.html", {"form": form})


@login_required
def consultation_detail(request, pk):
    try:
        consultation = actions.get_consultation(request.user, pk, request=request)
    except NotFound as exc:
        return _page_error(request, exc)
    reports = [(r, signing.verify(r) if r.is_signed else None)
               for r in consultation.reports.select_related("author")]
    try:
        consent = consultation.consent
    except Consent.DoesNotExist:
        consent = None
    return render(request, "clinics/consultation_detail.html", {
        "c": consultation, "staff": staff_of(request.user), "reports": reports,
        "consent": consent, "consent_form": forms.ConsentForm(),
        "reason_form": forms.ReasonForm(), "schedule_form": forms.ScheduleForm(),
        "Status": Status, "Role": Role,
    })


STEPS = {
    "submit": (None, lambda u, c, d, r: actions.submit_request(u, c, request=r)),
    "accept": (None, lambda u, c, d, r: actions.accept(u, c, request=r)),
    "start": (None, lambda u, c, d, r: actions.start(u, c, request=r)),
    "complete": (None, lambda u, c, d, r: actions.complete(u, c, request=r)),
    "acknowledge": (None, lambda u, c, d, r: actions.acknowledge_report(u, c, request=r)),
    "sign": (None, lambda u, c, d, r: actions.sign_report(u, c, request=r)),
    "decline": (forms.ReasonForm, lambda u, c, d, r: actions.decline(u, c, request=r, **d)),
    "cancel": (forms.ReasonForm, lambda u, c, d, r: actions.cancel(u, c, request=r, **d)),
    "schedule": (forms.ScheduleForm,
                 lambda u, c, d, r: actions.schedule(u, c, when=d["scheduled_at"], request=r)),
    "consent": (forms.ConsentForm,
                lambda u, c, d, r: actions.record_consent(u, c, request=r, **d)),
}


@login_required
@require_POST
def consultation_step(request, pk, step):
    """One button on the detail page: a workflow step, its form checked, errors shown."""
    if step not in STEPS:
        return _page_error(request, NotFound(_("No such step.")))
    form_class, run = STEPS[step]
    try:
        consultation = actions.get_consultation(request.user, pk, request=request,
                                                audit_read=False)
        data = {}
        if form_class is not None:
            form = form_class(request.POST)
            if not form.is_valid():
                messages.error(request, " ".join(
                    f"{form.fields[f].label if f in form.fields else ''}: {' '.join(e)}"
                    for f, e in form.errors.items()))
                return redirect("clinics:consultation_detail", pk=pk)
            data = form.cleaned_data
        run(request.user, consultation, data, request)
    except NotFound as exc:
        return _page_error(request, exc)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Done."))
    return redirect("clinics:consultation_detail", pk=pk)


@login_required
def report_editor(request, pk):
    try:
        consultation = actions.get_consultation(request.user, pk, request=request)
    except NotFound as exc:
        return _page_error(request, exc)
    draft = consultation.reports.filter(signed_at__isnull=True).order_by("-version").first()
    latest = draft or consultation.reports.order_by("-version").first()
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
            return redirect("clinics:report_editor", pk=pk)
    return render(request, "clinics/report_editor.html",
                  {"c": consultation, "form": form, "draft": draft})


@login_required
def patient_home(request):
    patient = patient_of(request.user)
    if patient is None:
        return redirect("clinics:home")
    audit.record(request.user, "patient.read", patient, request=request)
    consultations = visible_consultations(request.user)
    return render(request, "clinics/patient_home.html",
                  {"patient": patient, "consultations": consultations})
