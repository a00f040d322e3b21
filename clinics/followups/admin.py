from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from clinics.followups import jobs, models


@admin.register(models.FollowUpPlan)
class FollowUpPlanAdmin(admin.ModelAdmin):
    list_display = ["patient", "condition", "doctor", "clinic", "next_due_on", "controlled",
                    "status"]
    list_filter = ["condition", "status", "controlled"]


@admin.register(models.ScheduleTemplate)
class ScheduleTemplateAdmin(admin.ModelAdmin):
    list_display = ["doctor", "weekday", "start_time", "end_time", "slot_minutes", "active"]


@admin.register(models.ScheduleException)
class ScheduleExceptionAdmin(admin.ModelAdmin):
    list_display = ["doctor", "date", "kind", "start_time", "end_time", "reason"]


@admin.register(models.Slot)
class SlotAdmin(admin.ModelAdmin):
    list_display = ["doctor", "start", "end", "clinic", "is_open"]
    list_filter = ["is_open"]


@admin.register(models.Visit)
class VisitAdmin(admin.ModelAdmin):
    list_display = ["patient", "plan", "doctor", "slot", "status", "urgent", "out_of_target"]
    list_filter = ["status", "urgent", "out_of_target"]


@admin.register(models.SmsMessage)
class SmsMessageAdmin(admin.ModelAdmin):
    list_display = ["dedupe_key", "phone_last4", "backend", "created_at"]


@admin.register(models.ParkedJob)
class ParkedJobAdmin(admin.ModelAdmin):
    list_display = ["task_path", "attempts", "error", "parked_at", "resolved_at"]
    list_filter = ["resolved_at"]
    actions = ["requeue"]

    @admin.action(description=_("Queue again with fresh attempts"))
    def requeue(self, request, queryset):
        for parked in queryset.filter(resolved_at__isnull=True):
            jobs.requeue_parked(parked)
