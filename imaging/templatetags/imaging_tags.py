"""``{% consultation_studies c %}``: the consultation's studies the viewer may open."""

from django import template

from clinics import identity as identity_rules
from clinics.access import staff_of
from clinics.models import Role
from imaging import sharing, viewing

register = template.Library()


@register.inclusion_tag("imaging/consultation_studies.html", takes_context=True)
def consultation_studies(context, consultation):
    user = context["request"].user
    staff = staff_of(user)
    studies = list(sharing.studies_of_consultation(user, consultation)
                   .select_related("patient").prefetch_related("series"))
    shares = {s.study_id: s for s in consultation.study_shares.filter(
        study__in=[s.pk for s in studies])}
    return {"consultation": consultation,
            "studies": [{"study": s, "identity": viewing.patient_identity(s),
                         "share": shares.get(s.pk)} for s in studies],
            "can_attach": staff is not None and consultation.is_open
            and staff.role in (Role.CLINIC_DOCTOR, Role.COORDINATOR)
            and staff.institution_id == consultation.inviting_institution_id}


@register.inclusion_tag("imaging/consultation_viewer.html", takes_context=True)
def consultation_viewer(context, consultation):
    """The consultation's first readable study in the viewer (the room's workspace), each
    study's patient line beside it, and a flag on studies attached despite a mismatch."""
    request = context["request"]
    user = request.user
    studies = list(sharing.studies_of_consultation(user, consultation)
                   .select_related("patient").order_by("received_at", "id"))
    wanted = request.GET.get("study", "")
    study = next((s for s in studies if s.study_instance_uid == wanted),
                 studies[0] if studies else None)
    if study is None:
        return {"study": None, "studies": []}
    sharing.read(user, "imaging.view", study, request=request,
                 consultation=str(consultation.pk))
    out = viewing.viewer_context(study, str(consultation.pk))
    shares = {sh.study_id: sh for sh in consultation.study_shares.all()}
    out["studies"] = [{"study": s, "identity": viewing.patient_identity(s),
                       "share": shares.get(s.pk)} for s in studies]
    return out


@register.filter
def patient_line(study) -> str:
    """``{{ study|patient_line }}``: name, 男/女, age, ID tail (clinics.identity), decoded."""
    return identity_rules.line(viewing.patient_identity(study))
