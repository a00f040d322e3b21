from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FollowupsConfig(AppConfig):
    name = "clinics.followups"
    label = "followups"
    verbose_name = _("Chronic-disease follow-up")

    def ready(self) -> None:
        from clinics.followups import tasks
        from clinics.followups.visits import visit_room
        from clinics.followups.workbench import followup_panel
        from clinics.workbench import register_panel
        from cloudhospital.core.rooms import register_room_kind

        tasks.connect_signals()
        register_room_kind("visit", visit_room)
        register_panel("followups", followup_panel)
