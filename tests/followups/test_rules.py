"""One test per rule in clinics/followups/rules.py (and that settings change them)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from clinics.followups import rules
from clinics.followups.rules import Readings
from cloudhospital.core import jobs

T0 = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)


def test_managed_conditions_include_hypertension_diabetes_ihd_and_copd():
    for code in ["I10", "E11", "I25", "J44", "e11.9", "I25.1"]:
        assert rules.is_managed_condition(code)
    assert not rules.is_managed_condition("J45")
    assert rules.condition_code("E11.9") == "E11"


def test_blood_pressure_at_or_above_140_over_90_is_out_of_target():
    assert rules.bp_out_of_target(Readings(systolic=140, diastolic=80))
    assert rules.bp_out_of_target(Readings(systolic=130, diastolic=90))
    assert not rules.bp_out_of_target(Readings(systolic=139, diastolic=89))
    assert not rules.bp_out_of_target(Readings())


def test_fasting_glucose_at_or_above_7_is_out_of_target():
    assert rules.glucose_out_of_target(Readings(glucose=Decimal("7.0")))
    assert not rules.glucose_out_of_target(Readings(glucose=Decimal("6.9")))
    assert rules.out_of_target_reasons(Readings(systolic=150, glucose=Decimal("8"))) == [
        "blood_pressure", "glucose"]
    assert rules.out_of_target_reasons(Readings(systolic=120, diastolic=70)) == []


def test_stable_patients_come_back_in_3_months_uncontrolled_in_2_weeks():
    assert rules.next_interval_days(out_of_target=False) == 90
    assert rules.next_interval_days(out_of_target=True) == 14
    assert rules.next_interval_days(out_of_target=True, override=30) == 30


def test_intervals_and_limits_are_settings(settings):
    settings.FOLLOWUP_STABLE_INTERVAL_DAYS = 60
    settings.FOLLOWUP_UNCONTROLLED_INTERVAL_DAYS = 7
    settings.FOLLOWUP_SYSTOLIC_LIMIT = 130
    settings.FOLLOWUP_GLUCOSE_LIMIT = "6.1"
    assert rules.next_interval_days(False) == 60
    assert rules.next_interval_days(True) == 7
    assert rules.bp_out_of_target(Readings(systolic=130))
    assert rules.glucose_out_of_target(Readings(glucose=Decimal("6.1")))


def test_urgent_means_hypertensive_urgency_or_very_high_glucose():
    assert rules.is_urgent(Readings(systolic=182, diastolic=95))
    assert rules.is_urgent(Readings(glucose=Decimal("17.2")))
    assert not rules.is_urgent(Readings(systolic=150, diastolic=95))
    assert not rules.is_urgent(None)


def test_booking_closes_at_the_booking_cutoff(settings):
    settings.FOLLOWUP_BOOKING_CUTOFF_MINUTES = 10
    assert rules.may_book(T0 + dt.timedelta(minutes=10), T0)
    assert not rules.may_book(T0 + dt.timedelta(minutes=9), T0)


def test_reschedule_and_cancel_close_at_the_change_cutoff(settings):
    settings.FOLLOWUP_CHANGE_CUTOFF_MINUTES = 120
    assert rules.may_change(T0 + dt.timedelta(hours=2), T0)
    assert not rules.may_change(T0 + dt.timedelta(minutes=119), T0)


def test_check_in_opens_30_minutes_before_and_closes_at_the_no_show_time():
    opens, closes = rules.check_in_window(T0)
    assert T0 - opens == dt.timedelta(minutes=30)
    assert closes - T0 == dt.timedelta(minutes=15)
    assert rules.no_show_at(T0) == closes


def test_reminders_24h_and_1h_before():
    start = T0 + dt.timedelta(days=3)
    assert rules.reminder_times(start, T0) == [("24h", start - dt.timedelta(hours=24)),
                                               ("1h", start - dt.timedelta(hours=1))]


def test_a_late_booking_gets_only_the_closest_reminder_now():
    start = T0 + dt.timedelta(minutes=30)
    assert rules.reminder_times(start, T0) == [("1h", start - dt.timedelta(hours=1))]
    start = T0 + dt.timedelta(hours=5)
    assert rules.reminder_times(start, T0) == [("24h", start - dt.timedelta(hours=24)),
                                               ("1h", start - dt.timedelta(hours=1))]
    assert rules.reminder_times(T0 - dt.timedelta(minutes=1), T0) == []


def test_expected_wait_counts_people_ahead_but_never_before_the_slot():
    assert rules.expected_wait_minutes(1, T0, T0, 15) == 0
    assert rules.expected_wait_minutes(3, T0, T0, 15) == 30
    assert rules.expected_wait_minutes(1, T0 + dt.timedelta(minutes=20), T0, 15) == 20


def test_retries_back_off_exponentially_up_to_an_hour(settings):
    settings.FOLLOWUP_JOB_BACKOFF_SECONDS = 30
    assert [jobs.retry_delay(n).total_seconds() for n in (1, 2, 3)] == [30, 60, 120]
    assert jobs.retry_delay(20).total_seconds() == 3600
