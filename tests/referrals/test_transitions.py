"""Every step of a referral from every state, through the API: allowed moves answer 200
with the new status, every other move 409 with the current status and changes nothing."""

import datetime as dt

import pytest
from django.utils import timezone

from clinics.referrals.models import TRANSITIONS, Referral

STEP_TO = {"consent": "requested", "accept": "accepted", "decline": "declined",
           "arrive": "arrived", "complete": "completed", "cancel": "cancelled"}
REACHABLE = ["draft", "requested", "accepted", "arrived", "completed", "declined",
             "cancelled"]


def _body(step):
    if step in {"decline", "cancel"}:
        return {"reason": "because"}
    if step == "consent":
        return {"signed_by": "Pat", "relation": "self", "method": "written",
                "signed_at": timezone.now().isoformat()}
    if step == "accept":
        return {"appointment_at": (timezone.now() + dt.timedelta(days=2)).isoformat()}
    if step == "complete":
        return {"discharge_summary": "Discharged stable",
                "diagnoses": [{"icd10": "I20.9", "name": "Angina"}]}
    return {}


def _check(response, referral, status, step, unsent_hidden=False):
    target = STEP_TO[step]
    if unsent_hidden and status in {"draft", "cancelled"}:
        # the receiving side never saw this referral: it was not sent
        assert response.status_code == 404, response.json()
        assert Referral.objects.get(pk=referral.pk).status == status
        return
    if target in TRANSITIONS[status]:
        assert response.status_code == 200, response.json()
        assert response.json()["status"] == target
        assert Referral.objects.get(pk=referral.pk).status == target
    else:
        assert response.status_code == 409, response.json()
        assert response.json()["error"] == "invalid_transition"
        assert response.json()["status"] == status
        assert Referral.objects.get(pk=referral.pk).status == status


@pytest.mark.parametrize("status", REACHABLE)
@pytest.mark.parametrize("step", list(STEP_TO))
def test_each_step_of_an_upward_referral_from_each_state(world, up_at, api_as, status, step):
    referral = up_at(status)
    sending = step in {"consent", "cancel"}
    actor = world.alice if sending else world.sam
    response = api_as(actor.user).post(f"/referrals/{referral.pk}/{step}", _body(step))
    _check(response, referral, status, step, unsent_hidden=not sending)


@pytest.mark.parametrize("status", REACHABLE)
@pytest.mark.parametrize("step", list(STEP_TO))
def test_each_step_of_a_downward_referral_from_each_state(world, down_at, api_as, status,
                                                          step):
    referral = down_at(status)
    sending = step in {"consent", "cancel"}
    actor = world.sam if sending else world.alice
    body = _body(step)
    if step == "accept":
        body = {}  # the centre accepts; the patient then books online
    response = api_as(actor.user).post(f"/referrals/{referral.pk}/{step}", body)
    _check(response, referral, status, step, unsent_hidden=not sending)


# Who may take each step of alice's upward referral to cardiology (sam's department).
ACTORS = ["alice", "dora", "sam", "carol", "tom", "oscar", "pat", "quinn"]
ALLOWED = {
    "consent": {"alice": 200, "dora": 200},
    "cancel": {"alice": 200, "dora": 200},
    "accept": {"sam": 200, "carol": 200},
    "decline": {"sam": 200, "carol": 200},
}
VISIBLE = {"alice", "dora", "sam", "carol", "pat"}


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("step", list(ALLOWED))
def test_each_actor_may_take_only_its_own_steps(world, up_at, api_as, actor, step):
    """Outsiders get 404 (they may not know it exists, and the receiving side does not see
    a draft); those who see it but may not take the step get 403; nothing moves."""
    start = "draft" if step == "consent" else "requested"
    referral = up_at(start)
    response = api_as(getattr(world, actor).user).post(f"/referrals/{referral.pk}/{step}",
                                                       _body(step))
    visible = VISIBLE - ({"sam", "carol"} if start == "draft" else set())
    expected = ALLOWED[step].get(actor, 403 if actor in visible else 404)
    assert response.status_code == expected, (actor, step, response.json())
    if expected != 200:
        assert Referral.objects.get(pk=referral.pk).status == start
        assert set(response.json()) >= {"error", "message"}


@pytest.mark.parametrize("actor,expected", [("sam", 200), ("carol", 200), ("alice", 403),
                                            ("pat", 403), ("tom", 404)])
def test_arrival_and_completion_are_recorded_by_the_receiving_side(world, up_at, api_as,
                                                                   actor, expected):
    referral = up_at("accepted")
    client = api_as(getattr(world, actor).user)
    response = client.post(f"/referrals/{referral.pk}/arrive")
    assert response.status_code == expected
    if expected == 200:
        done = client.post(f"/referrals/{referral.pk}/complete", _body("complete"))
        assert done.status_code == 200 and done.json()["status"] == "completed"
        assert done.json()["discharge_summary"] == "Discharged stable"


@pytest.mark.parametrize("actor,expected", [("alice", 200), ("cora", 200), ("sam", 403),
                                            ("oscar", 404), ("tom", 200)])
def test_the_centre_answers_a_downward_referral(world, cora, down_at, api_as, actor,
                                                expected):
    """alice (the centre's doctor) and cora (its coordinator) answer; sam (the sender)
    may not; oscar (another centre) does not see it. tom is a hospital doctor: he sees it
    as the sending institution's, and may cancel but not accept."""
    referral = down_at("requested")
    person = cora if actor == "cora" else getattr(world, actor)
    step = "cancel" if actor == "tom" else "decline"
    response = api_as(person.user).post(f"/referrals/{referral.pk}/{step}",
                                        {"reason": "r"})
    assert response.status_code == expected, response.json()
