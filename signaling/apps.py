"""WebRTC signaling over Channels, ICE/TURN credentials, the aiortc client and recorder."""
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SignalingConfig(AppConfig):
    name = "signaling"
    verbose_name = _("Live consultation")

    def ready(self) -> None:
        from signaling.consultation_rooms import resolve_consultation
        from signaling.rooms import register_room_kind

        register_room_kind("consultation", resolve_consultation)
