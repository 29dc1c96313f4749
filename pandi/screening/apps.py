from django.apps import AppConfig


class ScreeningConfig(AppConfig):
    name = "pandi.screening"
    verbose_name = "排摸与清单"
