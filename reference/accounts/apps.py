from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "reference.accounts"
    label = "accounts"
    verbose_name = "Accounts"
