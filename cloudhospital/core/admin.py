from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from cloudhospital.core import jobs, models


@admin.register(models.ParkedJob)
class ParkedJobAdmin(admin.ModelAdmin):
    list_display = ["task_path", "attempts", "error", "parked_at", "resolved_at"]
    list_filter = ["resolved_at"]
    actions = ["requeue"]

    @admin.action(description=_("Queue again with fresh attempts"))
    def requeue(self, request, queryset):
        for parked in queryset.filter(resolved_at__isnull=True):
            jobs.requeue_parked(parked)
