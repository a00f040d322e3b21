"""Admin pages: registered AEs (who may C-STORE), the index, and the quarantine."""

from django.contrib import admin

from imaging import models


@admin.register(models.RemoteAE)
class RemoteAEAdmin(admin.ModelAdmin):
    list_display = ["ae_title", "institution", "description", "active"]
    list_filter = ["active", "institution"]
    search_fields = ["ae_title"]


@admin.register(models.Study)
class StudyAdmin(admin.ModelAdmin):
    list_display = ["study_instance_uid", "study_date", "institution", "accession_number",
                    "received_at"]
    list_filter = ["institution"]
    search_fields = ["study_instance_uid", "accession_number"]
    readonly_fields = [f.name for f in models.Study._meta.fields]


@admin.register(models.QuarantinedItem)
class QuarantinedItemAdmin(admin.ModelAdmin):
    """Read-only: what was refused, from whom, and why (the bytes stay encrypted)."""

    list_display = ["received_at", "reason", "source", "sender", "institution",
                    "sop_instance_uid", "size"]
    list_filter = ["reason", "source"]
    search_fields = ["sop_instance_uid", "sender", "message"]
    readonly_fields = [f.name for f in models.QuarantinedItem._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(models.StudyShare)
class StudyShareAdmin(admin.ModelAdmin):
    list_display = ["study", "consultation", "shared_by", "created_at"]
    readonly_fields = ["study", "consultation", "shared_by", "created_at"]


admin.site.register(models.DeidentifiedCopy)
