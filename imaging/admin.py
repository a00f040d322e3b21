"""Admin pages: registered AEs (who may C-STORE), the index, and the quarantine."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html

from cloudhospital.security import audit
from imaging import models, store


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
    readonly_fields = [f.name for f in models.QuarantinedItem._meta.fields] + ["original"]

    @admin.display(description="original bytes")
    def original(self, obj):
        url = reverse("admin:imaging_quarantineditem_original", args=[obj.pk])
        return format_html('<a href="{}">download ({} bytes)</a>', url, obj.size)

    def get_urls(self):
        return [path("<int:pk>/original/", self.admin_site.admin_view(self.download),
                     name="imaging_quarantineditem_original"), *super().get_urls()]

    def download(self, request, pk):
        """The refused bytes as received (decrypted), for diagnosis; audited."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        item = get_object_or_404(models.QuarantinedItem, pk=pk)
        audit.record(request.user, "imaging.quarantine.download", item, request=request)
        response = HttpResponse(store.get(item.blob_key, "quarantine"),
                                content_type="application/octet-stream")
        response["Content-Disposition"] = f'attachment; filename="quarantine-{item.pk}.bin"'
        return response

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(models.StudyShare)
class StudyShareAdmin(admin.ModelAdmin):
    list_display = ["study", "consultation", "shared_by", "created_at"]
    readonly_fields = ["study", "consultation", "shared_by", "created_at"]


admin.site.register(models.DeidentifiedCopy)
