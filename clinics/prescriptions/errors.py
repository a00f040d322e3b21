"""The refusals of online prescribing, each a 422 with the code programs rely on."""

from __future__ import annotations

from cloudhospital.core.errors import InvalidInput, NotAllowed


class NotEligible(InvalidInput):
    code = "not_eligible"


class RestrictedDrug(InvalidInput):
    code = "restricted_drug"


class TooLong(InvalidInput):
    code = "too_long"


class GuardianRequired(InvalidInput):
    code = "guardian_required"


class TooManyItems(InvalidInput):
    code = "too_many_items"


class LicenceRequired(NotAllowed):
    code = "licence_required"
