"""Strings that third-party packages show people but ship no Simplified Chinese for.

Listed with ``gettext_noop`` so ``makemessages`` keeps them in our catalogue (our
LOCALE_PATHS come before the packages' own), where they get their translation."""

from django.utils.translation import gettext_noop

VENDOR_STRINGS = [
    gettext_noop("- Select an option -"),  # Django 6.1 BLANK_CHOICE_LABEL
    gettext_noop("Task Result"),  # django_tasks_db DBTaskResult
    gettext_noop("Task Results"),
]
