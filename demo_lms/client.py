"""Play the browser with ``requests.Session``: follow LTI redirects and auto-POST forms.

    session = requests.Session()
    launch_page = launch(session, lms_url, user_id="user-maya", locale="it")
    # launch_page is the tool's answer to POST /lti/launch

    tool_ui = start_deep_link(session, lms_url)          # instructor's DL launch
    ...  # drive the tool's picker; it answers with an auto-submitting form
    result = submit_form(session, tool_answer)           # POSTs JWT to /deep_link_return

Redirects (platform -> tool login -> platform /auth) are followed by requests; the
auto-submitting HTML forms (id_token + state, or the tool's JWT) are posted by
``submit_form`` since requests runs no JavaScript.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin

import requests

from .config import HOME_LINK_ID, INSTRUCTOR_ID


@dataclass
class HtmlForm:
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)
    form_id: str | None = None


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[HtmlForm] = []
        self._current: HtmlForm | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._current = HtmlForm(values.get("action", ""),
                                     values.get("method", "get").upper(),
                                     form_id=values.get("id"))
            self.forms.append(self._current)
        elif tag == "input" and self._current is not None and values.get("name"):
            if values.get("type", "text").lower() in ("submit", "button", "image"):
                return
            self._current.fields[values["name"]] = values.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._current = None


def parse_forms(html: str, base_url: str = "") -> list[HtmlForm]:
    """All forms of a page, with absolute actions and their named inputs."""
    parser = _FormParser()
    parser.feed(html)
    for form in parser.forms:
        form.action = urljoin(base_url, form.action) if form.action else base_url
    return parser.forms


def submit_form(session: requests.Session, response: requests.Response,
                form_id: str | None = None, timeout: float = 10) -> requests.Response:
    """Submit the (first or ``form_id``) form of ``response`` as a browser's script would."""
    forms = parse_forms(response.text, response.url)
    if form_id is not None:
        forms = [f for f in forms if f.form_id == form_id]
    if not forms:
        raise AssertionError(f"no form in the page from {response.url} "
                             f"(HTTP {response.status_code}): {response.text[:500]}")
    form = forms[0]
    if form.method == "POST":
        return session.post(form.action, data=form.fields, timeout=timeout)
    return session.get(form.action, params=form.fields, timeout=timeout)


def open_launch_form(session: requests.Session, platform_url: str, *,
                     user_id: str, link_id: str = HOME_LINK_ID, locale: str = "en",
                     deep_link: bool = False, timeout: float = 10) -> requests.Response:
    """Start a launch and follow the OIDC redirects up to the platform's auto-POST form."""
    if deep_link:
        url, params = f"{platform_url}/deep_link", {"user": user_id, "locale": locale}
    else:
        url, params = f"{platform_url}/launch/{link_id}", {"user": user_id, "locale": locale}
    response = session.get(url, params=params, timeout=timeout)
    if response.status_code != 200 or not parse_forms(response.text, response.url):
        raise AssertionError(f"launch did not reach the id_token form: HTTP "
                             f"{response.status_code} at {response.url}: {response.text[:500]}")
    return response


def launch(session: requests.Session, platform_url: str, *, user_id: str,
           link_id: str = HOME_LINK_ID, locale: str = "en",
           timeout: float = 10) -> requests.Response:
    """Full resource-link launch; returns the tool's response to POST /lti/launch."""
    form_page = open_launch_form(session, platform_url, user_id=user_id, link_id=link_id,
                                 locale=locale, timeout=timeout)
    return submit_form(session, form_page, form_id="lti-launch-form", timeout=timeout)


def start_deep_link(session: requests.Session, platform_url: str, *,
                    user_id: str = INSTRUCTOR_ID, locale: str = "en",
                    timeout: float = 10) -> requests.Response:
    """Deep Linking launch as the instructor; returns the tool's response (its picker)."""
    form_page = open_launch_form(session, platform_url, user_id=user_id, locale=locale,
                                 deep_link=True, timeout=timeout)
    return submit_form(session, form_page, form_id="lti-launch-form", timeout=timeout)
