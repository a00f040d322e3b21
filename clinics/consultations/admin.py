from django.contrib import admin

from clinics.admin import AuditedReadsMixin
from clinics.consultations import models


@admin.register(models.Consultation)
class ConsultationAdmin(AuditedReadsMixin, admin.ModelAdmin):
    list_display = ["id", "patient", "status", "urgency", "invited_institution", "scheduled_at"]
    list_filter = ["status", "urgency"]
    readonly_fields = [f.name for f in models.Consultation._meta.fields]

    def has_delete_permission(self, request, obj=None):
        return False  # retention: never hard-deleted from the admin

    def has_add_permission(self, request):
        return False  # requests go through the workflow (consent, licence checks)
