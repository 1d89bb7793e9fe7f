"""Content is loaded once at start-up: showing a step reads no file and parses no Markdown."""

from __future__ import annotations

import builtins
import io

from markdown_it import MarkdownIt

from lti_tool.modules import loader
from lti_tool.progress import queries
from lti_tool.progress.models import ModuleCompletion, PairConfirmation, StepCompletion
from tests.factories import course, person
from tests.progress.conftest import D6, post_step, step_url


def test_a_step_page_reads_no_file_and_parses_no_markdown(app, client, monkeypatch):
    learner = person(app, course(app))
    post_step(client, learner, D6, "before", **{"rating-4.1": "1", "rating-4.2": "1"})
    for url in (step_url(D6, "passwords"), f"/modules/{D6}", "/modules"):
        client.get(url, query_string=learner.q())  # templates compile on first use
    opened: list[str] = []
    real_open = builtins.open

    def watching_open(file, *args, **kwargs):
        opened.append(str(file))
        return real_open(file, *args, **kwargs)

    def forbidden(*_args, **_kwargs):
        raise AssertionError("content parsed while serving a request")

    monkeypatch.setattr(builtins, "open", watching_open)
    monkeypatch.setattr(io, "open", watching_open)
    monkeypatch.setattr(MarkdownIt, "parse", forbidden)
    monkeypatch.setattr(MarkdownIt, "render", forbidden)
    monkeypatch.setattr(loader, "load_library", forbidden)
    for url in (step_url(D6, "passwords"), f"/modules/{D6}", "/modules"):
        assert client.get(url, query_string=learner.q()).status_code == 200
    assert [f for f in opened if "content" in f or f.endswith((".yaml", ".md"))] == []


def test_the_step_page_query_names_the_models_tables():
    sql = str(queries._PROGRESS_SQL)
    for model in (ModuleCompletion, StepCompletion, PairConfirmation):
        assert f"FROM {model.__tablename__}\n" in sql
