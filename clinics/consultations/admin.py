from django.contrib import admin
from django.http import HttpRequest

from clinics.admin import AuditedReadsMixin
from clinics.consultations import models


@admin.register(models.Consultation)
class ConsultationAdmin(AuditedReadsMixin, admin.ModelAdmin[models.Consultation]):
    list_display = ["id", "patient", "status", "urgency", "invited_institution", "scheduled_at"]
    list_filter = ["status", "urgency"]
    readonly_fields = [f.name for f in models.Consultation._meta.fields]

    def has_delete_permission(self, request: HttpRequest,
                              obj: models.Consultation | None = None) -> bool:
        return False  # retention: never hard-deleted from the admin

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # requests go through the workflow (consent, licence checks)
