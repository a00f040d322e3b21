from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FollowupsConfig(AppConfig):
    name = "clinics.followups"
    label = "followups"
    verbose_name = _("Chronic-disease follow-up")

    def ready(self) -> None:
        from clinics.followups import jobs

        jobs.connect_signals()
        _register_room_kind()


def _register_room_kind() -> None:
    """Let the live-consultation room serve follow-up visits, when that app offers it."""
    try:
        from signaling.rooms import register_room_kind
    except ImportError:
        return
    from clinics.followups.visits import visit_room

    register_room_kind("visit", visit_room)
