from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "cloudhospital.core"
    label = "core"
