"""The consultation list people browse: search, a status filter and pages (no row cap).

The page view stays thin: it passes the query string here and renders the page."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db.models import Q
from django.http import QueryDict

from clinics import patient_names
from clinics.access import MaybeRequest, User
from clinics.consultations.access import visible_consultations
from clinics.consultations.models import Consultation, Status
from clinics.models import PatientNameToken
from cloudhospital.security import audit

PAGE_SIZE = 25
MAX_QUERY = 100


@dataclass
class Listing:
    page: Page[Consultation]
    q: str
    status: str
    querystring_base: str  # the filters, for the page links ("q=..&status=..&")


def browse(user: User, params: QueryDict, *, request: MaybeRequest = None) -> Listing:
    """One page of what ``user`` may see, filtered; the read is audited with its count."""
    q = (params.get("q") or "").strip()[:MAX_QUERY]
    status = params.get("status") or ""
    if status not in Status.values:
        status = ""
    qs = visible_consultations(user).select_related(
        "patient", "requested_by", "specialist", "inviting_institution",
        "invited_institution", "invited_department")
    if status:
        qs = qs.filter(status=status)
    if q:
        # Patient names are encrypted: they match by the keyed token of their start (the
        # first PREFIX_CHARS characters of q), never by SQL on the name.
        token = patient_names.prefix_token(patient_names.normalise(q))
        named = PatientNameToken.objects.filter(token=token).values("patient")
        qs = qs.filter(Q(patient__in=named) | Q(requested_by__real_name__icontains=q)
                       | Q(specialist__real_name__icontains=q)
                       | Q(inviting_institution__name__icontains=q)
                       | Q(invited_institution__name__icontains=q))
    page = Paginator(qs, PAGE_SIZE).get_page(params.get("page"))
    audit.record(user, "consultation.list", object_type="consultations.consultation",
                 object_id="*", request=request, count=len(page.object_list))
    keep = QueryDict(mutable=True)
    if q:
        keep["q"] = q
    if status:
        keep["status"] = status
    base = keep.urlencode()
    return Listing(page=page, q=q, status=status, querystring_base=f"{base}&" if base else "")
