"""``{% consultation_studies c %}``: the consultation's studies the viewer may open."""

from django import template

from clinics.access import staff_of
from clinics.models import Role
from imaging import sharing

register = template.Library()


@register.inclusion_tag("imaging/consultation_studies.html", takes_context=True)
def consultation_studies(context, consultation):
    user = context["request"].user
    staff = staff_of(user)
    return {"consultation": consultation,
            "studies": list(sharing.studies_of_consultation(user, consultation)
                            .prefetch_related("series")),
            "can_attach": staff is not None and consultation.is_open
            and staff.role in (Role.CLINIC_DOCTOR, Role.COORDINATOR)
            and staff.institution_id == consultation.inviting_institution_id}
