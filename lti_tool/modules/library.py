"""The loaded content: immutable learning modules, their steps, and the library holding them.

Every text is stored per language; Markdown fields hold sanitised HTML (`Markup`) rendered at
load time, so showing a step never parses Markdown or reads a file.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import ClassVar

from markupsafe import Markup

from .schemas import DIGCOMP_COMPETENCES, TRACKS

Localized = Mapping[str, str]  # language -> plain text (escape it when showing it)
LocalizedHtml = Mapping[str, Markup]  # language -> sanitised HTML


@dataclass(frozen=True, slots=True)
class Problem:
    """A content problem: where it is, what is wrong, how to fix it."""

    file: str
    line: int | None
    message: str
    hint: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.message} (how to fix: {self.hint})"


@dataclass(frozen=True, slots=True, eq=False)
class Option:
    id: str
    correct: bool
    text: LocalizedHtml  # inline HTML, fits in a <label>
    feedback: LocalizedHtml  # shown after submitting when this option was chosen


@dataclass(frozen=True, slots=True, eq=False)
class QuizQuestion:
    id: str
    multiple: bool  # False: exactly one option may be chosen
    prompt: LocalizedHtml
    options: tuple[Option, ...]

    @property
    def correct_ids(self) -> frozenset[str]:
        return frozenset(o.id for o in self.options if o.correct)

    def option(self, option_id: str) -> Option | None:
        return next((o for o in self.options if o.id == option_id), None)


@dataclass(frozen=True, slots=True, eq=False)
class Step:
    kind: ClassVar[str]
    id: str
    title: Localized


@dataclass(frozen=True, slots=True, eq=False)
class LessonStep(Step):
    kind: ClassVar[str] = "lesson"
    body: LocalizedHtml
    image_url: str | None  # the step's illustration, if any
    image_alt: Localized  # empty when there is no image


@dataclass(frozen=True, slots=True, eq=False)
class SelfAssessmentStep(Step):
    kind: ClassVar[str] = "self-assessment"
    body: LocalizedHtml
    competences: tuple[str, ...]  # DigComp ids rated on the 5-point scale (labels are UI text)


@dataclass(frozen=True, slots=True, eq=False)
class QuizStep(Step):
    kind: ClassVar[str] = "quiz"
    pass_mark: int
    questions: tuple[QuizQuestion, ...]

    def question(self, question_id: str) -> QuizQuestion | None:
        return next((q for q in self.questions if q.id == question_id), None)


@dataclass(frozen=True, slots=True, eq=False)
class ReflectionStep(Step):
    kind: ClassVar[str] = "reflection"
    prompt: LocalizedHtml


@dataclass(frozen=True, slots=True, eq=False)
class PairActivityStep(Step):
    kind: ClassVar[str] = "pair-activity"
    body: LocalizedHtml


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class LearningModule:
    slug: str
    code: str
    track: str
    audience: str  # mentor | mentee | both
    digcomp_framework: str | None
    competences: tuple[str, ...]  # DigComp ids the module is aligned with
    minutes: int
    version: int  # content version; progress rows store it next to the slug
    order: int
    languages: tuple[str, ...]
    title: Localized
    summary: Localized
    objectives: Mapping[str, tuple[str, ...]]
    steps: tuple[Step, ...]
    images: frozenset[str]  # file names in the module's images/ folder that it uses
    _index: Mapping[str, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_index", MappingProxyType(
            {s.id: i for i, s in enumerate(self.steps)}))

    def __repr__(self) -> str:  # the generated one would print every text in every language
        return f"<LearningModule {self.slug} v{self.version}>"

    def step(self, step_id: str) -> Step | None:
        i = self._index.get(step_id)
        return None if i is None else self.steps[i]

    def next_step(self, step_id: str) -> Step | None:
        """The step after `step_id`; None after the last one or for an unknown id."""
        i = self._index.get(step_id)
        return None if i is None or i + 1 >= len(self.steps) else self.steps[i + 1]

    @property
    def quiz(self) -> QuizStep:
        return next(s for s in self.steps if isinstance(s, QuizStep))  # validated: exactly one

    @property
    def pair_activity(self) -> PairActivityStep:
        return next(s for s in self.steps if isinstance(s, PairActivityStep))


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Library:
    """All valid modules in catalogue order, plus every problem found while loading."""

    content_dir: str
    modules: tuple[LearningModule, ...]
    problems: tuple[Problem, ...]
    hidden: tuple[str, ...]  # module folders left out because of problems
    _by_slug: Mapping[str, LearningModule] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_slug", MappingProxyType({m.slug: m for m in self.modules}))

    def __repr__(self) -> str:
        return (f"<Library {self.content_dir}: {len(self.modules)} modules, "
                f"{len(self.problems)} problems>")

    def __len__(self) -> int:
        return len(self.modules)

    def __iter__(self) -> Iterator[LearningModule]:
        return iter(self.modules)

    def __contains__(self, slug: object) -> bool:
        return slug in self._by_slug

    def get(self, slug: str) -> LearningModule | None:
        return self._by_slug.get(slug)

    def all(self) -> tuple[LearningModule, ...]:
        return self.modules

    def filter(self, track: str | None = None, audience: str | None = None,
               language: str | None = None) -> tuple[LearningModule, ...]:
        """Modules matching every given criterion.

        `audience="mentor"` (or "mentee") includes modules meant for both; "both" only those.
        """
        return tuple(
            m for m in self.modules
            if (track is None or m.track == track)
            and (audience is None or m.audience in (audience, "both"))
            and (language is None or language in m.languages)
        )

    def by_track(self) -> Mapping[str, tuple[LearningModule, ...]]:
        """Every track (in syllabus order), with its modules in catalogue order."""
        return {t: tuple(m for m in self.modules if m.track == t) for t in TRACKS}

    def digcomp_coverage(self) -> Mapping[str, tuple[str, ...]]:
        """Each of the 21 DigComp 2.2 competence ids -> slugs of the modules aligned with it."""
        return {c: tuple(m.slug for m in self.modules if c in m.competences)
                for c in DIGCOMP_COMPETENCES}

    def version(self, slug: str) -> int | None:
        module = self._by_slug.get(slug)
        return None if module is None else module.version

    def image_file(self, slug: str, name: str) -> Path | None:
        """The file behind /<prefix>/<slug>/images/<name>, only if a valid module uses it.

        Serving only listed names rules out path tricks such as '../module.yaml'.
        """
        module = self._by_slug.get(slug)
        if module is None or name not in module.images:
            return None
        return Path(self.content_dir) / "modules" / slug / "images" / name
