"""Staff forms for feedback tools: questionnaires and contests, without JavaScript (R40)."""

from __future__ import annotations

from typing import Any

from django import forms

from tutela.feedback.api import OPTIONS_MAX, QUESTIONS_MAX


class QuestionnaireForm(forms.Form):
    """Title, introduction and the questions, one per line.

    Hand-written line format rather than a formset: one textarea works without JavaScript and
    reads naturally ("Prompt | option | option"); the service validates the result again.
    """

    title = forms.CharField(label="Title", max_length=150)
    intro = forms.CharField(
        label="Introduction",
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Say what the research is for. Customers are told every question is optional.",
    )
    questions = forms.CharField(
        label="Questions",
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=(
            f"One question per line, at most {QUESTIONS_MAX}. For a choice, add the options "
            f"after bars: How did you find us? | Search | A friend | Other (2 to {OPTIONS_MAX} "
            "options). A line without bars is a free-text question."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def clean_questions(self) -> list[tuple[str, list[str]]]:
        """(prompt, options) per non-empty line."""
        parsed = []
        for line in str(self.cleaned_data["questions"]).splitlines():
            prompt, *options = (part.strip() for part in line.split("|"))
            if prompt:
                parsed.append((prompt, options))
            elif options:
                raise forms.ValidationError("Each line starts with the question, then options.")
        if not parsed:
            raise forms.ValidationError("Write at least one question.")
        return parsed


class ContestForm(forms.Form):
    """A contest: its title, rules, the question entrants answer and the closing time."""

    title = forms.CharField(label="Title", max_length=150)
    rules = forms.CharField(
        label="Rules",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="Entrants must accept these to enter; each entry keeps a hash of this text.",
    )
    question = forms.CharField(label="Question entrants answer", max_length=300)
    closes_at = forms.DateTimeField(
        label="Closes at",
        help_text="UK time, for example 2027-03-31 17:00.",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
