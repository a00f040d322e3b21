"""The page every role starts from (home sends each to their page), and the error page."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from clinics import workbench
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
