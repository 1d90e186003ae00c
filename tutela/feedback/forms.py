"""Forms for feedback; the model fields' validators (plain text, lengths, email) apply (R40)."""

from __future__ import annotations

from typing import Any

from django import forms

from tutela.customers.api import validate_plain_text
from tutela.feedback.models import ProblemReport, Question, Questionnaire
from tutela.feedback.services import ANSWER_MAX


class ProblemReportForm(forms.ModelForm):
    """A problem report; the reply address is offered only to anonymous visitors."""

    # Declared here so the radio list has no empty "---------" choice.
    about = forms.ChoiceField(
        label="What is the problem with?",
        choices=ProblemReport.About.choices,
        widget=forms.RadioSelect,
    )

    class Meta:
        model = ProblemReport
        fields = ("about", "summary", "details", "reply_email")
        widgets = {
            "details": forms.Textarea(attrs={"rows": 6}),
            "reply_email": forms.EmailInput,
        }
        help_texts = {
            "reply_email": (
                "Optional: only if you would like an answer. We use it for nothing else."
            ),
        }

    def __init__(self, *args: Any, anonymous: bool, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        if not anonymous:
            del self.fields["reply_email"]


# Offered first and selected by default: not answering is a choice, never a missing one.
NO_ANSWER = "I would rather not answer"


class QuestionnaireAnswerForm(forms.Form):
    """One optional field per question; submitting it empty is allowed and sends nothing."""

    def __init__(self, *args: Any, questionnaire: Questionnaire, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.questions = list(questionnaire.questions.all())
        for question in self.questions:
            field: forms.Field
            if question.kind == Question.Kind.CHOICE:
                field = forms.ChoiceField(
                    choices=[
                        ("", "I would rather not answer"),
                        *((o, o) for o in question.options),
                    ],
                    widget=forms.RadioSelect,
                    initial="",
                )
            else:
                field = forms.CharField(
                    max_length=ANSWER_MAX,
                    widget=forms.Textarea(attrs={"rows": 3}),
                    validators=[validate_plain_text],
                )
            field.required = False
            field.label = question.prompt
            self.fields[self.field_name(question)] = field

    @staticmethod
    def field_name(question: Question) -> str:
        """The form field of one question."""
        return f"q{question.pk}"

    def answers(self) -> dict[int, str]:
        """{question id: answer} for the cleaned form, empty answers included (the service
        drops them)."""
        return {q.pk: self.cleaned_data.get(self.field_name(q)) or "" for q in self.questions}


class ContestEntryForm(forms.Form):
    """An answer and the consent to the rules, which is never pre-ticked."""

    answer = forms.CharField(
        label="Your answer",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        validators=[validate_plain_text],
    )
    accept_rules = forms.BooleanField(
        label="I have read and accept the rules of this contest",
        required=False,  # the service refuses an unticked box with its own message
        initial=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
