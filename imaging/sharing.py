"""Who may read which study, and the grants that carry a study across care levels.

- A study is visible to the institution that sent it.
- Attaching it to a consultation grants the consultation's specialist read access while
  the consultation is open and for STUDY_SHARE_GRACE_HOURS after it closes; nobody else
  (not the specialist's colleagues, not a specialist of another consultation).
- A referral made from that consultation carries its studies on to the referral's
  receiving doctors, on the same terms: while the referral is open and for the grace
  period after it closes (``clinics.referrals.access.study_grant_referrals``).
- Outside the consultation only a de-identified copy travels (``deid`` / ``share_copy``).

Every failure to find answers "not found", so a study's existence does not leak.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from clinics.access import staff_of
from clinics.consultations.access import sent, visible_consultations
from clinics.consultations.models import OPEN_STATUSES, Consultation
from clinics.models import Institution, Role
from clinics.referrals.access import study_grant_referrals
from cloudhospital.core.errors import InvalidInput, NotAllowed, NotFound
from cloudhospital.security import audit
from imaging import deid, identity_check, ingest, store
from imaging.models import DeidentifiedCopy, Instance, Series, Source, Study, StudyShare


def active_grant_q(prefix: str = "") -> Q:
    """Consultations whose grant is live: open, or closed less than the grace period ago."""
    since = timezone.now() - timedelta(hours=settings.STUDY_SHARE_GRACE_HOURS)
    return (Q(**{f"{prefix}status__in": list(OPEN_STATUSES)})
            | Q(**{f"{prefix}closed_at__gte": since}))


def visible_studies(user) -> QuerySet[Study]:
    qs = Study.objects.select_related("patient", "institution")
    if getattr(user, "is_superuser", False):
        return qs
    staff = staff_of(user)
    if staff is None:
        return qs.none()
    shared = StudyShare.objects.filter(
        Q(active_grant_q("consultation__"), sent("consultation__"),  # a draft grants nothing
          consultation__specialist=staff)
        | Q(sent("consultation__"), consultation__referrals__in=study_grant_referrals(staff))
    ).values("study_id")
    return qs.filter(Q(institution=staff.institution_id) | Q(pk__in=shared))


def get_study(user, study_uid: str) -> Study:
    study = visible_studies(user).filter(study_instance_uid=study_uid).first()
    if study is None:
        raise NotFound(gettext("no such study"))
    return study


def get_series(user, study_uid: str, series_uid: str) -> Series:
    study = get_study(user, study_uid)
    series = study.series.filter(series_instance_uid=series_uid).first()
    if series is None:
        raise NotFound(gettext("no such series"))
    return series


def get_instance(user, study_uid: str, series_uid: str, sop_uid: str) -> Instance:
    series = get_series(user, study_uid, series_uid)
    instance = series.instances.filter(sop_instance_uid=sop_uid).first()
    if instance is None:
        raise NotFound(gettext("no such instance"))
    instance.series = series
    return instance


def read(user, action: str, study: Study, *, request=None, **detail) -> None:
    """The audit entry for one read of a study (QIDO, WADO, render, download)."""
    audit.record(user, action, object_type="imaging.study",
                 object_id=study.study_instance_uid[:64], request=request,
                 institution=study.institution_id, **detail)


def attach_study(user, consultation: Consultation, study_uid: str, *,
                 mismatch_reason: str = "", request=None) -> StudyShare:
    """The requesting centre attaches one of its studies to its open consultation.

    A study naming another patient is refused (``identity_check``) unless
    ``mismatch_reason`` says why it belongs here; that confirmation is audited and kept
    on the share."""
    staff = staff_of(user)
    if staff is None or staff.role not in (Role.CLINIC_DOCTOR, Role.COORDINATOR):
        raise NotAllowed(gettext("only the requesting centre's staff attach studies"))
    if not visible_consultations(user).filter(pk=consultation.pk).exists():
        raise NotFound(gettext("no such consultation"))
    if consultation.inviting_institution_id != staff.institution_id:
        raise NotAllowed(gettext("only the requesting centre attaches studies to a consultation"))
    if not consultation.is_open:
        raise InvalidInput(gettext("the consultation is closed"), field="consultation")
    study = Study.objects.filter(study_instance_uid=study_uid,
                                 institution=staff.institution_id).select_related(
                                     "patient").first()
    if study is None:
        raise NotFound(gettext("no such study at your institution"))
    existing = StudyShare.objects.filter(study=study, consultation=consultation).first()
    if existing is not None:
        return existing
    fields, reason = identity_check.check(consultation.patient, study.patient,
                                          mismatch_reason)
    try:
        with transaction.atomic():
            share = StudyShare.objects.create(
                study=study, consultation=consultation, shared_by=staff,
                identity_mismatch=fields, mismatch_reason=reason if fields else "")
    except IntegrityError:
        return StudyShare.objects.get(study=study, consultation=consultation)
    audit.record(user, "imaging.attach", object_type="imaging.study",
                 object_id=study.study_instance_uid[:64], patient_id=consultation.patient_id,
                 request=request, consultation=str(consultation.pk))
    if fields:
        audit.record(user, "imaging.attach.mismatch_confirmed", object_type="imaging.study",
                     object_id=study.study_instance_uid[:64],
                     patient_id=consultation.patient_id, request=request,
                     consultation=str(consultation.pk), fields=fields, reason=reason)
    return share


def studies_of_consultation(user, consultation: Consultation) -> QuerySet[Study]:
    """The consultation's studies that ``user`` may read now."""
    return visible_studies(user).filter(shares__consultation=consultation).distinct()


def share_deidentified(user, study_uid: str, target: Institution, purpose: str, *,
                       request=None) -> Study:
    """Copy a study, de-identified (``deid``), to ``target`` (another institution, or a
    teaching-file collection of one's own). The copy is a new study with new UIDs, owned
    by ``target``; the original and its grants are untouched."""
    staff = staff_of(user)
    if not purpose.strip():
        raise InvalidInput(gettext("say what the copy is for"), field="purpose")
    study = Study.objects.filter(study_instance_uid=study_uid).first()
    if study is None or not (user.is_superuser or (
            staff is not None and staff.institution_id == study.institution_id)):
        raise NotFound(gettext("no such study at your institution"))
    if staff is not None and staff.role not in (Role.CLINIC_DOCTOR, Role.COORDINATOR):
        raise NotAllowed(gettext("only the owning institution's clinic staff share studies"))
    uids = deid.UidMap(secrets.token_bytes(32))
    pseudonym = "ANON-" + secrets.token_hex(4).upper()
    instances = list(Instance.objects.filter(series__study=study))
    try:
        copies = [deid.deidentify_bytes(store.get(i.blob_key), uids, pseudonym)
                  for i in instances]
    except deid.CannotDeidentify as exc:
        raise InvalidInput(str(exc)) from exc
    new_uid = uids(study.study_instance_uid)
    with transaction.atomic():
        for data in copies:
            outcome = ingest.ingest_instance(data, institution=target, source=Source.DEID,
                                             sender=user.get_username())
            if not outcome.ok:
                raise InvalidInput(gettext("the de-identified copy was refused: %(message)s") %
                                           {"message": outcome.message})
        copy = Study.objects.get(study_instance_uid=new_uid)
        DeidentifiedCopy.objects.create(source_study=study, copy=copy,
                                        target_institution=target, purpose=purpose[:200],
                                        made_by=user)
    read(user, "imaging.share_deidentified", study, request=request,
         target=target.pk, copy=new_uid, purpose=purpose[:200])
    return copy
