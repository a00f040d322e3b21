"""JSON API for imaging (/api/v1/): studies, attaching them to consultations, de-identified
copies. Thin over ``imaging.sharing``; DICOM itself is served by DICOMweb (/dicomweb/)."""

from __future__ import annotations

import datetime as dt
import uuid

from django.utils.translation import gettext
from ninja import Router, Schema
from ninja import Status as HttpStatus

from clinics.consultations import actions
from clinics.models import Institution
from cloudhospital.core.errors import NotFound
from cloudhospital.security import audit
from imaging import sharing
from imaging.models import Study

router = Router(tags=["imaging"])


class ErrorOut(Schema):
    error: str
    message: str


class StudyOut(Schema):
    study_instance_uid: str
    study_date: dt.date | None
    description: str
    accession_number: str
    patient_name: str
    patient_id: str
    institution: str
    modalities: list[str]
    instances: int
    viewer_url: str
    identity_mismatch: list[str] = []


class AttachIn(Schema):
    study_instance_uid: str
    # Given only when the study names another patient and the clinic doctor confirms why
    # it belongs to this consultation (else 409 patient_mismatch, both identities shown).
    mismatch_reason: str = ""


class CopyIn(Schema):
    institution_id: int
    purpose: str


ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut,
          422: ErrorOut}


def study_dict(study: Study, consultation_id=None) -> dict:
    series = list(study.series.all())
    query = f"?consultation={consultation_id}" if consultation_id else ""
    return {
        "study_instance_uid": study.study_instance_uid, "study_date": study.study_date,
        "description": study.study_description, "accession_number": study.accession_number,
        "patient_name": study.patient.patient_name, "patient_id": study.patient.patient_id,
        "institution": study.institution.name,
        "modalities": sorted({s.modality for s in series if s.modality}),
        "instances": sum(s.instances.count() for s in series),
        "viewer_url": f"/imaging/studies/{study.study_instance_uid}/{query}",
    }


@router.get("/imaging/studies", response={200: list[StudyOut], **ERRORS})
def list_studies(request):
    studies = list(sharing.visible_studies(request.user).prefetch_related("series")[:200])
    audit.record(request.user, "imaging.list", object_type="imaging.study", object_id="*",
                 request=request, count=len(studies))
    return [study_dict(s) for s in studies]


@router.get("/consultations/{consultation_id}/studies",
            response={200: list[StudyOut], **ERRORS})
def consultation_studies(request, consultation_id: uuid.UUID):
    consultation = actions.get_consultation(request.user, consultation_id, request=request)
    studies = list(sharing.studies_of_consultation(request.user, consultation))
    for study in studies:
        sharing.read(request.user, "imaging.list", study, request=request,
                     consultation=str(consultation.pk))
    return [study_dict(s, consultation.pk) for s in studies]


@router.post("/consultations/{consultation_id}/studies", response={201: StudyOut, **ERRORS})
def attach_study(request, consultation_id: uuid.UUID, payload: AttachIn):
    consultation = actions.get_consultation(request.user, consultation_id, request=request,
                                            audit_read=False)
    share = sharing.attach_study(request.user, consultation, payload.study_instance_uid,
                                 mismatch_reason=payload.mismatch_reason, request=request)
    return HttpStatus(201, {**study_dict(share.study, consultation.pk),
                            "identity_mismatch": share.identity_mismatch})


@router.post("/imaging/studies/{study_uid}/deidentified-copies",
             response={201: StudyOut, **ERRORS})
def deidentified_copy(request, study_uid: str, payload: CopyIn):
    target = Institution.objects.filter(pk=payload.institution_id).first()
    if target is None:
        raise NotFound(gettext("no such institution"))
    copy = sharing.share_deidentified(request.user, study_uid, target, payload.purpose,
                                      request=request)
    return HttpStatus(201, study_dict(copy))
