from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "pandi.accounts"
    verbose_name = "组织与用户"
