"""Who may read a prescription: the patient his own; the plan's doctors; the prescribing
institution's pharmacists; 404 for everyone else. Every read is audited."""

from __future__ import annotations

import pytest

from cloudhospital.security.models import AuditEntry
from tests.prescriptions.conftest import approved

READERS = {  # persona -> may read an approved prescription of pat's
    "pat": True, "quinn": False, "alice": True, "oscar": False, "phil": True, "pia": False,
    "sam": False, "carol": False, "dora": False,
}


def _user(world, rx, who):
    return getattr(rx, who, None).user if who in ("phil", "pia") else (
        getattr(world, who).user)


@pytest.mark.parametrize("who,allowed", READERS.items())
def test_the_access_matrix(world, rx, api_as, who, allowed):
    done = approved(world, rx)
    api = api_as(_user(world, rx, who))
    for path in (f"/prescriptions/{done.pk}", f"/prescriptions/{done.pk}/verify",
                 f"/prescriptions/{done.pk}/pdf"):
        assert api.get(path).status_code == (200 if allowed else 404), (who, path)
    listed = [p["id"] for p in api.get("/prescriptions").json()]
    assert listed == ([str(done.pk)] if allowed else [])
    for step in ("approve", "dispense", "revoke", "renewal-request"):
        response = api.post(f"/prescriptions/{done.pk}/{step}", {"reason": "x"})
        if not allowed:
            assert response.status_code == 404, (who, step)


def test_every_read_is_audited(world, rx, api_as):
    done = approved(world, rx)
    api_as(world.pat.user).get(f"/prescriptions/{done.pk}")
    entry = AuditEntry.objects.filter(action="prescription.read").latest("pk")
    assert entry.actor == world.pat.user and entry.patient_id == world.pat.pk
    api_as(rx.phil.user).get("/prescriptions")
    assert AuditEntry.objects.filter(action="prescription.list", actor=rx.phil.user).exists()


def test_the_patient_does_not_see_drafts_or_prescriptions_under_review(world, rx, api_as):
    from clinics.prescriptions import actions
    from tests.prescriptions.conftest import draft

    written = actions.create_prescription(world.alice.user, draft(world, rx))
    patient = api_as(world.pat.user)
    assert patient.get(f"/prescriptions/{written.pk}").status_code == 404
    actions.sign(world.alice.user, written)
    assert patient.get(f"/prescriptions/{written.pk}").status_code == 404
    assert api_as(rx.phil.user).get(f"/prescriptions/{written.pk}").status_code == 200


def test_a_doctor_who_held_a_visit_of_the_plan_reads_its_prescriptions(world, rx, api_as):
    """The plan's doctors include whoever held one of its visits (a colleague's slot)."""
    from clinics.followups.models import Visit

    done = approved(world, rx)
    assert api_as(world.dora.user).get(f"/prescriptions/{done.pk}").status_code == 404
    Visit.objects.filter(pk=rx.visit.pk).update(doctor=world.dora)
    assert api_as(world.dora.user).get(f"/prescriptions/{done.pk}").status_code == 200
