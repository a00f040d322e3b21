"""Chinese complete: catalogues without gaps, the admin in Chinese, one format for people."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from babel.messages.pofile import read_po
from django.apps import apps
from django.conf import settings
from django.utils import translation

from cloudhospital.core import display

ROOT = Path(settings.BASE_DIR)


def _catalogues(language: str) -> list[Path]:
    return [p for root in settings.LOCALE_PATHS
            for p in Path(root).glob(f"{language}/LC_MESSAGES/django.po")]


def test_every_chinese_catalogue_entry_is_translated_and_none_is_fuzzy():
    paths = _catalogues("zh_Hans")
    assert len(paths) >= 2
    gaps = []
    for path in paths:
        with path.open("rb") as fh:
            catalogue = read_po(fh)
        gaps += [f"{path.name}: {m.id!r}" for m in catalogue
                 if m.id and (m.fuzzy or not m.string)]
    assert gaps == []


def test_english_stays_complete_every_chinese_entry_exists_in_english():
    zh_ids, en_ids = set(), set()
    for language, ids in (("zh_Hans", zh_ids), ("en", en_ids)):
        for path in _catalogues(language):
            with path.open("rb") as fh:
                catalogue = read_po(fh)
            ids |= {m.id if isinstance(m.id, str) else m.id[0] for m in catalogue if m.id
                    and not m.fuzzy}
    assert zh_ids - en_ids == set()


def test_every_model_has_a_plural_name_and_no_chinese_name_gets_an_english_s():
    ours = [m for m in apps.get_models()
            if Path(apps.get_app_config(m._meta.app_label).path).is_relative_to(ROOT)]
    assert ours
    with translation.override("zh-hans"):
        for model in ours:
            plural = str(model._meta.verbose_name_plural)
            assert not re.search(r"[\u4e00-\u9fff]s$", plural), model
            assert re.search(r"[\u4e00-\u9fff]", plural), (model, plural)


def test_the_admin_is_branded_and_speaks_chinese(client, world):
    client.force_login(world.admin)
    page = client.get("/admin/").content.decode()
    assert "沈阳云医院管理后台" in page
    assert "Django 管理" not in page and "Django administration" not in page
    assert not re.search(r"[\u4e00-\u9fff]s<", page)
    for english in ("Security and audit", "SECURITY AND AUDIT", "Task Results",
                    "Tasks Database Backend"):
        assert english not in page


def test_times_are_shown_in_shanghai_in_one_format_without_seconds():
    moment = dt.datetime(2026, 12, 2, 5, 7, 33, tzinfo=dt.UTC)
    with translation.override("zh-hans"):
        assert display.when(moment) == "2026年12月2日 13:07"
        assert display.when(dt.date(2026, 12, 2)) == "2026年12月2日"
        assert display.when("20261202") == "2026年12月2日"
        assert display.when("2026120") == "2026120"
        assert display.when(None) == ""


def test_conditions_are_shown_by_name_with_their_code():
    with translation.override("zh-hans"):
        assert display.condition_name("I10") == "高血压 I10"
        assert display.condition_name("e11.9") == "2型糖尿病 E11.9"
        assert display.condition_name("Z99") == "Z99"
        assert display.condition_name("") == ""
        assert display.sex_label("M") == "男" and display.sex_label("F") == "女"


def test_the_blank_choice_of_a_select_is_chinese():
    from django.db.models.fields import BLANK_CHOICE_LABEL

    with translation.override("zh-hans"):
        assert str(BLANK_CHOICE_LABEL) == "- 请选择 -"


def test_an_sms_is_signed_with_the_hospitals_name():
    from clinics.followups.notify import sms_text

    with translation.override("zh-hans"):
        assert sms_text("复诊提醒", "明天 9:00") == "【沈阳云医院】复诊提醒 明天 9:00"


def test_a_domain_error_reaches_the_api_in_chinese(api_as, world):
    response = api_as(world.alice.user).post("/consultations", {
        "patient_id": world.pat.pk, "invited_institution_id": world.centre_a.pk,
        "specialist_id": world.sam.pk, "reason": "r", "clinical_question": "q",
        "record_summary": "s"})
    assert response.status_code == 422
    assert response.json()["message"] == "请邀请其他机构"


def test_a_domain_error_is_english_on_request(world):
    from clinics.consultations import actions
    from cloudhospital.core.errors import InvalidInput

    details = actions.RequestDetails(
        patient=world.pat, invited_institution=world.centre_a, specialist=world.sam,
        reason="r", clinical_question="q", record_summary="s")
    with translation.override("en"):
        try:
            actions.create_request(world.alice.user, details)
        except InvalidInput as exc:
            assert exc.message == "invite another institution"
        else:
            raise AssertionError("not refused")
