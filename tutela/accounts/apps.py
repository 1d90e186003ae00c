from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Sign-in identities (customers and staff) and the security log of sign-in events."""

    name = "tutela.accounts"
    label = "accounts"
