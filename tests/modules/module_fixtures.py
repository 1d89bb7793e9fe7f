"""A small valid module as text; tests break one thing at a time (see conftest.py fixtures)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

SLUG = "d6-test-passwords"

MODULE_YAML = """\
slug: d6-test-passwords
code: D6
track: digital-skills
audience: mentee
digcomp:
  framework: "2.2"
  competences: ["4.1", "4.2"]
minutes: 8
version: 3
order: 60
steps:
  - id: before
    kind: self-assessment
    competences: ["4.1", "4.2"]
  - id: welcome
    kind: lesson
    image: images/mfa.svg
  - id: check
    kind: quiz
    pass_mark: 2
    questions:
      - id: q1
        multiple: false
        options: [a, b, c]
        correct: [b]
      - id: q2
        multiple: true
        options: [a, b, c]
        correct: [a, c]
      - id: q3
        options: [yes-it-is, no-never]
        correct: [no-never]
  - id: reflect
    kind: reflection
  - id: together
    kind: pair-activity
"""

EN_YAML = """\
title: Passwords and MFA
summary: Keep your accounts safe.
objectives:
  - Use a password manager.
  - Turn on MFA.
image_alt: A padlock next to a phone
steps:
  before:
    title: Where are you today?
    body: |
      Rate yourself. No right or wrong answers.
  welcome:
    title: Why this matters
    body: |
      Passwords get *guessed*.

      ![A phone showing a code](images/phone.svg)

      Read [the guide](https://example.org/guide).
  check:
    title: Check what you know
    questions:
      q1:
        prompt: Which password is stronger?
        options:
          a: {text: "Summer2024!", feedback: "Easy to guess."}
          b: {text: "lamp-river-orange", feedback: "Right: length wins."}
          c: {text: "Your pet's name", feedback: "Anyone can find it."}
      q2:
        prompt: Which are phishing signs?
        options:
          a: {text: "Urgency", feedback: "Yes."}
          b: {text: "Your name spelled right", feedback: "No."}
          c: {text: "Odd sender address", feedback: "Yes."}
      q3:
        prompt: Should you share a code?
        options:
          yes-it-is: {text: "Yes", feedback: "Never share it."}
          no-never: {text: "No", feedback: "Right."}
  reflect:
    title: Think about it
    prompt: |
      Which account would hurt most?
  together:
    title: Do it together
    body: |
      Turn on MFA for one account, together.
"""

SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect/></svg>\n'


def language(lang: str) -> str:
    """The same texts marked with the language, enough to tell them apart."""
    return EN_YAML if lang == "en" else EN_YAML.replace("title: ", f"title: {lang.upper()} ")


def line_of(text: str, needle: str, after: str | None = None) -> int:
    """1-based number of the first line containing `needle` (after the line with `after`)."""
    lines = text.splitlines()
    start = 0 if after is None else line_of(text, after)
    for number, line in enumerate(lines[start:], start + 1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in text")


ModuleWriter = Callable[..., Path]
