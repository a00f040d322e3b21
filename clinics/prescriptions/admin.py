from django.contrib import admin
from django.http import HttpRequest

from clinics.prescriptions import models


@admin.register(models.Drug)
class DrugAdmin(admin.ModelAdmin[models.Drug]):
    list_display = ["code", "name", "form", "strength", "route", "narcotic", "psychotropic",
                    "toxic", "radioactive", "high_risk", "active"]
    list_filter = ["active", "narcotic", "psychotropic", "toxic", "radioactive", "high_risk"]
    search_fields = ["code", "name"]


@admin.register(models.Prescription)
class PrescriptionAdmin(admin.ModelAdmin[models.Prescription]):
    """Read-only: prescriptions change only through actions (signed ones never)."""

    list_display = ["id", "patient", "doctor", "institution", "status", "created_at"]
    list_filter = ["status", "long_term"]

    def has_change_permission(self, request: HttpRequest,
                              obj: models.Prescription | None = None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest,
                              obj: models.Prescription | None = None) -> bool:
        return False
