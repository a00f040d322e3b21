"""The workbench at / : per role, counts of what waits and the next action."""

from __future__ import annotations

import re

from django.utils import timezone


def _tiles(page: str) -> dict[str, str]:
    """{label: count} of the workbench tiles on a page."""
    found = re.findall(r'<span class="stat d-block[^"]*">(\d+)</span>\s*'
                       r'<span class="text-body">([^<]+)</span>', page)
    return {label: count for count, label in found}


def test_a_clinic_doctor_sees_drafts_waiting_answers_and_reports_to_acknowledge(
        client, world, consultation_at):
    consultation_at("draft")
    consultation_at("requested")
    consultation_at("completed")
    client.force_login(world.alice.user)
    page = client.get("/").content.decode()
    tiles = _tiles(page)
    assert tiles["草稿"] == "1" and tiles["等待答复"] == "1" and tiles["待确认的报告"] == "1"
    assert "今日复诊" in page and 'href="/followups/desk/"' in page
    assert 'class="btn btn-primary next-action" href="/consultations/?status=completed"' in page


def test_a_specialist_sees_new_requests_and_reports_to_sign(client, world, consultation_at):
    consultation_at("requested")
    consultation_at("scheduled")
    client.force_login(world.sam.user)
    tiles = _tiles(client.get("/").content.decode())
    assert tiles["新的申请"] == "1" and tiles["待签署的报告"] == "1"
    assert tiles["今日日程"] in {"0", "1"}  # scheduled an hour from now: today unless near midnight


def test_another_specialist_sees_none_of_sams_work(client, world, consultation_at):
    consultation_at("requested")
    client.force_login(world.tom.user)
    tiles = _tiles(client.get("/").content.decode())
    assert tiles["新的申请"] == "0" and tiles["待签署的报告"] == "0"


def test_a_coordinator_sees_the_institution_at_a_glance(client, world, consultation_at):
    consultation_at("requested")
    client.force_login(world.carol.user)
    page = client.get("/").content.decode()
    assert "机构概况" in page and _tiles(page)["已申请"] == "1"


def test_a_patient_sees_the_next_visit_or_how_to_book(client, world):
    client.force_login(world.pat.user)
    page = client.get("/").content.decode()
    assert "你好" in page or "您好" in page
    assert 'href="/followups/"' in page and 'href="/me/"' in page


def test_the_outsider_and_the_admin_land_where_they_belong(client, world, consultation_at):
    consultation_at("requested")
    client.force_login(world.oscar.user)
    tiles = _tiles(client.get("/").content.decode())
    assert tiles["等待答复"] == "0"
    client.force_login(world.admin)
    assert client.get("/")["Location"] == "/admin/"
    client.logout()
    assert client.get("/").status_code == 302


def test_today_is_the_day_in_shanghai():
    from clinics.workbench import today_bounds

    start, end = today_bounds()
    assert start <= timezone.now() < end
    assert str(start.tzinfo) == "Asia/Shanghai" and (end - start).days == 1
