from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    """Newsletter campaigns: written by marketing, sent in the background to those who consented."""

    name = "tutela.campaigns"
    label = "campaigns"

    def ready(self) -> None:
        """Register the system checks."""
        from tutela.campaigns import checks

        checks.register()
