from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "cloudhospital.core"
    label = "core"
    verbose_name = _("Task queue")

    def ready(self) -> None:
        from cloudhospital.core import jobs, sessions  # noqa: F401  (sessions stamps the login time)

        jobs.connect_signals()
        name_the_admin()


def name_the_admin() -> None:
    """The admin speaks the hospital's name (沈阳云医院管理后台), and third-party apps that
    ship no Chinese name get one (their strings are in cloudhospital/core/vendor_strings.py)."""
    from django.apps import apps
    from django.contrib import admin

    admin.site.site_header = _("Shenyang Cloud Hospital administration")
    admin.site.site_title = _("Shenyang Cloud Hospital administration")
    admin.site.index_title = _("Shenyang Cloud Hospital administration")
    if apps.is_installed("django_tasks_db"):
        apps.get_app_config("django_tasks_database").verbose_name = _("Task results")
