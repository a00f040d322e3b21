"""Who sees which consultation and patient; outsiders get 404, never a leak."""

import pytest


@pytest.fixture
def consultation(consultation_at):
    return consultation_at("requested")


def _ids(response):
    assert response.status_code == 200, response.json()
    return {item["id"] for item in response.json()}


def test_each_role_lists_only_what_it_may_see(world, consultation, api_as):
    cid = str(consultation.pk)
    assert cid in _ids(api_as(world.alice.user).get("/consultations"))
    assert cid in _ids(api_as(world.dora.user).get("/consultations"))  # same institution
    assert cid in _ids(api_as(world.sam.user).get("/consultations"))
    assert cid in _ids(api_as(world.carol.user).get("/consultations"))
    assert cid in _ids(api_as(world.pat.user).get("/consultations"))
    assert cid in _ids(api_as(world.admin).get("/consultations"))
    assert cid not in _ids(api_as(world.oscar.user).get("/consultations"))
    assert cid not in _ids(api_as(world.tom.user).get("/consultations"))
    assert cid not in _ids(api_as(world.quinn.user).get("/consultations"))


@pytest.mark.parametrize("outsider", ["oscar", "tom", "quinn"])
def test_outsiders_get_404_for_the_consultation_and_its_reports(
        world, consultation, api_as, outsider):
    client = api_as(getattr(world, outsider).user)
    for path in ("", "/reports", "/reports/1/verify"):
        response = client.get(f"/consultations/{consultation.pk}{path}")
        assert response.status_code == 404, path
        assert response.json()["error"] == "not_found"
    assert client.post(f"/consultations/{consultation.pk}/accept").status_code == 404


def test_a_department_request_is_visible_to_the_department_until_assigned(
        world, consultation_at, api_as):
    from clinics.consultations import actions

    consultation = consultation_at("requested")
    type(consultation).objects.filter(pk=consultation.pk).update(
        specialist=None, invited_department=world.endocrinology)
    assert str(consultation.pk) in _ids(api_as(world.tom.user).get("/consultations"))
    assert str(consultation.pk) not in _ids(api_as(world.sam.user).get("/consultations"))
    del actions


def test_anonymous_callers_get_401_json(world, consultation, api_as):
    response = api_as(None).get("/consultations")
    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"


def test_patients_are_visible_to_their_institution_and_themselves_only(world, api_as):
    assert api_as(world.alice.user).get(f"/patients/{world.pat.pk}").status_code == 200
    assert api_as(world.pat.user).get(f"/patients/{world.pat.pk}").status_code == 200
    assert api_as(world.oscar.user).get(f"/patients/{world.pat.pk}").status_code == 404
    assert api_as(world.quinn.user).get(f"/patients/{world.pat.pk}").status_code == 404
    masked = api_as(world.alice.user).get(f"/patients/{world.pat.pk}").json()
    assert world.pat.national_id not in str(masked)
    assert masked["national_id_masked"].endswith(world.pat.national_id[-4:])


def test_a_patient_is_found_by_national_id_only_by_those_who_may_see_him(world, api_as):
    number = world.pat.national_id
    found = api_as(world.alice.user).get(f"/patients?national_id={number}")
    assert [p["id"] for p in found.json()] == [world.pat.pk]
    assert api_as(world.oscar.user).get(f"/patients?national_id={number}").status_code == 404
    bad = api_as(world.alice.user).get("/patients?national_id=123")
    assert bad.status_code == 422 and bad.json()["field"] == "national_id"


def test_registering_a_patient_validates_the_national_id(world, api_as):
    from clinics.idcard import make_national_id

    client = api_as(world.alice.user)
    body = {"name": "New", "sex": "F", "date_of_birth": "1970-01-01",
            "national_id": make_national_id("210102", __import__("datetime").date(1970, 1, 1),
                                            5), "phone": "13800000000"}
    assert client.post("/patients", body).status_code == 201
    assert client.post("/patients", body).status_code == 422  # already registered
    wrong = {**body, "national_id": body["national_id"][:17] + (
        "0" if body["national_id"][17] != "0" else "1")}
    response = client.post("/patients", wrong)
    assert response.status_code == 422 and "校验位" in response.json()["message"]
    assert api_as(world.pat.user).post("/patients", body).status_code == 403
