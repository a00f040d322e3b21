"""The online-prescribing rules, each a plain function with its source (tests in
tests/prescriptions/test_rules.py, one per rule and refusal; docs/prescriptions.md).

Sources:
- 互联网诊疗管理办法（试行）(国卫医发〔2018〕25号), "办法2018"
- 互联网诊疗监管细则（试行）(国卫办医发〔2022〕2号), "细则2022"
- 处方管理办法 (卫生部令第53号, 2007)
- 长期处方管理规范（试行）(国卫办医发〔2021〕17号), "长期处方2021"

Each function raises the refusal (errors.py) with a message that names the rule, so the
doctor's page can show why; numbers are settings (PRESCRIPTION_* in settings.py).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from clinics.followups import rules as followup_rules
from clinics.followups.models import FollowUpPlan, PlanStatus, Visit, VisitStatus
from clinics.models import Diagnosis, Patient, Staff
from clinics.prescriptions.errors import (
    GuardianRequired,
    LicenceRequired,
    NotEligible,
    RestrictedDrug,
    TooLong,
    TooManyItems,
)
from clinics.prescriptions.models import Drug

SOURCE_2018 = "互联网诊疗管理办法（试行）"
SOURCE_2022 = "互联网诊疗监管细则（试行）"
SOURCE_RX = "处方管理办法"
SOURCE_LONG = "长期处方管理规范（试行）"


@dataclass(frozen=True)
class ItemIn:
    """One item as the doctor asks for it (validated in shape by the API/page)."""

    drug: Drug
    dose: Decimal
    unit: str
    frequency: str
    route: str
    days: int
    quantity: int


def diagnosed_in_person(plan: FollowUpPlan) -> Diagnosis:
    """Online prescribing only for a chronic condition diagnosed in person at an
    institution, and only for that same diagnosis (复诊, never 首诊).

    Source: 互联网诊疗管理办法（试行）2018 第十六条、第十九条; 互联网诊疗监管细则（试行）2022
    (在线开具处方前确定患者在实体医疗机构明确诊断).
    """
    diagnosis = plan.in_person_diagnosis()
    if plan.status != PlanStatus.ACTIVE or diagnosis is None:
        raise NotEligible(
            _("%(condition)s was not diagnosed in person at an institution: online "
              "prescriptions are only for a follow-up of an in-person diagnosis (%(source)s).")
            % {"condition": plan.condition, "source": SOURCE_2018}, rule="in_person_diagnosis")
    return diagnosis


def in_follow_up_visit(doctor: Staff, visit: Visit, now: dt.datetime | None = None) -> None:
    """Prescribed in an online follow-up visit of the plan, by that visit's doctor, while
    it runs or within PRESCRIPTION_VISIT_WINDOW_HOURS of its end.

    Source: 互联网诊疗管理办法（试行）2018 第十六条 (在线复诊); 细则2022 (处方应由接诊医师本人开具).
    """
    now = now or timezone.now()
    window = dt.timedelta(hours=settings.PRESCRIPTION_VISIT_WINDOW_HOURS)
    running = visit.status == VisitStatus.IN_CONSULTATION
    just_done = (visit.status == VisitStatus.COMPLETED and visit.completed_at is not None
                 and now - visit.completed_at <= window)
    if visit.doctor_id != doctor.pk or not (running or just_done):
        raise NotEligible(
            _("Prescribe during the follow-up visit you are holding (or within %(hours)s "
              "hours of its end): the prescription is written by the doctor who sees the "
              "patient (%(source)s).") % {"hours": settings.PRESCRIPTION_VISIT_WINDOW_HOURS,
                                          "source": SOURCE_2022}, rule="in_visit")


def answers_request_by_plan_doctor(doctor: Staff, plan: FollowUpPlan) -> None:
    """A renewal request is answered by the plan's responsible doctor only.

    Source: 细则2022 (处方应由接诊医师本人开具); the plan doctor holds the patient's record.
    """
    if plan.doctor_id != doctor.pk:
        raise NotEligible(
            _("Only the doctor responsible for this follow-up plan answers its renewal "
              "requests (%(source)s).") % {"source": SOURCE_2022}, rule="plan_doctor")


def indicated_for_managed_condition(drug: Drug, patient: Patient, plan: FollowUpPlan) -> None:
    """Every drug must treat one of the patient's conditions under online follow-up
    (the catalogue maps drugs to ICD-10 categories), diagnosed in person.

    Source: 办法2018 第十六条 (针对相同诊断进行复诊); 细则2022 (针对相同诊断的疾病在线开具处方).
    """
    managed = {followup_rules.condition_code(p.condition)
               for p in FollowUpPlan.objects.filter(patient=patient, status=PlanStatus.ACTIVE)
               if p.in_person_diagnosis() is not None}
    managed.add(followup_rules.condition_code(plan.condition))
    if not managed & {followup_rules.condition_code(c) for c in drug.conditions}:
        raise NotEligible(
            _("%(drug)s is not indicated for a condition this patient is followed up for "
              "online (%(conditions)s): online prescriptions renew the treatment of an "
              "in-person diagnosis only (%(source)s).") % {
                "drug": drug.name, "conditions": ", ".join(sorted(managed)),
                "source": SOURCE_2022}, rule="indication", drug_code=drug.code)


def not_restricted(drug: Drug) -> None:
    """No narcotic, psychotropic, medical toxic or radioactive drug and no other
    specially controlled or flagged high-risk drug is prescribed online.

    Source: 办法2018 第二十条 (不得开具麻醉药品、精神药品等特殊管理药品的处方); 细则2022
    (麻醉药品、精神药品、医疗用毒性药品、放射性药品等特殊管理药品); 长期处方2021 (不得用于长期处方).
    """
    if drug.restricted:
        labels = {"narcotic": _("narcotic"), "psychotropic": _("psychotropic"),
                  "toxic": _("medical toxic"), "radioactive": _("radioactive"),
                  "high_risk": _("high-risk or specially controlled")}
        kinds = "、".join(str(labels[f]) for f in drug.restrictions)
        raise RestrictedDrug(
            _("%(drug)s is a %(kinds)s drug: it may not be prescribed online (%(source)s, "
              "rule: no specially controlled drugs online).") % {
                "drug": drug.name, "kinds": kinds, "source": SOURCE_2018},
            rule="restricted_drug", drug_code=drug.code, flags=drug.restrictions)


def supply_allowed(items: list[ItemIn], long_term: bool, stable: bool) -> None:
    """At most 4 weeks (28 days) of supply; a long-term prescription (长期处方) up to 12
    weeks (84 days) only when the doctor marks it long-term and the patient is stable
    (the plan's last readings in target).

    Source: 长期处方管理规范（试行）2021 (处方量一般在4周内；病情稳定的患者适当延长，
    最长不超过12周);
    处方管理办法2007 第十九条 (慢性病处方用量可适当延长，医师应当注明理由).
    """
    longest = max((i.days for i in items), default=0)
    limit = settings.PRESCRIPTION_MAX_DAYS
    if long_term and stable:
        limit = settings.PRESCRIPTION_LONG_TERM_MAX_DAYS
    if longest > limit:
        if long_term and not stable:
            why = _("a long-term prescription needs a stable patient (last follow-up "
                    "readings in target)")
        elif long_term:
            why = _("a long-term prescription covers at most %(days)s days") % {
                "days": settings.PRESCRIPTION_LONG_TERM_MAX_DAYS}
        else:
            why = _("a prescription covers at most %(days)s days unless marked long-term "
                    "for a stable patient") % {"days": settings.PRESCRIPTION_MAX_DAYS}
        raise TooLong(
            _("%(days)s days is too long: %(why)s (%(source)s).") % {
                "days": longest, "why": why, "source": SOURCE_LONG},
            rule="supply_days", limit=limit)


def is_stable(plan: FollowUpPlan) -> bool:
    """The plan's last completed visit had readings, all in target."""
    last = plan.visits.filter(status=VisitStatus.COMPLETED).order_by("-completed_at").first()
    if last is None or last.out_of_target:
        return False
    readings = followup_rules.Readings(systolic=last.systolic, diastolic=last.diastolic,
                                       glucose=last.glucose)
    measured = any(v is not None for v in (last.systolic, last.diastolic, last.glucose))
    return measured and not followup_rules.out_of_target_reasons(readings)


def age_on(born: dt.date, day: dt.date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def guardian_for_young_child(patient: Patient, guardian_present: bool,
                             today: dt.date | None = None) -> None:
    """Children under 6: only when the doctor confirms a guardian is present.

    Source: 办法2018 第二十条 (为低龄儿童（6岁以下）开具互联网儿童用药处方时，应当确认患儿有监护人和
    相关专业医师陪伴); 细则2022.
    """
    today = today or timezone.localdate()
    if age_on(patient.date_of_birth, today) < settings.PRESCRIPTION_GUARDIAN_AGE \
            and not guardian_present:
        raise GuardianRequired(
            _("The patient is under %(age)s: confirm that a guardian is present "
              "(%(source)s).") % {"age": settings.PRESCRIPTION_GUARDIAN_AGE,
                                  "source": SOURCE_2018}, rule="guardian")


def at_most_five_items(items: list[Any]) -> None:
    """At most 5 drugs on one prescription, and at least one.

    Source: 处方管理办法2007 第六条 (每张处方不得超过5种药品).
    """
    if not items:
        raise TooManyItems(_("Add at least one drug."), rule="items")
    if len(items) > settings.PRESCRIPTION_MAX_ITEMS:
        raise TooManyItems(
            _("At most %(n)s drugs on one prescription (%(source)s).") % {
                "n": settings.PRESCRIPTION_MAX_ITEMS, "source": SOURCE_RX}, rule="items")


def real_name_licensed_doctor(doctor: Staff) -> None:
    """Signed only by a doctor with a real name and a verified practising licence.

    Source: 细则2022 (所有在线诊断、处方必须有医师电子签名); 处方管理办法2007 第八条 (经注册的执业
    医师在执业地点取得相应的处方权).
    """
    if not (doctor.is_doctor and doctor.real_name.strip() and doctor.may_practise):
        raise LicenceRequired(
            _("Only a doctor with a real name and a verified practising licence signs "
              "prescriptions (%(source)s).") % {"source": SOURCE_2022}, rule="licence")


def institution_pharmacist(pharmacist: Staff, institution_id: int) -> None:
    """The review (处方审核) is done by a licensed pharmacist of the prescribing
    institution before the prescription is valid.

    Source: 细则2022 (处方经药师审核合格后方可生效); 办法2018 第十九条; 处方管理办法2007 第三十五条.
    """
    from clinics.models import Role

    if (pharmacist.role != Role.PHARMACIST or pharmacist.institution_id != institution_id
            or not pharmacist.may_practise):
        raise LicenceRequired(
            _("Only a licensed pharmacist of the prescribing institution reviews this "
              "prescription (%(source)s).") % {"source": SOURCE_2022}, rule="pharmacist")
