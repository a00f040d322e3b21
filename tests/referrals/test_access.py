"""Who sees a referral: the sending institution's doctors, the receiving addressee(s) and
coordinator, the patient his own; 404 for everyone else, and every read is audited."""

import pytest

from cloudhospital.security.models import AuditEntry

SEES_DEPARTMENT_REFERRAL = {"alice": 200, "dora": 200, "sam": 200, "carol": 200, "pat": 200,
                            "tom": 404, "oscar": 404, "quinn": 404, "admin": 200}


@pytest.mark.parametrize("who,expected", SEES_DEPARTMENT_REFERRAL.items())
def test_the_access_matrix_of_an_upward_referral(world, up_at, api_as, who, expected):
    referral = up_at("requested")
    user = getattr(world, who)
    user = getattr(user, "user", user)
    response = api_as(user).get(f"/referrals/{referral.pk}")
    assert response.status_code == expected
    listed = [item["id"] for item in api_as(user).get("/referrals").json()]
    assert (str(referral.pk) in listed) == (expected == 200)
    if expected == 404:
        assert response.json()["error"] == "not_found"
    else:
        assert AuditEntry.objects.filter(action="referral.read", object_id=str(referral.pk),
                                         actor=user, patient_id=world.pat.pk).exists()


def test_a_referral_to_a_named_doctor_is_not_seen_by_his_colleagues(world, up_at, api_as):
    from clinics.models import Role, Staff
    from tests.conftest import _user

    colleague = Staff.objects.create(user=_user("cardio2"), institution=world.hospital,
                                     role=Role.SPECIALIST, department=world.cardiology,
                                     real_name="Cardio", licence_number="L9",
                                     licence_verified=True)
    referral = up_at("requested", to_doctor=world.sam)
    assert api_as(world.sam.user).get(f"/referrals/{referral.pk}").status_code == 200
    assert api_as(colleague.user).get(f"/referrals/{referral.pk}").status_code == 404
    assert api_as(world.carol.user).get(f"/referrals/{referral.pk}").status_code == 200


def test_the_receiving_side_does_not_see_a_draft(world, up_at, api_as):
    draft = up_at("draft", to_doctor=world.sam)
    for person in (world.sam, world.carol):
        assert api_as(person.user).get(f"/referrals/{draft.pk}").status_code == 404
    assert api_as(world.alice.user).get(f"/referrals/{draft.pk}").status_code == 200
    assert api_as(world.pat.user).get(f"/referrals/{draft.pk}").status_code == 200


def test_anonymous_callers_are_refused(world, up_at, client):
    referral = up_at("requested")
    assert client.get(f"/api/v1/referrals/{referral.pk}").status_code == 401
    assert client.get("/api/v1/referrals").status_code == 401


def test_a_downward_referral_is_seen_by_the_centre_and_the_hospital(world, cora, down_at,
                                                                    api_as):
    referral = down_at("requested")
    for person, expected in [(world.alice, 200), (cora, 200), (world.sam, 200),
                             (world.carol, 200), (world.pat.user, 200),
                             (world.oscar, 404), (world.quinn.user, 404)]:
        user = getattr(person, "user", person)
        assert api_as(user).get(f"/referrals/{referral.pk}").status_code == expected, person


def test_clinical_text_is_encrypted_at_rest(world, up_at):
    from django.db import connection

    referral = up_at("requested")
    with connection.cursor() as cursor:
        cursor.execute("SELECT reason, summary, medication FROM referrals_referral "
                       "WHERE id = %s", [referral.pk.hex if connection.vendor == "sqlite"
                                         else referral.pk])
        row = cursor.fetchone()
    assert row is not None
    assert all(value and "Chest" not in value and "amlodipine" not in value for value in row)
