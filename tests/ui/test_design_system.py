"""The design system: vendored Bootstrap, one base page with a menu to every page, phone
tables, confirmations for irreversible steps, pages with search, filters and paging."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
VENDOR = ROOT / "cloudhospital" / "static" / "vendor" / "bootstrap"
TEMPLATES = [p for p in ROOT.rglob("templates/**/*.html")
             if ".venv" not in p.parts and "var" not in p.parts]


def test_bootstrap_is_vendored_with_its_licence_and_no_source_map_reference():
    for name in ("bootstrap.min.css", "bootstrap.bundle.min.js", "LICENSE"):
        assert (VENDOR / name).stat().st_size > 1000
    assert "Bootstrap" in (VENDOR / "bootstrap.min.css").read_text()[:200]
    for name in ("bootstrap.min.css", "bootstrap.bundle.min.js"):
        assert "sourceMappingURL" not in (VENDOR / name).read_text()


def test_no_template_loads_anything_from_another_site():
    for path in TEMPLATES:
        text = path.read_text()
        assert not re.search(r"""(src|href)=["']?(https?:)?//""", text), path


def test_no_template_has_inline_script_style_or_handler():
    """The CSP has no unsafe-inline: page behaviour lives in static files."""
    for path in TEMPLATES:
        text = path.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), path
        assert not re.search(r"\sstyle=", text), path
        assert not re.search(r"\son[a-z]+=", text), path


def test_the_header_shows_the_real_name_and_links_every_page_of_the_role(client, world):
    client.force_login(world.alice.user)
    page = client.get("/consultations/").content.decode()
    assert '<span class="navbar-text who" id="who">Alice</span>' in page
    for link in ('href="/consultations/"', 'href="/consultations/new/"',
                 'href="/followups/desk/"', 'href="/imaging/"'):
        assert link in page, link
    assert "vendor/bootstrap/bootstrap.min.css" in page
    assert 'class="navbar-toggler"' in page


def test_a_patient_sees_their_name_and_their_pages_but_no_staff_pages(client, world):
    client.force_login(world.pat.user)
    page = client.get("/me/").content.decode()
    assert 'id="who">Pat<' in page
    assert 'href="/followups/"' in page and 'href="/me/"' in page
    assert 'href="/consultations/new/"' not in page and 'href="/imaging/"' not in page


def test_lists_become_cards_on_a_phone(client, world, consultation_at):
    consultation_at("requested")
    client.force_login(world.alice.user)
    page = client.get("/consultations/").content.decode()
    assert 'class="table table-hover table-stack' in page
    assert 'data-label="患者"' in page
    css = (ROOT / "cloudhospital/static/css/cloudhospital.css").read_text()
    assert "@media (max-width: 575.98px)" in css and "attr(data-label)" in css
    assert "@media print" in css


def test_irreversible_steps_ask_for_confirmation(client, world, consultation_at):
    consultation = consultation_at("requested")
    client.force_login(world.sam.user)
    page = client.get(f"/consultations/{consultation.pk}/").content.decode()
    assert re.search(r'action="[^"]*/do/decline/" data-confirm="[^"]+"', page)
    client.force_login(world.alice.user)
    page = client.get(f"/consultations/{consultation.pk}/").content.decode()
    assert re.search(r'action="[^"]*/do/cancel/" data-confirm="[^"]+"', page)
    js = (ROOT / "cloudhospital/static/js/cloudhospital.js").read_text()
    assert "form[data-confirm]" in js and "window.confirm" in js


def test_the_report_editor_asks_before_signing(client, world, consultation_at):
    from clinics.consultations import actions

    consultation = consultation_at("scheduled")
    actions.save_report_draft(world.sam.user, consultation, findings="f", opinion="o",
                              recommendations="r")
    client.force_login(world.sam.user)
    page = client.get(f"/consultations/{consultation.pk}/report/").content.decode()
    assert re.search(r'/do/sign/" class="card"\s+data-confirm="[^"]+"', page)


@pytest.fixture
def many(world, consultation_at):
    """30 of alice's consultations: 28 drafts, 2 requested."""
    made = [consultation_at("draft") for _ in range(28)]
    made += [consultation_at("requested") for _ in range(2)]
    return made


def test_the_consultation_list_pages_instead_of_stopping(client, world, many):
    client.force_login(world.alice.user)
    first = client.get("/consultations/").content.decode()
    assert first.count("/consultations/") and "第 1 页，共 2 页" in first
    second = client.get("/consultations/?page=2").content.decode()
    assert "第 2 页，共 2 页" in second
    rows = len(re.findall(r'<td data-label="患者"><a href="/consultations/', first + second))
    assert rows == 30


def test_the_consultation_list_filters_by_status_and_searches(client, world, many):
    client.force_login(world.alice.user)
    page = client.get("/consultations/?status=requested").content.decode()
    assert len(re.findall(r'<td data-label="患者">', page)) == 2
    assert 'href="?status=requested&amp;page=' not in page  # one page only
    assert len(re.findall(r'<td data-label="患者">', client.get(
        "/consultations/?q=Pat").content.decode())) == 25
    nobody = client.get("/consultations/?q=nobody-by-that-name").content.decode()
    assert "还没有" in nobody or "empty-state" in nobody


def test_hostile_list_parameters_are_harmless(client, world, many):
    client.force_login(world.alice.user)
    for query in ("?page=-1", "?page=abc", "?status=bogus",
                  "?q=" + "x" * 5000, "?status=requested&page=0"):
        assert client.get("/consultations/" + query).status_code == 200, query
    for huge in (str(2**63 - 1), "9999999999"):
        last = client.get("/consultations/?page=" + huge)
        assert last.status_code == 200, huge
        assert "第 2 页，共 2 页" in last.content.decode(), huge


def test_a_page_number_beyond_any_database_integer_is_refused_clearly(client, world, many):
    client.force_login(world.alice.user)
    for beyond in ("99999999999999999999", str(2**63)):
        answer = client.get("/consultations/?page=" + beyond)
        assert answer.status_code == 400, beyond
        assert "请求无效" in answer.content.decode(), beyond


def test_an_outsider_lists_nothing_of_alices(client, world, many):
    client.force_login(world.oscar.user)
    page = client.get("/consultations/?q=Pat").content.decode()
    assert '<td data-label="患者"><a' not in page


def test_a_step_says_what_happened_and_to_whom(client, world, consultation_at):
    consultation = consultation_at("draft")
    from django.utils import timezone

    from clinics.consultations import actions

    actions.record_consent(world.alice.user, consultation, signed_by="Pat", relation="self",
                           signed_at=timezone.now(), method="written")
    client.force_login(world.alice.user)
    page = client.post(f"/consultations/{consultation.pk}/do/submit/", follow=True)
    assert "Pat 的会诊申请已发送给 Sam（Test Tertiary）" in page.content.decode()
    assert "完成。" not in page.content.decode()
