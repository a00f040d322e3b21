from django.apps import AppConfig


class SecurityConfig(AppConfig):
    name = "cloudhospital.security"
    label = "security"
    verbose_name = "Security and audit"
