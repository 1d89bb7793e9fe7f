"""Broken content: every problem names the right file and line, and the module is hidden."""

from __future__ import annotations

from pathlib import Path

import pytest
from module_fixtures import EN_YAML, MODULE_YAML, SLUG, ModuleWriter, line_of

from lti_tool.modules.library import Library, Problem
from lti_tool.modules.loader import load_library
from lti_tool.modules.render import MarkdownRenderer


def only_problem(library: Library, folder: Path, file: str) -> Problem:
    """The library hid the module and found exactly one problem, in `file`."""
    assert library.get(folder.name) is None
    assert folder.name in library.hidden
    assert len(library.problems) == 1, "\n".join(map(str, library.problems))
    problem = library.problems[0]
    assert problem.file == str(folder / file)
    assert problem.hint
    return problem


def test_valid_fixture_has_no_problems(write_module: ModuleWriter, content: Path) -> None:
    write_module()
    library = load_library(content)
    assert library.problems == ()
    assert library.get(SLUG) is not None


def test_yaml_syntax_error_reports_the_line(write_module: ModuleWriter, content: Path) -> None:
    broken = MODULE_YAML.replace("minutes: 8", "minutes: 8: too many colons")
    folder = write_module(module=broken)
    problem = only_problem(load_library(content), folder, "module.yaml")
    assert problem.line == line_of(broken, "minutes: 8")
    assert "YAML syntax error" in problem.message
    assert "quotes" in problem.hint


def test_tab_indentation_is_explained(write_module: ModuleWriter, content: Path) -> None:
    broken = EN_YAML.replace("  before:\n", "\tbefore:\n")
    folder = write_module(en=broken)
    problem = only_problem(load_library(content), folder, "en.yaml")
    assert problem.line == line_of(broken, "\tbefore:")
    assert "tab" in problem.hint


def test_unknown_step_kind(write_module: ModuleWriter, content: Path) -> None:
    broken = MODULE_YAML.replace("kind: reflection", "kind: essay")
    folder = write_module(module=broken)
    problem = only_problem(load_library(content), folder, "module.yaml")
    assert problem.line == line_of(broken, "kind: essay")
    assert problem.message == "steps[3].kind: unknown step kind 'essay'"
    assert "pair-activity" in problem.hint


def test_unknown_field_lists_the_allowed_ones(write_module: ModuleWriter, content: Path) -> None:
    broken = MODULE_YAML.replace("minutes: 8", "minutes: 8\nduration: 8")
    folder = write_module(module=broken)
    problem = only_problem(load_library(content), folder, "module.yaml")
    assert problem.line == line_of(broken, "duration")
    assert problem.message == "duration: unknown field"
    assert "minutes" in problem.hint


def test_missing_language_file(write_module: ModuleWriter, content: Path) -> None:
    folder = write_module(it=None)
    problem = only_problem(load_library(content), folder, "it.yaml")
    assert problem.line is None
    assert problem.message == "it.yaml is missing"


def test_language_ids_must_match_module_yaml(write_module: ModuleWriter, content: Path) -> None:
    broken = EN_YAML.replace("  reflect:\n", "  reflection:\n")
    folder = write_module(pt=broken)
    library = load_library(content)
    assert library.get(SLUG) is None
    found = {(p.file, p.line, p.message) for p in library.problems}
    pt = str(folder / "pt.yaml")
    assert found == {
        (pt, line_of(broken, "  reflection:"),
         "steps.reflection: module.yaml has no step 'reflection'"),
        (pt, line_of(broken, "steps:"), "steps.reflect: the text for step 'reflect' is missing"),
    }


def test_option_ids_must_match_module_yaml(write_module: ModuleWriter, content: Path) -> None:
    broken = EN_YAML.replace('no-never: {text: "No"', 'no: {text: "No"')
    folder = write_module(en=broken)
    library = load_library(content)
    en = str(folder / "en.yaml")
    messages = {(p.file, p.line, p.message) for p in library.problems}
    # YAML reads a bare `no` as false: the id is reported as unknown and the real one as missing.
    assert (en, line_of(broken, "options:", after="q3:"),
            "steps.check.questions.q3.options.no-never: the text for option 'no-never' is missing"
            ) in messages
    assert any("module.yaml has no option False" in m for _, _, m in messages)


def test_extra_question_text_is_an_error(write_module: ModuleWriter, content: Path) -> None:
    broken = EN_YAML.replace("  reflect:\n", "      q4:\n        prompt: Extra?\n"
                             "        options: {}\n  reflect:\n")
    folder = write_module(en=broken)
    problem = only_problem(load_library(content), folder, "en.yaml")
    assert problem.line == line_of(broken, "q4:")
    assert problem.message == "steps.check.questions.q4: module.yaml has no question 'q4'"


@pytest.mark.parametrize(("old", "new", "at", "message"), [
    ("correct: [b]", "correct: [z]", "correct: [z]",
     "steps[2].questions[0].correct: z is not among the options"),
    ("correct: [b]", "correct: [a, b]", "correct: [a, b]",
     "steps[2].questions[0].correct: a single-choice question has exactly one correct option"),
    ("correct: [a, c]", "correct: []", "correct: []",
     "steps[2].questions[1].correct: needs at least one option"),
    ("options: [a, b, c]\n        correct: [b]", "options: [a]\n        correct: [a]",
     "options: [a]", "steps[2].questions[0].options: needs at least two options"),
    ("id: q2", "id: q1", "multiple: true",  # the line before it: the duplicate id
     "steps[2].questions[1].id: question id 'q1' is used twice"),
    ("pass_mark: 2", "pass_mark: 4", "pass_mark: 4",
     "steps[2].pass_mark: 4 is more than the 3 questions"),
    ("pass_mark: 2", "pass_mark: 3", "pass_mark: 3",
     "steps[2].pass_mark: is 3; every module's quiz passes with 2"),
])
def test_quiz_keys(write_module: ModuleWriter, content: Path, old: str, new: str, at: str,
                   message: str) -> None:
    broken = MODULE_YAML.replace(old, new, 1)
    folder = write_module(module=broken)
    problem = only_problem(load_library(content), folder, "module.yaml")
    expected_line = line_of(broken, at) - (1 if at == "multiple: true" else 0)
    assert (problem.line, problem.message) == (expected_line, message)


def test_quiz_needs_three_questions(write_module: ModuleWriter, content: Path) -> None:
    broken = MODULE_YAML.replace("""      - id: q3
        options: [yes-it-is, no-never]
        correct: [no-never]
""", "")
    folder = write_module(module=broken, en=None, it=None, pt=None)
    library = load_library(content)
    messages = [p.message for p in library.problems if p.file.endswith("module.yaml")]
    assert messages == ["steps[2].questions: has 2 questions; a quiz has exactly 3"]
    assert library.problems[-1].line == line_of(broken, "questions:")
    assert folder.name in library.hidden


def test_module_needs_one_quiz_and_one_pair_activity(write_module: ModuleWriter,
                                                     content: Path) -> None:
    broken = MODULE_YAML.replace("kind: pair-activity", "kind: reflection")
    folder = write_module(module=broken)
    problems = [p for p in load_library(content).problems if p.file == str(folder / "module.yaml")]
    assert [(p.line, p.message) for p in problems] == [(
        line_of(broken, "steps:"),
        "steps: has 0 pair-activity step(s); a module needs exactly one pair-activity")]


def test_duplicate_step_id(write_module: ModuleWriter, content: Path) -> None:
    broken = MODULE_YAML.replace("id: reflect", "id: welcome")
    folder = write_module(module=broken)
    problems = [p for p in load_library(content).problems if p.file == str(folder / "module.yaml")]
    assert [(p.line, p.message) for p in problems] == [
        (line_of(broken, "id: welcome", after="id: welcome"),
         "steps[3].id: step id 'welcome' is used twice")]


@pytest.mark.parametrize(("old", "new", "message"), [
    ('competences: ["4.1", "4.2"]\nminutes', 'competences: ["4.1", "6.1"]\nminutes',
     "digcomp.competences[1]: '6.1' is not a DigComp 2.2 competence"),
    ('competences: ["4.1", "4.2"]\nminutes', "competences: [4.1, 4.2]\nminutes",
     "digcomp.competences[0]: must be text\ndigcomp.competences[1]: must be text"),
    ('framework: "2.2"', 'framework: "2.1"', "digcomp.framework: '2.1' is not allowed"),
    ("track: digital-skills", "track: digital", "track: 'digital' is not allowed"),
    ("audience: mentee", "audience: juniors", "audience: 'juniors' is not allowed"),
    ("minutes: 8", "minutes: 12", "minutes: 12 is out of range"),
    ("version: 3", "version: 0", "version: 0 is out of range"),
    ("slug: d6-test-passwords", "slug: d6-other", "slug: slug 'd6-other' differs from the folder "
     "name 'd6-test-passwords'"),
    ("code: D6", "code: D5", "code: code D5 does not match the slug 'd6-test-passwords'"),
    ("code: D6", "code: X1", "code: 'X1' is not a syllabus code"),
    ("id: reflect", "id: Reflect_1", "steps[3].id: 'Reflect_1' is not a valid id"),
])
def test_module_fields(write_module: ModuleWriter, content: Path, old: str, new: str,
                       message: str) -> None:
    assert old in MODULE_YAML
    broken = MODULE_YAML.replace(old, new, 1)
    folder = write_module(module=broken)
    problems = [p for p in load_library(content).problems if p.file == str(folder / "module.yaml")]
    assert [p.message for p in problems] == message.split("\n")
    assert problems[0].line == line_of(broken, new.split("\n")[0])


def test_image_alt_text_is_required(write_module: ModuleWriter, content: Path) -> None:
    broken = EN_YAML.replace("![A phone showing a code]", "![]")
    folder = write_module(it=broken)
    problem = only_problem(load_library(content), folder, "it.yaml")
    assert problem.line == line_of(broken, "![](images/phone.svg)")
    assert problem.message == "steps.welcome.body: image images/phone.svg has no alt text"


def test_referenced_image_must_exist(write_module: ModuleWriter, content: Path) -> None:
    folder = write_module(images=("mfa.svg",))
    library = load_library(content)
    assert {(p.file, p.line, p.message) for p in library.problems} == {
        (str(folder / f"{lang}.yaml"), line_of(EN_YAML, "images/phone.svg"),
         "image file images/phone.svg does not exist") for lang in ("en", "it", "pt")}
    assert SLUG in library.hidden


def test_step_image_must_exist(write_module: ModuleWriter, content: Path) -> None:
    folder = write_module(images=("phone.svg",))
    problem = only_problem(load_library(content), folder, "module.yaml")
    assert problem.line == line_of(MODULE_YAML, "image: images/mfa.svg")


def test_remote_images_are_refused(write_module: ModuleWriter, content: Path) -> None:
    broken = EN_YAML.replace("(images/phone.svg)", "(https://tracker.example/pixel.svg)")
    folder = write_module(en=broken)
    problem = only_problem(load_library(content), folder, "en.yaml")
    assert "not in the module's images/ folder" in problem.message


def test_image_alt_text_for_step_image(write_module: ModuleWriter, content: Path) -> None:
    broken = EN_YAML.replace("image_alt: A padlock next to a phone\n", "")
    folder = write_module(en=broken)
    problem = only_problem(load_library(content), folder, "en.yaml")
    assert problem.message == "image_alt: is missing: a step has an image"


def test_svg_with_script_is_refused(write_module: ModuleWriter, content: Path) -> None:
    folder = write_module()
    (folder / "images" / "phone.svg").write_text('<svg>\n<script>alert(1)</script>\n</svg>')
    problem = only_problem(load_library(content), folder, "images/phone.svg")
    assert problem.line == 2


def test_raw_html_is_reported_and_never_rendered(write_module: ModuleWriter,
                                                 content: Path) -> None:
    broken = EN_YAML.replace("Turn on MFA for one account, together.",
                             "Turn on MFA.\n      <script>alert(1)</script>")
    folder = write_module(en=broken)
    problem = only_problem(load_library(content), folder, "en.yaml")
    assert problem.line == line_of(broken, "<script>")
    assert problem.message == "steps.together.body: raw HTML <script> is shown as text"


def test_sanitiser_never_lets_script_through() -> None:
    rendered = MarkdownRenderer().block(
        "<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n"
        "[click](javascript:alert(1)) [ok](https://example.org)\n\n"
        "![pic](javascript:alert(1))\n\n<a href='javascript:alert(1)'>x</a>\n", str)
    html = str(rendered.html)
    assert "<script" not in html and "<img src=x" not in html
    assert 'href="javascript' not in html and 'src="javascript' not in html
    assert "onerror=" not in html.replace("onerror=alert(1)&gt;", "")  # only as escaped text
    assert '<a href="https://example.org" target="_blank" rel="noopener noreferrer">ok</a>' in html


def test_keys_in_angle_brackets_are_text_not_html() -> None:
    rendered = MarkdownRenderer().block("Press <Ctrl>+<C>.", str)
    assert rendered.raw_html == ()
    assert str(rendered.html) == "<p>Press &lt;Ctrl&gt;+&lt;C&gt;.</p>\n"


def test_duplicate_keys_are_reported(write_module: ModuleWriter, content: Path) -> None:
    broken = EN_YAML.replace("summary: Keep your accounts safe.\n",
                             "summary: Keep your accounts safe.\nsummary: Again.\n")
    folder = write_module(en=broken)
    problem = only_problem(load_library(content), folder, "en.yaml")
    assert (problem.line, problem.message) == (line_of(broken, "summary: Again."),
                                               "duplicate key 'summary'")


def test_missing_and_empty_texts(write_module: ModuleWriter, content: Path) -> None:
    broken = EN_YAML.replace("    title: Think about it\n", "").replace(
        "summary: Keep your accounts safe.", "summary: ''")
    folder = write_module(en=broken)
    library = load_library(content)
    assert {(p.line, p.message) for p in library.problems} == {
        (line_of(broken, "summary:"), "summary: is empty"),
        (line_of(broken, "  reflect:"), "steps.reflect.title: is missing"),
    }
    assert all(p.file == str(folder / "en.yaml") for p in library.problems)


@pytest.mark.parametrize("text", ["", "- just\n- a list\n", "\x00\xff"])
def test_files_that_are_not_mappings(write_module: ModuleWriter, content: Path,
                                     text: str) -> None:
    folder = write_module(module=text)
    library = load_library(content)
    assert library.get(SLUG) is None
    assert [p.file for p in library.problems] == [str(folder / "module.yaml")]


def test_binary_file_is_not_utf8(write_module: ModuleWriter, content: Path) -> None:
    folder = write_module()
    (folder / "en.yaml").write_bytes(b"title: \xff\xfe\n")
    problem = only_problem(load_library(content), folder, "en.yaml")
    assert problem.message == "is not UTF-8 text"


def test_stray_yaml_file_and_empty_folder(write_module: ModuleWriter, content: Path) -> None:
    folder = write_module()
    (folder / "EN.yml").write_text("title: x\n")
    (content / "modules" / "d7-empty").mkdir()
    library = load_library(content)
    assert [(Path(p.file).name, p.message) for p in library.problems] == [
        ("EN.yml", "unexpected file EN.yml"),
        ("module.yaml", "module.yaml is missing"), ("en.yaml", "en.yaml is missing"),
        ("it.yaml", "it.yaml is missing"), ("pt.yaml", "pt.yaml is missing")]
    assert library.hidden == ("d6-test-passwords", "d7-empty")


def test_duplicate_code_hides_the_second_module(write_module: ModuleWriter,
                                                content: Path) -> None:
    write_module()
    second = "d6-test-zz"  # folders load in name order: this one comes second
    folder = write_module(slug=second, module=MODULE_YAML.replace(SLUG, second))
    library = load_library(content)
    assert [m.slug for m in library] == [SLUG]
    assert [(p.file, p.line, p.message) for p in library.problems] == [
        (str(folder / "module.yaml"), line_of(MODULE_YAML, "code:"),
         f"code: D6 is already used by {SLUG}")]


def test_missing_content_dir_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    library = load_library(tmp_path / "nowhere")
    assert len(library) == 0
    assert library.problems[0].message == "the modules folder does not exist"


def test_recursive_alias_does_not_hang_or_crash(write_module: ModuleWriter,
                                                content: Path) -> None:
    folder = write_module(module=MODULE_YAML + "extra: &loop [1, *loop]\n")
    library = load_library(content)
    assert library.get(SLUG) is None
    assert [(p.file, p.message) for p in library.problems] == [
        (str(folder / "module.yaml"), "extra: unknown field")]
