"""Quiz scoring, including submissions a learner's browser should never send."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from module_fixtures import SLUG, ModuleWriter

from lti_tool.modules import InvalidAnswer, QuizStep, load_library, score_quiz


@pytest.fixture
def quiz(write_module: ModuleWriter, content: Path) -> QuizStep:
    # q1 single (b), q2 multiple (a, c), q3 single (no-never)
    write_module()
    module = load_library(content).get(SLUG)
    assert module is not None
    return module.quiz


def test_all_right(quiz: QuizStep) -> None:
    result = score_quiz(quiz, {"q1": ["b"], "q2": ["c", "a"], "q3": ["no-never"]})
    assert (result.right, result.total, result.passed, result.score) == (3, 3, True, 1.0)
    assert [(r.question_id, r.right, r.chosen) for r in result.questions] == [
        ("q1", True, ("b",)), ("q2", True, ("a", "c")), ("q3", True, ("no-never",))]


def test_pass_mark_is_two_of_three(quiz: QuizStep) -> None:
    result = score_quiz(quiz, {"q1": ["b"], "q2": ["a"], "q3": ["no-never"]})
    assert (result.right, result.passed) == (2, True)
    assert result.questions[1].right is False  # a multiple choice needs every right option


def test_fail_keeps_feedback_ids(quiz: QuizStep) -> None:
    result = score_quiz(quiz, {"q1": ["a"], "q2": ["a", "b", "c"], "q3": ["yes-it-is"]})
    assert (result.right, result.passed) == (0, False)
    assert result.questions[1].chosen == ("a", "b", "c")
    feedback = [quiz.questions[0].option(i).feedback["en"]  # type: ignore[union-attr]
                for i in result.questions[0].chosen]
    assert feedback == ["<p>Easy to guess.</p>\n"]


@pytest.mark.parametrize(("answers", "message"), [
    ({"q1": ["b"], "q2": ["a"]}, "question q3 is not answered"),
    ({"q1": ["b"], "q2": ["a"], "q3": []}, "question q3 is not answered"),
    ({"q1": ["b"], "q2": ["a"], "q3": ["no-never"], "q9": ["a"]}, "unknown question(s): q9"),
    ({"q1": ["z"], "q2": ["a"], "q3": ["no-never"]}, "question q1 has no such option"),
    ({"q1": ["a", "b"], "q2": ["a"], "q3": ["no-never"]}, "question q1 takes exactly one option"),
    ({"q1": ["b"], "q2": ["a", "a"], "q3": ["no-never"]},
     "question q2: an option is chosen twice"),
    ({"q1": "b", "q2": ["a"], "q3": ["no-never"]}, "question q1 is not answered"),
    ({"q1": [1], "q2": ["a"], "q3": ["no-never"]}, "question q1 has no such option"),
    (["q1", "b"], "answers must map question ids to chosen option ids"),
])
def test_tampered_answers_are_refused(quiz: QuizStep, answers: Any, message: str) -> None:
    with pytest.raises(InvalidAnswer) as info:
        score_quiz(quiz, answers)
    assert info.value.message == message
    assert isinstance(info.value, ValueError)
