"""Who reads a study: its institution, and the specialist of a consultation it is attached
to while the grant lasts; nobody else."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from clinics.consultations.models import Consultation
from cloudhospital.core.errors import InvalidInput, NotAllowed, NotFound
from imaging import sharing

pytestmark = pytest.mark.django_db
# The synthetic studies name "Test^Patient", not the consultation's patient: attaching
# them takes the clinic doctor's confirmation (imaging.identity_check).
SYNTHETIC = "synthetic test study of another patient"


def study_url(ds):
    return (f"/dicomweb/studies/{ds.StudyInstanceUID}/series/{ds.SeriesInstanceUID}"
            f"/instances/{ds.SOPInstanceUID}/rendered")


def visible(client, ds) -> bool:
    found = client.get("/dicomweb/studies", {"StudyInstanceUID": ds.StudyInstanceUID}).json()
    status = client.get(study_url(ds)).status_code
    assert status in (200, 404)
    assert bool(found) == (status == 200)
    return status == 200


def test_the_outsider_centre_and_unattached_specialists_see_nothing(world, ct_study,
                                                                    client_for):
    ds = ct_study[0]
    assert visible(client_for(world.alice), ds)
    assert visible(client_for(world.dora), ds)  # same centre
    for outsider in (world.oscar, world.sam, world.tom, world.carol):
        assert not visible(client_for(outsider), ds)
    assert not visible(client_for(world.pat.user), ds)


def test_attaching_grants_the_consultation_specialist_only(world, ct_study, client_for,
                                                           consultation_at):
    ds = ct_study[0]
    consultation = consultation_at("scheduled")
    sharing.attach_study(world.alice.user, consultation, ds.StudyInstanceUID,
                         mismatch_reason=SYNTHETIC)
    assert visible(client_for(world.sam), ds)
    assert not visible(client_for(world.tom), ds)
    assert not visible(client_for(world.oscar), ds)
    series = client_for(world.tom).get(f"/dicomweb/studies/{ds.StudyInstanceUID}/series")
    assert series.status_code == 404


def test_a_specialist_of_another_consultation_is_refused(world, ct_study, client_for,
                                                         consultation_at):
    """tom is the specialist of a consultation too, but not of the one holding the study."""
    from clinics.consultations import actions

    ds = ct_study[0]
    mine = consultation_at("scheduled")
    sharing.attach_study(world.alice.user, mine, ds.StudyInstanceUID,
                         mismatch_reason=SYNTHETIC)
    other = actions.create_request(world.alice.user, actions.RequestDetails(
        patient=world.pat, invited_institution=world.hospital, specialist=world.tom,
        reason="r", clinical_question="q", record_summary="s"))
    assert other.specialist == world.tom
    assert not visible(client_for(world.tom), ds)
    inst = study_url(ds).removesuffix("/rendered")
    assert client_for(world.tom).get(inst).status_code == 404


def test_the_grant_ends_after_the_grace_period(world, ct_study, client_for, consultation_at,
                                                settings):
    ds = ct_study[0]
    consultation = consultation_at("in_progress")
    sharing.attach_study(world.alice.user, consultation, ds.StudyInstanceUID,
                         mismatch_reason=SYNTHETIC)
    from tests.conftest import advance

    consultation = advance(world, consultation, "completed")
    assert visible(client_for(world.sam), ds)  # closed just now: within the grace period
    settings.STUDY_SHARE_GRACE_HOURS = 2
    Consultation.objects.filter(pk=consultation.pk).update(
        closed_at=timezone.now() - dt.timedelta(hours=3))
    assert not visible(client_for(world.sam), ds)
    assert visible(client_for(world.alice), ds)


def test_only_the_requesting_centre_attaches_its_own_studies(world, ct_study, consultation_at):
    ds = ct_study[0]
    consultation = consultation_at("requested")
    with pytest.raises(NotAllowed):
        sharing.attach_study(world.sam.user, consultation, ds.StudyInstanceUID)
    with pytest.raises(NotFound):
        sharing.attach_study(world.oscar.user, consultation, ds.StudyInstanceUID)
    with pytest.raises(NotFound):
        sharing.attach_study(world.alice.user, consultation, "1.2.3.4",
                         mismatch_reason=SYNTHETIC)
    share = sharing.attach_study(world.alice.user, consultation, ds.StudyInstanceUID,
                         mismatch_reason=SYNTHETIC)
    again = sharing.attach_study(world.alice.user, consultation, ds.StudyInstanceUID,
                         mismatch_reason=SYNTHETIC)
    assert share == again


def test_a_closed_consultation_takes_no_new_studies(world, ct_study, consultation_at):
    consultation = consultation_at("completed")
    with pytest.raises(InvalidInput):
        sharing.attach_study(world.alice.user, consultation, ct_study[0].StudyInstanceUID,
                         mismatch_reason=SYNTHETIC)


def test_the_api_attaches_and_lists_a_consultations_studies(world, ct_study, client_for,
                                                            consultation_at):
    ds = ct_study[0]
    consultation = consultation_at("scheduled")
    url = f"/api/v1/consultations/{consultation.pk}/studies"
    body = {"study_instance_uid": ds.StudyInstanceUID, "mismatch_reason": SYNTHETIC}
    refused = client_for(world.oscar).post(url, body, content_type="application/json")
    assert refused.status_code == 404 and refused.json()["error"] == "not_found"
    by_sam = client_for(world.sam).post(url, body, content_type="application/json")
    assert by_sam.status_code == 403
    created = client_for(world.alice).post(url, body, content_type="application/json")
    assert created.status_code == 201, created.content
    assert created.json()["instances"] == 3
    listed = client_for(world.sam).get(url).json()
    assert [s["study_instance_uid"] for s in listed] == [ds.StudyInstanceUID]
    assert listed[0]["viewer_url"].endswith(f"?consultation={consultation.pk}")
    assert client_for(world.tom).get(url).status_code == 404
    missing = client_for(world.alice).post(url, {"study_instance_uid": "1.2.3"},
                                           content_type="application/json")
    assert missing.status_code == 404
    studies = client_for(world.sam).get("/api/v1/imaging/studies").json()
    assert [s["study_instance_uid"] for s in studies] == [ds.StudyInstanceUID]
