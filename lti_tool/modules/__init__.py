"""The micro-module engine: load and validate content/, pre-render steps, score quizzes.

Imports no other area. Content is loaded once at start-up; a broken module is logged and hidden.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from .library import (
    LearningModule,
    LessonStep,
    Library,
    Option,
    PairActivityStep,
    Problem,
    QuizQuestion,
    QuizStep,
    ReflectionStep,
    SelfAssessmentStep,
    Step,
)
from .loader import load_library
from .scoring import InvalidAnswer, QuestionResult, QuizResult, score_quiz

if TYPE_CHECKING:
    from flask import Flask

__all__ = [
    "EXTENSION_KEY", "InvalidAnswer", "LearningModule", "LessonStep", "Library", "Option",
    "PairActivityStep", "Problem", "QuestionResult", "QuizQuestion", "QuizResult", "QuizStep",
    "ReflectionStep", "SelfAssessmentStep", "Step", "get_library", "init_app", "load_library",
    "score_quiz",
]

EXTENSION_KEY = "lti_tool.modules"
log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    """Load the library once into app.extensions and add the `content` CLI group."""
    from .cli import content_cli  # keeps click/flask out of the pure engine's imports

    content_dir = app.config.get("CONTENT_DIR") or Path(app.root_path).parent / "content"
    prefix = app.config.get("CONTENT_URL_PREFIX", "/content")
    key = (str(Path(content_dir).resolve()), prefix, _fingerprint(Path(content_dir)))
    library = _loaded.get(key)
    if library is None:
        library = _loaded[key] = load_library(content_dir, asset_url_prefix=prefix)
    for problem in library.problems:
        log.warning("content problem (module hidden): %s", problem)
    if library.hidden:
        log.warning("%d module(s) hidden because of content problems: %s; run "
                    "`flask --app lti_tool content check` for details",
                    len(library.hidden), ", ".join(library.hidden))
    app.extensions[EXTENSION_KEY] = library
    app.cli.add_command(content_cli)


# Libraries are immutable, so apps in one process (test suites, several app instances) share
# one load per content folder; any change to a file's size or time loads it anew.
_loaded: dict[tuple[str, str, tuple[tuple[str, int, int], ...]], Library] = {}


def _fingerprint(folder: Path) -> tuple[tuple[str, int, int], ...]:
    if not folder.is_dir():
        return ()
    return tuple(sorted((str(p), st.st_size, st.st_mtime_ns)
                        for p in folder.rglob("*") if p.is_file() for st in [p.stat()]))


def get_library(app: Flask | None = None) -> Library:
    """The library loaded by init_app (for the current app unless one is given)."""
    if app is None:
        from flask import current_app

        app = current_app
    library: Library = app.extensions[EXTENSION_KEY]
    return library
