"""`flask content check`, `python -m lti_tool.modules.check` and init_app."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

import pytest
from flask import Flask
from module_fixtures import MODULE_YAML, SLUG, ModuleWriter, line_of

from lti_tool.modules import EXTENSION_KEY, Library, Problem, get_library, init_app
from lti_tool.modules.check import main
from lti_tool.modules.cli import add_content_check


def make_app(content: Path) -> Flask:
    app = Flask(__name__)
    app.config["CONTENT_DIR"] = str(content)
    init_app(app)
    return app


def test_check_passes_on_valid_content(write_module: ModuleWriter, content: Path) -> None:
    write_module()
    result = make_app(content).test_cli_runner().invoke(args=["content", "check"])
    assert result.exit_code == 0, result.output
    assert result.output == "1 module checked: 1 valid; 0 problems.\n"


def test_check_prints_file_line_and_fix(write_module: ModuleWriter, content: Path) -> None:
    broken = MODULE_YAML.replace("minutes: 8", "minutes: 30")
    folder = write_module(module=broken)
    app = make_app(content)
    result = app.test_cli_runner().invoke(args=["content", "check"])
    assert result.exit_code == 1
    line = line_of(broken, "minutes: 30")
    assert result.output.splitlines() == [
        f"{folder / 'module.yaml'}:{line}: minutes: 30 is out of range "
        "(how to fix: use a whole number from 5 to 10)",
        f"1 module checked: 0 valid, 1 hidden ({SLUG}); 1 problem.",
    ]


def test_check_dir_option_and_extra_checks(write_module: ModuleWriter, content: Path,
                                           tmp_path_factory: pytest.TempPathFactory) -> None:
    app = make_app(tmp_path_factory.mktemp("elsewhere"))  # the app's own dir has no modules/
    write_module()
    seen: list[int] = []

    def badges(content_dir: Path, library: Library) -> Iterable[Problem]:
        seen.append(len(library))
        return [Problem(str(content_dir / "badges" / "b.yaml"), 3, "unknown module", "fix it")]

    add_content_check(app, badges)
    result = app.test_cli_runner().invoke(args=["content", "check", "--dir", str(content)])
    assert seen == [1]
    assert result.exit_code == 1
    assert "badges/b.yaml:3: unknown module (how to fix: fix it)" in result.output
    assert result.output.endswith("1 module checked: 1 valid; 1 problem.\n")


def test_init_app_hides_broken_modules_and_logs(write_module: ModuleWriter, content: Path,
                                                caplog: pytest.LogCaptureFixture) -> None:
    write_module()
    write_module(slug="d7-broken", module="slug: [")
    with caplog.at_level(logging.WARNING, logger="lti_tool.modules"):
        app = make_app(content)
    library = app.extensions[EXTENSION_KEY]
    assert get_library(app) is library
    with app.app_context():
        assert get_library() is library
    assert [m.slug for m in library] == [SLUG]
    assert library.hidden == ("d7-broken",)
    assert any("d7-broken/module.yaml:2: YAML syntax error" in r.getMessage()
               for r in caplog.records)


def test_module_check_entry_point(write_module: ModuleWriter, content: Path,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    write_module()
    assert main([str(content)]) == 0
    write_module(slug="d7-empty", module=None, en=None, it=None, pt=None)
    assert main([str(content)]) == 1
    out = capsys.readouterr().out
    assert "d7-empty/module.yaml: module.yaml is missing (how to fix: create module.yaml" in out
    assert "2 modules checked: 1 valid, 1 hidden (d7-empty); 4 problems." in out
