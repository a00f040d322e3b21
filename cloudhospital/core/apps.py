from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "cloudhospital.core"
    label = "core"

    def ready(self):
        from cloudhospital.core import sessions  # noqa: F401  (stamps the login time)
