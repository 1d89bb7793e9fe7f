"""Fixtures: a content folder in tmp_path and a writer for module folders."""

from __future__ import annotations

from pathlib import Path

import pytest
from module_fixtures import MODULE_YAML, SLUG, SVG, ModuleWriter, language


@pytest.fixture
def content(tmp_path: Path) -> Path:
    (tmp_path / "modules").mkdir()
    return tmp_path


@pytest.fixture
def write_module(content: Path) -> ModuleWriter:
    """Write a module folder; pass replacement texts (None leaves a file out)."""

    def write(slug: str = SLUG, module: str | None = MODULE_YAML, images: tuple[str, ...] = (
            "mfa.svg", "phone.svg"), **langs: str | None) -> Path:
        folder = content / "modules" / slug
        (folder / "images").mkdir(parents=True)
        for name in images:
            (folder / "images" / name).write_text(SVG, encoding="utf-8")
        texts: dict[str, str | None] = {"module": module}
        texts.update({lang: langs.get(lang, language(lang)) for lang in ("en", "it", "pt")})
        for name, text in texts.items():
            if text is not None:
                (folder / f"{name}.yaml").write_text(text, encoding="utf-8")
        return folder

    return write
