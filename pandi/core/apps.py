from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "pandi.core"
    verbose_name = "基础"
