"""Score a quiz submission. Answers come from a browser, so anything odd is refused, not guessed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .library import QuizStep


class InvalidAnswer(ValueError):
    """The submission does not fit the quiz (tampered or incomplete form); nothing is scored."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class QuestionResult:
    question_id: str
    right: bool
    chosen: tuple[str, ...]  # chosen option ids in quiz order: show each one's feedback


@dataclass(frozen=True, slots=True)
class QuizResult:
    right: int
    total: int
    passed: bool  # right >= the quiz's pass_mark
    questions: tuple[QuestionResult, ...]

    @property
    def score(self) -> float:
        """Share of right answers, 0..1 (what the gradebook receives)."""
        return self.right / self.total if self.total else 0.0


def score_quiz(quiz: QuizStep, answers: Mapping[str, Sequence[str]]) -> QuizResult:
    """Score `answers` (question id -> chosen option ids); InvalidAnswer if they don't fit."""
    if not isinstance(answers, Mapping):
        raise InvalidAnswer("answers must map question ids to chosen option ids")
    known = {q.id for q in quiz.questions}
    unknown = sorted(str(k) for k in answers if k not in known)
    if unknown:
        raise InvalidAnswer(f"unknown question(s): {', '.join(unknown)}")
    results: list[QuestionResult] = []
    for question in quiz.questions:
        chosen = answers.get(question.id)
        # A bare string is a Sequence too; "ab" must not become ["a", "b"].
        if chosen is None or isinstance(chosen, str | bytes) or not isinstance(chosen, Sequence):
            raise InvalidAnswer(f"question {question.id} is not answered")
        if not chosen:
            raise InvalidAnswer(f"question {question.id} is not answered")
        option_ids = [o.id for o in question.options]
        if any(not isinstance(c, str) or c not in option_ids for c in chosen):
            raise InvalidAnswer(f"question {question.id} has no such option")
        if len(set(chosen)) != len(chosen):
            raise InvalidAnswer(f"question {question.id}: an option is chosen twice")
        if not question.multiple and len(chosen) != 1:
            raise InvalidAnswer(f"question {question.id} takes exactly one option")
        results.append(QuestionResult(
            question.id, set(chosen) == question.correct_ids,
            tuple(o for o in option_ids if o in chosen)))
    right = sum(r.right for r in results)
    return QuizResult(right, len(results), right >= quiz.pass_mark, tuple(results))
