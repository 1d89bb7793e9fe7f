"""Languages: the UI follows the launch's locale, else the browser's Accept-Language."""

from __future__ import annotations

from flask import Flask, g, request
from flask_babel import Babel

LANGUAGES = ("en", "it", "pt")
LANGUAGE_NAMES = {"en": "English", "it": "Italiano", "pt": "Português"}
DEFAULT = "en"


def normalize(locale: str | None) -> str | None:
    """'pt-BR', 'it_IT', 'EN' -> 'pt', 'it', 'en'; None for languages we do not offer."""
    if not locale:
        return None
    lang = locale.replace("_", "-").split("-")[0].strip().lower()
    return lang if lang in LANGUAGES else None


def current_locale() -> str:
    actor = g.get("actor") if g else None
    if actor is not None and actor.locale in LANGUAGES:
        return str(actor.locale)
    forced = normalize(request.args.get("lang")) if request else None
    if forced:
        return forced
    if request:
        return request.accept_languages.best_match(LANGUAGES) or DEFAULT
    return DEFAULT


def init_app(app: Flask) -> None:
    Babel(app, locale_selector=current_locale,
          default_translation_directories="translations")

    @app.context_processor
    def _inject() -> dict[str, object]:
        return {"current_locale": current_locale(), "LANGUAGE_NAMES": LANGUAGE_NAMES}
