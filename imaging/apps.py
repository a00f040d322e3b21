from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImagingConfig(AppConfig):
    name = "imaging"
    verbose_name = _("Imaging")

    def ready(self) -> None:
        # Registers the blob rotator with cloudhospital.security.rotation (rotate_keys).
        from imaging import store  # noqa: F401
