"""The person's notification settings: in-app always; SMS on or off, and the number."""

from __future__ import annotations

import re

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clinics.followups.models import NotificationPreference

MOBILE = re.compile(r"^1[3-9]\d{9}$")


class PreferenceForm(forms.ModelForm):
    class Meta:
        model = NotificationPreference
        fields = ["sms_enabled", "phone"]
        help_texts = {"phone": gettext_lazy("An 11-digit mainland mobile number.")}

    def clean_phone(self) -> str:
        phone = re.sub(r"[\s-]", "", self.cleaned_data.get("phone") or "")
        if phone and not MOBILE.match(phone):
            raise forms.ValidationError(_("Enter an 11-digit mainland mobile number."))
        return phone

    def clean(self):
        data = super().clean()
        if data.get("sms_enabled") and not data.get("phone"):
            self.add_error("phone", _("SMS needs a mobile number."))
        return data


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    pref, _created = NotificationPreference.objects.get_or_create(
        user=request.user, defaults={"sms_enabled": False})
    form = PreferenceForm(request.POST or None, instance=pref)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Saved: SMS notifications are %(state)s.") % {
            "state": _("on") if form.instance.sms_enabled else _("off")})
        return redirect("followups:preferences")
    return render(request, "followups/preferences.html", {"form": form})
