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
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clinics.access import staff_of
from clinics.consultations import actions
from clinics.consultations.access import visible_consultations
from clinics.models import Institution, Role
from cloudhospital.core.errors import DomainError, NotFound
from imaging import render as rendering
from imaging import sharing, sources, store
from imaging.ingest import ingest_instance
from imaging.models import Instance, Source

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


@login_required
@require_POST
def upload(request):
    """Files, a folder (many files) or zip archives, each instance through ingest."""
    staff = staff_of(request.user)
    if staff is None or staff.role not in UPLOADERS:
        return _error_page(request, sharing.NotAllowed("only clinic staff upload images"))
    counts: Counter[str] = Counter()
    refused = []
    try:
        for upload_file in request.FILES.getlist("files"):
            for name, data in sources.from_bytes(upload_file.name, upload_file.read()):
                outcome = ingest_instance(data, institution=staff.institution,
                                          source=Source.UPLOAD,
                                          sender=request.user.get_username())
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
    try:
        consultation = actions.get_consultation(
            request.user, request.POST.get("consultation", ""), request=request,
            audit_read=False)
        sharing.attach_study(request.user, consultation, study_uid, request=request)
    except (DomainError, ValueError) as exc:
        return _error_page(request, exc if isinstance(exc, DomainError)
                           else NotFound("no such consultation"))
    messages.success(request, _("Study attached; the consultation's specialist can read it."))
    return redirect("consultations:consultation_detail", pk=consultation.pk)


@login_required
@require_POST
def deidentified_copy(request, study_uid):
    target = Institution.objects.filter(pk=request.POST.get("institution") or 0).first()
    try:
        if target is None:
            raise NotFound(_("no such institution"))
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
    series = []
    for s in study.series.all():
        instances = list(s.instances.order_by("instance_number", "id")
                         .values_list("sop_instance_uid", "number_of_frames"))
        series.append({"uid": s.series_instance_uid, "modality": s.modality,
                       "number": s.series_number, "description": s.series_description,
                       "images": [[uid, frames] for uid, frames in instances]})
    return render(request, "imaging/viewer.html", {
        "study": study, "series": series, "presets": rendering.PRESETS,
        "viewer_data": {"study": study.study_instance_uid, "series": series,
                        "presets": rendering.PRESETS},
        "consultation": request.GET.get("consultation", "")})


@login_required
def download(request, study_uid):
    """The study's original instances as a zip (as stored: identified; audited)."""
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
