"""Every UI string is translated into Italian and Portuguese, and the compiled catalogues
match their sources."""

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "lti_tool" / "translations"
KEYWORDS = {"_": None, "gettext": None, "_l": None, "lazy_gettext": None,
            "ngettext": (1, 2)}


def _source_ids() -> set[str]:
    ids: set[str] = set()
    method_map = [("lti_tool/**.py", "python"), ("templates/**.html", "jinja2")]
    for _f, _l, message, _c, _x in extract_from_dir(str(ROOT), method_map,
                                                    keywords=KEYWORDS):
        ids.add(message if isinstance(message, str) else message[0])
    return {i for i in ids if i}


@pytest.fixture(scope="module")
def source_ids() -> set[str]:
    return _source_ids()


@pytest.mark.parametrize("lang", ["it", "pt"])
def test_every_string_is_translated(lang, source_ids):
    po_path = TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po"
    with po_path.open("rb") as f:
        catalog = read_po(f)
    missing = sorted(i for i in source_ids
                     if not catalog.get(i) or not catalog.get(i).string
                     or (isinstance(catalog.get(i).string, tuple)
                         and not all(catalog.get(i).string))
                     or catalog.get(i).fuzzy)
    assert missing == [], f"{len(missing)} strings lack a {lang} translation; run bin/i18n"


def _key(value):
    return tuple(value) if isinstance(value, list | tuple) else value


@pytest.mark.parametrize("lang", ["it", "pt"])
def test_compiled_catalogue_matches_its_source(lang):
    base = TRANSLATIONS / lang / "LC_MESSAGES"
    with (base / "messages.po").open("rb") as f:
        po = {_key(m.id): _key(m.string) for m in read_po(f)
              if m.id and m.string and not m.fuzzy}
    with (base / "messages.mo").open("rb") as f:
        mo = {_key(m.id): _key(m.string) for m in read_mo(f) if m.id}
    assert po == mo, "run bin/i18n compile"


def test_the_ui_follows_the_launch_locale(app):
    from tests.factories import course, person

    ctx = course(app)
    learner = person(app, ctx, locale="it")
    page = app.test_client().get("/learn", query_string=learner.q()).get_data(as_text=True)
    assert 'lang="it"' in page
    assert "Skip to main content" not in page  # translated
