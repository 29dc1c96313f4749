from django.apps import AppConfig


class SupervisionConfig(AppConfig):
    name = "pandi.supervision"
    verbose_name = "行动与督查"
