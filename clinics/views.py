"""The page every role starts from (home sends each to their page), the staff's patient
search, and the error page."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from clinics import actions, workbench
from clinics.access import staff_of
from cloudhospital.core.errors import DomainError


@login_required
def home(request):
    """Each person's workbench: per role, what waits and the next action."""
    role, person, panels = workbench.panels_for(request.user)
    if not role:
        if request.user.is_staff:
            return redirect("admin:index")
        return redirect("consultations:consultation_list")
    return render(request, "clinics/workbench.html",
                  {"role": role, "person": person, "panels": panels})


def page_error(request: HttpRequest, exc: DomainError,
               status: int | None = None) -> HttpResponse:
    return render(request, "clinics/error.html", {"error": exc}, status=status or exc.status)


@login_required
def patient_search(request: HttpRequest) -> HttpResponse:
    """Staff find their patients by the start of the name (keyed tokens, see
    ``clinics.patient_names``) or, ticked, by the exact name."""
    if staff_of(request.user) is None:
        raise Http404
    text = request.GET.get("name")
    exact = request.GET.get("exact") == "1"
    patients = None
    if text is not None:
        try:
            patients = actions.search_patients_by_name(request.user, text, exact=exact,
                                                       request=request)
        except DomainError as exc:
            return page_error(request, exc)
    return render(request, "clinics/patient_search.html",
                  {"patients": patients, "name": text or "", "exact": exact})
