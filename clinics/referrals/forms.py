"""Forms for the referral pages; the rules themselves live in ``actions`` and ``rules``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from clinics.consultations.models import ConsentMethod, Consultation, Relation, Urgency
from clinics.models import Department, Institution, Patient, Role, Staff

if TYPE_CHECKING:
    from django.utils.functional import _StrOrPromise


def _when(label: _StrOrPromise, required: bool = False) -> forms.DateTimeField:
    return forms.DateTimeField(label=label, required=required,
                               widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))


def _area(label: _StrOrPromise, rows: int = 3, required: bool = True,
          max_length: int = 20000) -> forms.CharField:
    return forms.CharField(label=label, required=required, max_length=max_length,
                           widget=forms.Textarea(attrs={"rows": rows}))


class ReferralForm(forms.Form):
    """One form for both directions; the downward fields are shown to hospital doctors."""

    patient: forms.ModelChoiceField[Patient] = forms.ModelChoiceField(
        queryset=None, label=_("Patient"))
    to_institution: forms.ModelChoiceField[Institution] = forms.ModelChoiceField(
        queryset=None, label=_("Receiving institution"))
    to_department = forms.ModelChoiceField(queryset=Department.objects.select_related(
        "institution"), required=False, label=_("Department"))
    to_doctor: forms.ModelChoiceField[Staff] = forms.ModelChoiceField(
        queryset=None, required=False, label=_("Doctor"))
    urgency = forms.ChoiceField(choices=Urgency.choices, label=_("Urgency"))
    reason = _area(_("Reason for referral"), 2, max_length=5000)
    summary = _area(_("Clinical summary"), 4)
    medication = _area(_("Current medication"), 2, required=False, max_length=5000)
    consultation: forms.ModelChoiceField[Consultation] = forms.ModelChoiceField(
        queryset=None, required=False, label=_("From consultation (optional)"))
    discharge_summary = _area(_("Discharge summary"), 4, required=False)
    diagnosis_icd10 = forms.CharField(label=_("Diagnosis made in person (ICD-10)"),
                                      max_length=10, required=False)
    diagnosis_name = forms.CharField(label=_("Diagnosis name"), max_length=100, required=False)
    followup_condition = forms.CharField(label=_("Follow-up condition (ICD-10)"),
                                         max_length=10, required=False)
    followup_interval_days = forms.IntegerField(label=_("Follow-up interval (days)"),
                                                min_value=1, max_value=366, required=False)
    followup_targets = forms.CharField(label=_("Follow-up targets"), max_length=2000,
                                       required=False)

    DOWN_FIELDS = ["discharge_summary", "diagnosis_icd10", "diagnosis_name",
                   "followup_condition", "followup_interval_days", "followup_targets"]

    def __init__(self, *args: Any, staff: Staff, patients: QuerySet[Patient],
                 consultations: QuerySet[Consultation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.direction = "up" if staff.institution.is_grassroots else "down"
        cast(forms.ModelChoiceField[Patient], self.fields["patient"]).queryset = patients
        cast(forms.ModelChoiceField[Consultation],
             self.fields["consultation"]).queryset = consultations
        receivers = Institution.objects.exclude(pk=staff.institution_id)
        receivers = (receivers.exclude(care_level="grassroots") if self.direction == "up"
                     else receivers.filter(care_level="grassroots"))
        cast(forms.ModelChoiceField[Institution],
             self.fields["to_institution"]).queryset = receivers
        role = Role.SPECIALIST if self.direction == "up" else Role.CLINIC_DOCTOR
        cast(forms.ModelChoiceField[Staff],
             self.fields["to_doctor"]).queryset = Staff.objects.filter(
            role=role, institution__in=receivers).select_related("institution")
        if self.direction == "up":
            for name in self.DOWN_FIELDS:
                del self.fields[name]


class ConsentForm(forms.Form):
    signed_by = forms.CharField(max_length=100, label=_("Signed by"))
    relation = forms.ChoiceField(choices=Relation.choices, label=_("Relation to patient"))
    signed_at = _when(_("Signed at"), required=True)
    method = forms.ChoiceField(choices=ConsentMethod.choices, label=_("How"))


class AcceptForm(forms.Form):
    appointment_at = _when(_("Outpatient time"))
    ward = forms.CharField(max_length=100, required=False, label=_("or admit to ward"))
    admit_at = _when(_("Admission time"))
    location = forms.CharField(max_length=200, required=False, label=_("Where to go"))
    bring = forms.CharField(max_length=2000, required=False, label=_("Also bring"))


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=2000, label=_("Reason"))


class CompleteForm(forms.Form):
    discharge_summary = _area(_("Discharge summary"), 4, required=False)
    diagnosis_icd10 = forms.CharField(label=_("Diagnosis made in person (ICD-10)"),
                                      max_length=10, required=False)
    diagnosis_name = forms.CharField(label=_("Diagnosis name"), max_length=100, required=False)
    treatment = _area(_("Treatment"), 2, required=False)
    medication = _area(_("Medication on discharge"), 2, required=False, max_length=5000)
    advice = _area(_("Advice"), 2, required=False, max_length=5000)


def diagnoses_from(data: dict[str, Any]) -> list[dict[str, Any]]:
    code, name = (data.get("diagnosis_icd10") or "").strip(), (data.get("diagnosis_name")
                                                               or "").strip()
    return [{"icd10": code.upper(), "name": name or code}] if code else []
