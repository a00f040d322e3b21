from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsultationsConfig(AppConfig):
    name = "clinics.consultations"
    label = "consultations"
    verbose_name = _("Remote consultation")

    def ready(self) -> None:
        # Models are loaded only once ready() runs, so these imports live here.
        from clinics.access import register_patient_source
        from clinics.consultations import notifications
        from clinics.consultations.access import consulted_patients
        from clinics.consultations.rooms import resolve_consultation
        from clinics.consultations.workbench import consultation_panel
        from clinics.workbench import register_panel
        from cloudhospital.core.rooms import register_room_kind

        register_room_kind("consultation", resolve_consultation)
        register_patient_source("consultations", consulted_patients)
        register_panel("consultations", consultation_panel)
        notifications.connect_signals()
