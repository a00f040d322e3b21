from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "cloudhospital.core"
    label = "core"

    def ready(self) -> None:
        from cloudhospital.core import jobs

        jobs.connect_signals()
