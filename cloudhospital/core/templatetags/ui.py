"""Template helpers of the design system: the main menu and the people-facing formats."""

from __future__ import annotations

from django import template
from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from cloudhospital.core import display

register = template.Library()

register.filter("when", display.when)
register.filter("condition", display.condition_name)
register.filter("sex", display.sex_label)

# (url name, label, who sees it). Apps merged later (referrals, prescriptions) appear
# once their URLs exist; until then the entry is skipped, not broken.
MENU = [
    ("clinics:home", _("Workbench"), {"clinic_doctor", "specialist", "coordinator", "patient"}),
    ("consultations:consultation_list", _("Consultations"),
     {"clinic_doctor", "specialist", "coordinator"}),
    ("consultations:consultation_new", _("New request"), {"clinic_doctor"}),
    ("followups:desk", _("Follow-up desk"), {"clinic_doctor", "specialist"}),
    ("imaging:studies", _("Imaging"), {"clinic_doctor", "specialist", "coordinator"}),
    ("referrals:list", _("Referrals"), {"clinic_doctor", "specialist", "coordinator"}),
    ("prescriptions:home", _("Prescriptions"), {"clinic_doctor", "specialist", "coordinator",
                                                "pharmacist", "patient"}),
    ("clinics:patient_search", _("Patients"), {"clinic_doctor", "specialist", "coordinator",
                                               "pharmacist"}),
    ("consultations:patient_home", _("My records"), {"patient"}),
    ("followups:home", _("My follow-up"), {"patient"}),
]


def role_of(user) -> str:
    """The menu role: a staff member's role, 'patient', or '' (admin-only accounts)."""
    for attr in ("staff", "patient"):
        try:
            person = getattr(user, attr)
        except (ObjectDoesNotExist, AttributeError):
            continue
        return person.role if attr == "staff" else "patient"
    return ""


def display_name(user) -> str:
    """People by their real name: a staff member's or patient's name, not the username."""
    try:
        return user.staff.real_name
    except (ObjectDoesNotExist, AttributeError):
        pass
    try:
        return user.patient.name
    except (ObjectDoesNotExist, AttributeError):
        pass
    return user.get_full_name() or user.get_username()


@register.simple_tag(takes_context=True)
def main_menu(context) -> list[dict]:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return []
    role = role_of(user)
    path = request.path
    items = []
    for name, label, roles in MENU:
        if role not in roles:
            continue
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        active = path == url if url == "/" else path.startswith(url)
        items.append({"url": url, "label": label, "active": active, "name": name})
    # The longest matching prefix is the current page (/consultations/new/ is not also
    # /consultations/).
    current = max((i for i in items if i["active"]), key=lambda i: len(i["url"]), default=None)
    for i in items:
        i["active"] = i is current
    if user.is_staff and "django.contrib.admin" in settings.INSTALLED_APPS:
        items.append({"url": reverse("admin:index"), "label": _("Administration"),
                      "active": False, "name": "admin:index"})
    return items


@register.simple_tag(takes_context=True)
def person_name(context) -> str:
    request = context.get("request")
    user = getattr(request, "user", None)
    return display_name(user) if user is not None and user.is_authenticated else ""
