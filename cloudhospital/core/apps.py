from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "cloudhospital.core"
    label = "core"

    def ready(self) -> None:
        from cloudhospital.core import jobs, sessions  # noqa: F401  (sessions stamps the login time)

        jobs.connect_signals()
