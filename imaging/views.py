"""Imaging pages: the centre's studies (upload, attach, de-identified copy) and the viewer.

Thin over ``ingest``, ``sharing`` and ``deid``; the viewer itself reads pixels through
DICOMweb (/dicomweb/…/rendered), so every image it shows is access-checked and audited.
"""

from __future__ import annotations

import io
import zipfile
from collections import Counter

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from clinics.access import staff_of
from clinics.consultations import actions
from clinics.consultations.access import visible_consultations
from clinics.models import Institution, Role
from cloudhospital.core.errors import DomainError, NotFound
from imaging import budget, identity_check, sharing, sources, store, viewing
from imaging.ingest import QuarantineQuota, ingest_instance
from imaging.models import Instance, Source
from imaging.offload import offload

UPLOADERS = (Role.CLINIC_DOCTOR, Role.COORDINATOR)


def _error_page(request, exc: DomainError):
    return render(request, "clinics/error.html", {"error": exc}, status=exc.status)


@login_required
def studies(request):
    staff = staff_of(request.user)
    if staff is None and not request.user.is_superuser:
        return redirect("clinics:home")
    items = list(sharing.visible_studies(request.user).prefetch_related("series")[:200])
    sharing.audit.record(request.user, "imaging.list", object_type="imaging.study",
                         object_id="*", request=request, count=len(items))
    can_upload = staff is not None and staff.role in UPLOADERS
    open_consultations = (visible_consultations(request.user).filter(
        inviting_institution=staff.institution_id, status__in=[
            "draft", "requested", "accepted", "scheduled", "in_progress"])
        if can_upload else [])
    return render(request, "imaging/studies.html", {
        "items": items, "staff": staff, "can_upload": can_upload,
        "consultations": open_consultations,
        "institutions": Institution.objects.all() if can_upload else []})


@csrf_exempt  # the CSRF check reads the body: it runs below, after login and the size check
@login_required
@require_POST
async def upload(request):
    """Files, a folder (many files) or zip archives, each instance through ingest, on the
    imaging pool (``imaging.offload``): parsing and storing never hold the shared thread.

    Who may upload and how large the body is are settled before the body is parsed;
    zips are inflated member by member under the limits of ``sources``."""
    return await offload(_upload)(request)


def _upload(request):
    staff = staff_of(request.user)
    if staff is None or staff.role not in UPLOADERS:
        return _error_page(request, sharing.NotAllowed("only clinic staff upload images"))
    too_large = budget.body_refusal(request.META, "IMAGING_MAX_UPLOAD_BYTES")
    if too_large is not None:
        return _error_page(request, too_large)
    rejected = CsrfViewMiddleware(lambda r: None).process_view(request, None, (), {})
    if rejected is not None:
        return rejected
    counts: Counter[str] = Counter()
    refused = []
    quota, total = QuarantineQuota(), sources.upload_total()
    try:
        for upload_file in request.FILES.getlist("files"):
            for name, data in sources.from_upload(upload_file, upload_file.name,
                                                  upload_file.size, total):
                outcome = ingest_instance(data, institution=staff.institution,
                                          source=Source.UPLOAD,
                                          sender=request.user.get_username(), quota=quota)
                counts[outcome.status] += 1
                if not outcome.ok:
                    refused.append(f"{name}: {outcome.message}")
    except (sources.TooLarge, zipfile.BadZipFile) as exc:
        messages.error(request, _("Upload refused: %(reason)s") % {"reason": exc})
        return redirect("imaging:studies")
    sharing.audit.record(request.user, "imaging.upload", object_type="imaging.study",
                         object_id="*", request=request, **counts)
    messages.success(request, _("Stored %(stored)d, already present %(dup)d, refused "
                                "%(bad)d.") % {"stored": counts["stored"],
                                               "dup": counts["duplicate"],
                                               "bad": counts["quarantined"]})
    for line in refused[:20]:
        messages.error(request, line)
    return redirect("imaging:studies")


@login_required
@require_POST
def attach(request, study_uid):
    """Attach a study; a study of another patient shows both identities side by side and
    asks the clinic doctor for a reason (409) before it is attached."""
    try:
        consultation = actions.get_consultation(
            request.user, request.POST.get("consultation", ""), request=request,
            audit_read=False)
        share = sharing.attach_study(request.user, consultation, study_uid,
                                     mismatch_reason=request.POST.get("mismatch_reason", ""),
                                     request=request)
    except identity_check.PatientMismatch as exc:
        return render(request, "imaging/attach_mismatch.html", {
            "error": exc, "study_uid": study_uid, "consultation": consultation,
            "fields": [identity_check.label(f) for f in exc.extra["differences"]],
            "mine": exc.extra["consultation_patient"], "theirs": exc.extra["study_patient"],
            "max_reason": identity_check.MAX_REASON_CHARS}, status=409)
    except (DomainError, ValueError) as exc:
        return _error_page(request, exc if isinstance(exc, DomainError)
                           else NotFound("no such consultation"))
    if share.identity_mismatch:
        messages.warning(request, _("Study attached although its patient differs; the "
                                    "consultation shows a warning."))
    else:
        messages.success(request, _("Study attached; the consultation's specialist can read "
                                    "it."))
    return redirect("consultations:consultation_detail", pk=consultation.pk)


MAX_ID = 2**63 - 1  # the largest id a database integer column holds


def _institution(raw: str | None) -> Institution:
    """The institution a form names by id, or NotFound: ASCII digits only ("abc" was a
    ValueError, a 500; ``int("٣")`` is 3) and within a database integer."""
    text = raw or ""
    if not (text.isascii() and text.isdigit() and len(text) <= 19) or int(text) > MAX_ID:
        raise NotFound("no such institution")
    target = Institution.objects.filter(pk=int(text)).first()
    if target is None:
        raise NotFound("no such institution")
    return target


@login_required
@require_POST
def deidentified_copy(request, study_uid):
    try:
        target = _institution(request.POST.get("institution"))
        copy = sharing.share_deidentified(request.user, study_uid, target,
                                          request.POST.get("purpose", ""), request=request)
    except DomainError as exc:
        return _error_page(request, exc)
    messages.success(request, _("De-identified copy %(uid)s made for %(target)s.")
                     % {"uid": copy.study_instance_uid, "target": target})
    return redirect("imaging:studies")


@login_required
def viewer(request, study_uid):
    try:
        study = sharing.get_study(request.user, study_uid)
    except DomainError as exc:
        return _error_page(request, exc)
    sharing.read(request.user, "imaging.view", study, request=request,
                 consultation=request.GET.get("consultation", ""))
    return render(request, "imaging/viewer.html",
                  viewing.viewer_context(study, request.GET.get("consultation", "")))


@login_required
async def download(request, study_uid):
    """The study's original instances as a zip (as stored: identified; audited), built on
    the imaging pool."""
    return await offload(_download)(request, study_uid)


def _download(request, study_uid):
    try:
        study = sharing.get_study(request.user, study_uid)
    except DomainError as exc:
        return _error_page(request, exc)
    instances = Instance.objects.filter(series__study=study).select_related("series")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for instance in instances:
            archive.writestr(f"{instance.series.series_instance_uid}/"
                             f"{instance.sop_instance_uid}.dcm", store.get(instance.blob_key))
    sharing.read(request.user, "imaging.download", study, request=request,
                 instances=len(instances))
    response = HttpResponse(buffer.getvalue(), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{study.study_instance_uid}.zip"'
    return response
