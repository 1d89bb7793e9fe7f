"""`flask --app lti_tool content check`: validate all content and say how to fix each problem."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from .library import Library, Problem
from .loader import load_library

# Another area's validator (badges): gets the content dir and the loaded modules.
ContentCheck = Callable[[Path, Library], Iterable[Problem]]
CHECKS_KEY = "lti_tool.modules.checks"


def add_content_check(app: Flask, check: ContentCheck) -> None:
    """Let another area (e.g. badges) add its problems to `content check`."""
    app.extensions.setdefault(CHECKS_KEY, []).append(check)


def check_content(content_dir: str | os.PathLike[str],
                  checks: Sequence[ContentCheck] = ()) -> tuple[Library, list[Problem]]:
    """Load the modules in `content_dir`, run the extra checks, return every problem."""
    library = load_library(content_dir)
    problems = list(library.problems)
    for check in checks:
        problems.extend(check(Path(content_dir), library))
    return library, problems


def report(library: Library, problems: Sequence[Problem], echo: Callable[[str], object]) -> int:
    """Print each problem and a summary; return the exit code (1 if there are problems)."""
    for problem in problems:
        echo(str(_relative(problem)))
    total = len(library) + len(library.hidden)
    summary = f"{total} module{'' if total == 1 else 's'} checked: {len(library)} valid"
    if library.hidden:
        summary += f", {len(library.hidden)} hidden ({', '.join(library.hidden)})"
    echo(f"{summary}; {len(problems)} problem{'' if len(problems) == 1 else 's'}.")
    return 1 if problems else 0


def _relative(problem: Problem) -> Problem:
    # Shorter paths when run from the project folder; editors still open them.
    try:
        file = str(Path(problem.file).resolve().relative_to(Path.cwd()))
    except ValueError:
        return problem
    return Problem(file, problem.line, problem.message, problem.hint)


content_cli = AppGroup("content", help="Check the learning content in CONTENT_DIR.")


@content_cli.command("check")
@click.option("--dir", "content_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Content folder to check (default: CONTENT_DIR).")
def check_command(content_dir: Path | None) -> None:
    """Validate every module (and badge) and print each problem with file, line and fix."""
    directory = content_dir or Path(current_app.config["CONTENT_DIR"])
    library, problems = check_content(directory, current_app.extensions.get(CHECKS_KEY, ()))
    raise SystemExit(report(library, problems, click.echo))
