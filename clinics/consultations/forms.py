"""Forms for the pages; validation beyond field types lives in ``clinics.consultations.actions``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from clinics.consultations.models import ConsentMethod, Relation, Urgency
from clinics.models import Department, Institution, Patient, Role, Staff


class RequestForm(forms.Form):
    patient: forms.ModelChoiceField[Patient] = forms.ModelChoiceField(
        queryset=Patient.objects.none(), label=_("Patient"))
    invited_institution = forms.ModelChoiceField(queryset=Institution.objects.all(),
                                                 label=_("Invited institution"))
    specialist = forms.ModelChoiceField(
        queryset=Staff.objects.filter(role=Role.SPECIALIST).select_related("institution"),
        required=False, label=_("Specialist"))
    department = forms.ModelChoiceField(queryset=Department.objects.all(), required=False,
                                        label=_("or department"))
    urgency = forms.ChoiceField(choices=Urgency.choices, label=_("Urgency"))
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}),
                             label=_("Reason and purpose"))
    clinical_question = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}),
                                        label=_("Clinical question"))
    record_summary = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}),
                                     label=_("Summary of the record"))
    proposed_time = forms.DateTimeField(
        required=False, label=_("Proposed time"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))

    def __init__(self, *args: Any, patients: QuerySet[Patient] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["patient"].queryset = patients  # type: ignore[attr-defined]


class ConsentForm(forms.Form):
    signed_by = forms.CharField(max_length=100, label=_("Signed by"))
    relation = forms.ChoiceField(choices=Relation.choices, label=_("Relation to patient"))
    signed_at = forms.DateTimeField(label=_("Signed at"),
                                    widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    method = forms.ChoiceField(choices=ConsentMethod.choices, label=_("How"))
    recording_allowed = forms.BooleanField(required=False, label=_("Allows recording"))


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=2000, label=_("Reason"))


class ScheduleForm(forms.Form):
    scheduled_at = forms.DateTimeField(label=_("Time"),
                                       widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))


class ReportForm(forms.Form):
    findings = forms.CharField(widget=forms.Textarea(attrs={"rows": 6}), label=_("Findings"))
    opinion = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), label=_("Opinion"))
    recommendations = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False,
                                      label=_("Recommendations"))
