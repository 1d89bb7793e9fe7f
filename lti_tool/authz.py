"""Who may do what: the only place for authorization decisions. Deny by default.

Every view is marked with `@public` or `@requires(...)`; a before-request hook refuses any view
that carries neither mark, so a forgotten decorator fails closed. Roles come from the validated
launch (the launch token), never from request parameters.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, current_app, g, request
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeTimedSerializer

from .errors import Forbidden, Unauthenticated
from .lti.session import CSRF_FIELD, TOKEN_PARAM, Actor, LaunchTokens, TokenError

F = TypeVar("F", bound=Callable[..., Any])

LEARNER = "learner"
INSTRUCTOR = "instructor"
MEMBER = "member"  # anyone launched into the course
ADMIN = "admin"  # the tool's own administrator (ADMIN_TOKEN)

_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def public(view: F) -> F:
    """Anyone may call this view (LTI endpoints, public badge pages, static)."""
    view._authz = ("public",)  # type: ignore[attr-defined]
    return view


def public_post(view: F) -> F:
    """Public, and POSTs carry no CSRF token (cross-site posts from an LMS or verifier)."""
    view._authz = ("public", "no-csrf")  # type: ignore[attr-defined]
    return view


def requires(role: str) -> Callable[[F], F]:
    """Only a launched actor with `role` (LEARNER, INSTRUCTOR, MEMBER) or the ADMIN."""

    def mark(view: F) -> F:
        view._authz = (role,)  # type: ignore[attr-defined]
        return view

    return mark


def actor() -> Actor:
    """The current actor; only valid inside a view marked with requires()."""
    a = g.get("actor")
    if a is None:
        raise Unauthenticated(_("Open this tool from your course to continue."))
    return a


def tokens() -> LaunchTokens:
    return current_app.extensions["lti_tool.tokens"]


def _read_token() -> str | None:
    auth = request.headers.get("Authorization", "")
    if auth.startswith("Bearer "):
        return auth[7:].strip()
    return (request.args.get(TOKEN_PARAM) or request.form.get(TOKEN_PARAM)
            or request.headers.get("X-Launch-Token"))


def _authorize() -> None:
    if request.endpoint is None:  # 404/405 are answered by the error handlers
        return
    if request.endpoint == "static":  # the stylesheet, scripts and logo are public
        return
    view = current_app.view_functions.get(request.endpoint)
    mark = getattr(view, "_authz", None)
    if mark is None:
        raise Forbidden(_("This page is not available."))
    if mark[0] == "public":
        return
    required = mark[0]
    if required == ADMIN:
        _authorize_admin()
        return
    token = _read_token()
    if not token:
        raise Unauthenticated(_("Your session has ended or this link was opened outside your "
                                "course. Open the tool again from your course."))
    try:
        who, age = tokens().read(token)
    except TokenError as exc:
        raise Unauthenticated(
            _("Your session has ended. Open the tool again from your course.")
            if exc.reason == "expired" else
            _("This link is not valid. Open the tool again from your course.")) from exc
    if request.method not in _SAFE_METHODS:
        given = request.form.get(CSRF_FIELD) or request.headers.get("X-CSRF-Token")
        if not tokens().check_csrf(who.sid, given):
            raise Forbidden(_("This form has expired or did not come from the tool. Go back, "
                              "reload the page and try again."))
    if required == INSTRUCTOR and not who.is_instructor:
        raise Forbidden(_("Only instructors of this course can open this page."))
    if required == LEARNER and who.role != LEARNER:
        raise Forbidden(_("This page is for learners of this course."))
    g.actor = who
    # Sliding expiry: hand out a fresh token once a quarter of the lifetime has passed.
    g.ltik = tokens().issue(who) if age > tokens().lifetime / 4 else token
    g.csrf_token = tokens().csrf_token(who.sid)


ADMIN_COOKIE = "lti_tool_admin"


def admin_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="lti_tool.admin")


def check_admin_token(given: str) -> bool:
    """True when `given` is the configured ADMIN_TOKEN (admin pages are off without one)."""
    expected = current_app.config.get("ADMIN_TOKEN") or ""
    return bool(expected) and hmac.compare_digest(str(expected).encode(), given.encode())


def _authorize_admin() -> None:
    if not current_app.config.get("ADMIN_TOKEN"):
        raise Forbidden(_("The administration pages are switched off."),
                        hint=_("Set LTI_TOOL_ADMIN_TOKEN to switch them on."))
    raw = request.cookies.get(ADMIN_COOKIE, "")
    try:
        sid = admin_serializer().loads(raw, max_age=8 * 3600)
    except BadSignature as exc:
        raise Unauthenticated(_("Please sign in as administrator first."),
                              hint="/admin/login") from exc
    if request.method not in _SAFE_METHODS:
        given = request.form.get(CSRF_FIELD) or request.headers.get("X-CSRF-Token")
        if not tokens().check_csrf("admin:" + sid, given):
            raise Forbidden(_("This form has expired. Reload the page and try again."))
    g.admin_sid = sid
    g.csrf_token = tokens().csrf_token("admin:" + sid)


def _add_token_to_urls(endpoint: str, values: dict[str, Any]) -> None:
    ltik = g.get("ltik") if g else None
    if not ltik or TOKEN_PARAM in values:
        return
    view = current_app.view_functions.get(endpoint)
    mark = getattr(view, "_authz", ("public",))
    if mark[0] not in ("public", ADMIN):
        values[TOKEN_PARAM] = ltik


def init_app(app: Flask) -> None:
    app.extensions["lti_tool.tokens"] = LaunchTokens(
        app.config["SECRET_KEY"], int(app.config["LAUNCH_TOKEN_MINUTES"]) * 60)
    app.before_request(_authorize)
    app.url_defaults(_add_token_to_urls)

    @app.context_processor
    def _inject() -> dict[str, Any]:
        return {"current_actor": g.get("actor"), "csrf_token": g.get("csrf_token", ""),
                "ltik": g.get("ltik", "")}


# --- Mentoring pairs (lti_tool/pairs) ----------------------------------------------------------
# Who may see or change a pair and its parts. Views load the row, then ask one of these; a row
# of another course is reported as missing (404), a row of another pair as forbidden (403).
# Pair content (goals, notes, feedback, topics) is for the two partners only; instructors of
# the course see metadata (status, dates, counts) through pairs.queries.


def in_course(who: Actor, context_id: int) -> bool:
    """The row belongs to the course the actor launched into."""
    return who.context_id == context_id


def is_partner(who: Actor, pair: Any) -> bool:
    return in_course(who, pair.context_id) and who.user_id in (pair.mentor_id, pair.mentee_id)


def can_view_pair(who: Actor, pair: Any) -> bool:
    """Pair content: only the two partners."""
    return who.role == LEARNER and is_partner(who, pair)


def can_view_pair_metadata(who: Actor, pair: Any) -> bool:
    """Status, dates and counts: the partners and the course's instructors."""
    return in_course(who, pair.context_id) and (who.is_instructor or is_partner(who, pair))


def can_respond_to_proposal(who: Actor, pair: Any) -> bool:
    return can_view_pair(who, pair) and pair.status == "proposed"


def can_work_in_pair(who: Actor, pair: Any) -> bool:
    """Write pair content (agreement, sessions, feedback, check-ins): an active pair's partners."""
    return can_view_pair(who, pair) and pair.status == "active"


def can_edit_profile(who: Actor, profile: Any | None) -> bool:
    """Learners edit their own profile in their own course (None: they may create one)."""
    if who.role != LEARNER:
        return False
    return profile is None or (in_course(who, profile.context_id)
                               and profile.user_id == who.user_id)


def can_manage_matching(who: Actor, context_id: int) -> bool:
    return who.is_instructor and in_course(who, context_id)


def can_confirm_session(who: Actor, pair: Any, session: Any) -> bool:
    return (can_work_in_pair(who, pair) and session.pair_id == pair.id
            and session.logged_at is not None)


def can_acknowledge_feedback(who: Actor, pair: Any, feedback: Any) -> bool:
    """Only the receiver answers feedback."""
    return (can_work_in_pair(who, pair) and feedback.pair_id == pair.id
            and feedback.receiver_id == who.user_id)


def can_add_learning_entry(who: Actor, pair: Any) -> bool:
    """"What I learned from my mentee" is the mentor's to write."""
    return can_work_in_pair(who, pair) and pair.mentor_id == who.user_id


def can_confirm_learning_entry(who: Actor, pair: Any, entry: Any) -> bool:
    """The mentee confirms the mentor's learning entries."""
    return (can_work_in_pair(who, pair) and entry.pair_id == pair.id
            and pair.mentee_id == who.user_id)


def can_attest(who: Actor, pair: Any) -> bool:
    """Only the mentor attests a task observed for the mentee."""
    return can_work_in_pair(who, pair) and pair.mentor_id == who.user_id


# --- progress: modules, steps and a pair's shared progress -----------------------------------
# Area objects are duck-typed here (pair: mentor_id, mentee_id, context_id, status; module:
# audience) so this adapter imports no area at start-up.


def can_open_module(who: Actor, module: Any) -> bool:
    """Any member of the course may open any module in the library.

    A module's audience (mentor, mentee, both) is guidance for the catalogue, not a lock:
    mentors read mentee modules to prepare, and a pair activity needs both partners in it.
    Unknown or hidden (broken) modules are not in the library, so they cannot be opened.
    """
    return module is not None and who.role in (LEARNER, INSTRUCTOR)


def can_record_progress(who: Actor) -> bool:
    """Only learners' steps are recorded; instructors see the steps as a preview."""
    return who.role == LEARNER


def can_view_pair_progress(who: Actor, pair: Any) -> bool:
    """Only the two partners, in their own course, once the pair is (or was) active.

    Instructors see counts elsewhere, never one pair's progress; proposed and declined pairs
    never consented to share anything.
    """
    return (pair is not None and who.role == LEARNER and pair.context_id == who.context_id
            and who.user_id in (pair.mentor_id, pair.mentee_id)
            and pair.status in ("active", "completed"))


def can_confirm_pair_activity(who: Actor, pair: Any) -> bool:
    """A partner of an active pair in their own course confirms its pair activities."""
    return (can_record_progress(who) and pair is not None and pair.status == "active"
            and pair.context_id == who.context_id
            and who.user_id in (pair.mentor_id, pair.mentee_id))


# --- LTI Advantage: assignments, Deep Linking, grades, roster (lti_tool/assignments, grades,
# lti/roster_views). Rows of another course are reported as missing (404), not forbidden.


def can_manage_course(who: Actor, context_id: int) -> bool:
    """Assign modules, see grade delivery, sync the roster: the course's own instructors."""
    return who.is_instructor and who.context_id == context_id


def require_course_manager(who: Actor, context_id: int | None) -> None:
    if context_id is None or not can_manage_course(who, context_id):
        from .errors import NotFound

        raise NotFound(_("This page does not exist in your course."),
                       hint=_("Open the tool again from your course."))


def can_answer_deep_link(who: Actor, request_row: Any) -> bool:
    """A Deep Linking request is answered only from the launch that received it: same launch
    session (the token's sid), same instructor, same course."""
    return (request_row is not None and who.is_instructor
            and (request_row.sid, request_row.user_id, request_row.context_id)
            == (who.sid, who.user_id, who.context_id))


# --- badges (lti_tool/badges) ---------------------------------------------------------------
# Public pages (a credential, the verify page, status lists, OB 2.0 documents) need no actor;
# these decide the rest. Awards of another course are reported as missing (404).


def can_manage_own_award(who: Actor, award: Any) -> bool:
    """The learner who earned it (in the course they earned it in) chooses what it shows."""
    return (award is not None and who.role == LEARNER and award.user_id == who.user_id
            and award.context_id == who.context_id)


def can_revoke_award(who: Actor, award: Any) -> bool:
    """Instructors of the award's course revoke it."""
    return award is not None and who.is_instructor and award.context_id == who.context_id


def can_view_course_awards(who: Actor, context_id: int) -> bool:
    return who.is_instructor and who.context_id == context_id


# --- analytics (lti_tool/analytics) ---------------------------------------------------------
# The program dashboard shows aggregates only; the numbers of one course are for that course's
# instructors (program managers launch as instructors), never for another course's.


def can_view_program_analytics(who: Actor, context_id: int) -> bool:
    """The course's own instructors see its program dashboard and its CSV export."""
    return who.is_instructor and who.context_id == context_id
