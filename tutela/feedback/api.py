"""What other apps may import from feedback."""

from tutela.feedback.models import (
    Contest,
    ContestEntry,
    ProblemReport,
    Question,
    Questionnaire,
    QuestionnaireResponse,
)
from tutela.feedback.services import (
    OPTIONS_MAX,
    QUESTIONS_MAX,
    contest_create,
    questionnaire_create,
)

__all__ = [
    "OPTIONS_MAX",
    "QUESTIONS_MAX",
    "Contest",
    "ContestEntry",
    "ProblemReport",
    "Question",
    "Questionnaire",
    "QuestionnaireResponse",
    "contest_create",
    "questionnaire_create",
]
