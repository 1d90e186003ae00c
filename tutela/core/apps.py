from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Shared plumbing: request ids, client IPs, the base templates and home page, and the
    schedule of periodic jobs."""

    name = "tutela.core"
    label = "core"

    def ready(self) -> None:
        """Collect the periodic jobs the apps declare in their jobs.py."""
        from tutela.core import schedule

        schedule.autodiscover()
