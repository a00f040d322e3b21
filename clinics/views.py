"""The page every role starts from (home sends each to their page), and the error page."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from clinics.access import patient_of, staff_of
from cloudhospital.core.errors import DomainError


@login_required
def home(request):
    """Send each person to the page of their role."""
    if patient_of(request.user) is not None:
        return redirect("consultations:patient_home")
    if staff_of(request.user) is None and request.user.is_staff:
        return redirect("admin:index")
    return redirect("consultations:consultation_list")


def page_error(request: HttpRequest, exc: DomainError,
               status: int | None = None) -> HttpResponse:
    return render(request, "clinics/error.html", {"error": exc}, status=status or exc.status)
