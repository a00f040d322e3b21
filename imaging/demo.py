"""Demo imaging data: the scanner ``DEMO_CT`` belongs to the demo clinic doctor's centre."""

from __future__ import annotations

from clinics.models import Staff
from imaging.models import RemoteAE

DEMO_AE = "DEMO_CT"


def seed_demo(password: str) -> bool:
    """Called by cloudhospital/core/demo.py after the people exist; adds no accounts."""
    seed_imaging()
    return False


def seed_imaging(clinic_doctor_username: str = "clinic_doctor") -> RemoteAE | None:
    """Register DEMO_CT (idempotent) to the grassroots centre of ``clinic_doctor``."""
    staff = Staff.objects.filter(user__username=clinic_doctor_username).first()
    if staff is None:
        return None
    remote, _ = RemoteAE.objects.get_or_create(
        ae_title=DEMO_AE, defaults={"institution": staff.institution,
                                    "description": "Demo CT scanner"})
    return remote
