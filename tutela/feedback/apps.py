from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    """Problem reports, questionnaires and contests: what people tell us outside an order."""

    name = "tutela.feedback"
    label = "feedback"
