from django.apps import AppConfig


class LandConfig(AppConfig):
    name = "pandi.land"
    verbose_name = "土地与企业"
