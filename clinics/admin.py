from django.contrib import admin

from clinics import models
from cloudhospital.security import audit


class AuditedReadsMixin:
    """Opening a patient's record in the admin is a read of patient data: audit it."""

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        if obj is not None:
            audit.record(request.user, f"{obj._meta.model_name}.admin_read", obj,
                         request=request)
        return super().change_view(request, object_id, form_url, extra_context)


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
class PatientAdmin(AuditedReadsMixin, admin.ModelAdmin):
    # Name and birth date are encrypted: shown, never sorted by SQL (callables, not fields).
    list_display = ["patient_name", "sex", "birth_date", "home_institution"]
    exclude = ["national_id_hash", "name_hash"]

    @admin.display(description=models.Patient._meta.get_field("name").verbose_name)
    def patient_name(self, obj):
        return obj.name

    @admin.display(description=models.Patient._meta.get_field("date_of_birth").verbose_name)
    def birth_date(self, obj):
        return obj.date_of_birth
