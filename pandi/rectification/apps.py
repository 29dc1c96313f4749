from django.apps import AppConfig


class RectificationConfig(AppConfig):
    name = "pandi.rectification"
    verbose_name = "整改"
