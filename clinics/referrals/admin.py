"""Admin: read-mostly views of referrals. Clinical text is shown decrypted to admins, who
are audited like everyone else through the pages; changes go through actions."""

from django.contrib import admin
from django.http import HttpRequest

from clinics.referrals import models


class ConsentInline(admin.StackedInline[models.ReferralConsent, models.Referral]):
    model = models.ReferralConsent
    extra = 0
    can_delete = False
    readonly_fields = ["signed_by", "relation", "signed_at", "method", "recorded_by",
                       "recorded_at"]


@admin.register(models.Referral)
class ReferralAdmin(admin.ModelAdmin[models.Referral]):
    list_display = ["patient", "direction", "urgency", "status", "from_institution",
                    "to_institution", "requested_at", "answer_due_at", "escalated_at"]
    list_filter = ["direction", "urgency", "status"]
    inlines = [ConsentInline]
    readonly_fields = [f.name for f in models.Referral._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # referrals are made through the workflow, with consent

    def has_delete_permission(self, request: HttpRequest,
                              obj: models.Referral | None = None) -> bool:
        return False  # medical records are kept
