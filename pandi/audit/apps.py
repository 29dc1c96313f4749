from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "pandi.audit"
    verbose_name = "审计"
