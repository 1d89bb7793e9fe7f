"""`flask --app lti_tool content check` also validates content/badges."""

from __future__ import annotations

import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_the_shipped_badges_pass(app):
    result = app.test_cli_runner().invoke(args=["content", "check"])
    assert result.exit_code == 0, result.output
    assert "0 problems" in result.output


def test_a_broken_badge_is_reported_with_file_and_line(app, tmp_path):
    content = tmp_path / "content"
    shutil.copytree(REPO / "content", content)
    yaml = content / "badges" / "steady-rhythm" / "badge.yaml"
    original = yaml.read_text()
    yaml.write_text(original.replace("max_gap_days: 21", "max_gap_days: soon"))
    result = app.test_cli_runner().invoke(args=["content", "check", "--dir", str(content)])
    assert result.exit_code == 1
    assert "steady-rhythm/badge.yaml:8: rule.max_gap_days: Not a valid integer." in result.output

    yaml.write_text(original)
    path = content / "badges" / "learning-path" / "badge.yaml"
    path.write_text(path.read_text().replace("m1-active-listening", "m1-no-such-module"))
    result = app.test_cli_runner().invoke(args=["content", "check", "--dir", str(content)])
    assert result.exit_code == 1
    assert "'m1-no-such-module', which does not exist" in result.output


def test_a_missing_badges_folder_is_a_problem(app, tmp_path):
    content = tmp_path / "content"
    shutil.copytree(REPO / "content" / "modules", content / "modules")
    result = app.test_cli_runner().invoke(args=["content", "check", "--dir", str(content)])
    assert result.exit_code == 1 and "badge definitions folder is missing" in result.output
