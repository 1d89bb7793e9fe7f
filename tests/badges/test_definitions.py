"""The ten badge definitions load, and broken files are reported with file and line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from lti_tool.badges import digcomp
from lti_tool.badges.definitions import (
    CONTENT_ROOT,
    LANGUAGES,
    SLUGS,
    BadgeContentError,
    badge_definitions,
    load_definitions,
)


def test_all_ten_milestones_load_in_programme_order():
    badges = badge_definitions()
    assert list(badges) == list(SLUGS)
    assert [b.code for b in badges.values()] == [f"B{i}" for i in range(1, 11)]
    for badge in badges.values():
        for lang in LANGUAGES:
            text = badge.texts[lang]
            assert text.name and text.description and text.criteria and text.image_alt
        assert badge.image_svg.lstrip().startswith("<svg")


def test_rule_parameters_and_audiences_follow_the_programme():
    badges = badge_definitions()
    assert dict(badges["steady-rhythm"].rule) == {"sessions": 4, "max_gap_days": 21}
    assert badges["first-session"].rule["min_minutes"] == 20
    assert badges["reciprocal-learner"].audience == "mentor"
    assert badges["digital-level-up"].audience == "mentee"
    assert set(badges["program-completed"].rule["requires_badges"]) <= set(SLUGS)


def test_digcomp_alignments_name_real_competences():
    badges = badge_definitions()
    assert [a.code for a in badges["agreement-signed"].alignments] == ["5.4"]
    assert {a.code for a in badges["learning-path"].alignments} == {"1", "2", "3", "4", "5"}
    assert badges["pair-formed"].alignments == ()
    for badge in badges.values():
        for alignment in badge.alignments:
            assert alignment.name == digcomp.NAMES[alignment.code]
            assert alignment.url.startswith("https://")


def test_text_falls_back_to_english_for_other_languages():
    badge = badge_definitions()["pair-formed"]
    assert badge.text("de").name == badge.text("en").name == "Pair formed"
    assert badge.text("it").name == "Coppia formata"


def test_every_badge_image_is_distinct_and_accessible():
    badges = badge_definitions()
    colours = set()
    for badge in badges.values():
        svg = badge.image_svg
        assert 'role="img"' in svg and f'<title id="{badge.slug}-title">' in svg
        assert "http://" not in svg.replace("http://www.w3.org/2000/svg", "")
        assert "https://" not in svg and "<text" not in svg and "<image" not in svg
        colours.add(svg.split('fill="', 1)[1].split('"', 1)[0])
    assert len(colours) == len(badges)


@pytest.fixture
def content(tmp_path: Path) -> Path:
    root = tmp_path / "badges"
    shutil.copytree(CONTENT_ROOT, root)
    return root


def _problems(root: Path) -> list[str]:
    with pytest.raises(BadgeContentError) as info:
        load_definitions(root)
    return info.value.problems


def test_a_wrong_field_is_reported_with_its_file_and_line(content: Path):
    path = content / "steady-rhythm" / "badge.yaml"
    text = path.read_text().replace("  sessions: 4", "  sessions: four")
    path.write_text(text)
    line = text.splitlines().index("  sessions: four") + 1
    [problem] = _problems(content)
    assert problem.startswith(f"{path}:{line}: rule.sessions:")


def test_a_missing_translation_is_reported_at_the_text_block(content: Path):
    path = content / "first-session" / "badge.yaml"
    text = path.read_text()
    path.write_text(text[:text.index("  pt:\n")])
    problems = _problems(content)
    line = text.splitlines().index("text:") + 1
    assert problems == [f"{path}:{line}: text.pt: Missing data for required field."]


def test_unknown_rule_keys_unknown_competences_and_bad_yaml_are_all_reported(content: Path):
    rhythm = content / "steady-rhythm" / "badge.yaml"
    rhythm.write_text(rhythm.read_text().replace("max_gap_days: 21", "max_gap_days: 21\n  gap: 3"))
    midpoint = content / "midpoint-review" / "badge.yaml"
    midpoint.write_text(midpoint.read_text().replace('["5.4"]', '["5.9"]'))
    broken = content / "pair-formed" / "badge.yaml"
    broken.write_text("slug: pair-formed\ncode: [B1\n")
    problems = _problems(content)
    assert any(f"{rhythm}:" in p and "rule.gap: Unknown field." in p for p in problems)
    assert any(f"{midpoint}:" in p and "not a DigComp 2.2" in p for p in problems)
    assert any(p.startswith(f"{broken}:") and "YAML syntax error" in p for p in problems)


def test_a_badge_image_with_external_references_is_refused(content: Path):
    svg = content / "learning-path" / "image.svg"
    lines = svg.read_text().splitlines()
    lines.insert(3, '  <image href="https://tracker.example.com/pixel.png"/>')
    svg.write_text("\n".join(lines))
    problems = _problems(content)
    assert f"{svg}:4: embedded raster images are not allowed in badge images" in problems
    assert f"{svg}:4: external references are not allowed in badge images" in problems


def test_a_missing_badge_and_a_folder_mismatch_are_reported(content: Path):
    shutil.rmtree(content / "reciprocal-learner")
    shutil.move(content / "learning-path", content / "learning-paths")
    problems = _problems(content)
    assert any("milestone badge 'reciprocal-learner' is missing" in p for p in problems)
    assert any("must equal the folder name 'learning-paths'" in p for p in problems)
