from django.contrib import admin

from clinics import models


@admin.register(models.Institution)
class InstitutionAdmin(admin.ModelAdmin):
    list_display = ["name", "care_level", "city"]


@admin.register(models.Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["name", "institution", "specialty"]


@admin.register(models.CloudClinic)
class CloudClinicAdmin(admin.ModelAdmin):
    list_display = ["name", "institution", "location"]


@admin.register(models.Staff)
class StaffAdmin(admin.ModelAdmin):
    list_display = ["real_name", "role", "institution", "licence_number", "licence_verified"]
    list_filter = ["role", "licence_verified"]


@admin.register(models.Patient)
class PatientAdmin(admin.ModelAdmin):
    list_display = ["name", "sex", "date_of_birth", "home_institution"]
    exclude = ["national_id_hash"]


@admin.register(models.Consultation)
class ConsultationAdmin(admin.ModelAdmin):
    list_display = ["id", "patient", "status", "urgency", "invited_institution", "scheduled_at"]
    list_filter = ["status", "urgency"]
    readonly_fields = [f.name for f in models.Consultation._meta.fields]

    def has_delete_permission(self, request, obj=None):
        return False  # retention: never hard-deleted from the admin

    def has_add_permission(self, request):
        return False  # requests go through the workflow (consent, licence checks)
