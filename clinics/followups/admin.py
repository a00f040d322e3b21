from django.contrib import admin

from clinics.followups import models


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
