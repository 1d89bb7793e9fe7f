"""The mentoring program over HTTP. Thin views: parse → authorize → one service → commit → render.

Every decision about who may see or change what is a function in lti_tool.authz. A form that
fails its schema is shown again with the person's input and a message at each field (422).
After a successful POST we redirect (303) with a `done` code the page turns into a message:
flashed messages need a cookie, and LMS iframes often have none.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from flask import (
    Blueprint,
    Response,
    current_app,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from .. import authz
from ..authz import INSTRUCTOR, LEARNER, actor, public, requires
from ..db import Base, db, utcnow
from ..errors import Conflict, Forbidden, NotFound, ValidationFailed
from ..lti.models import User
from . import queries, services
from .ics import session_calendar
from .models import Feedback, LearningEntry, MentoringSession, Pair, Proposal
from .schemas import (
    AcknowledgeSchema,
    AgreementSchema,
    AttestationSchema,
    CheckInSchema,
    FeedbackSchema,
    LearningEntrySchema,
    LogSessionSchema,
    ManualPairSchema,
    MatchRunSchema,
    OptionalReasonSchema,
    PlanSessionSchema,
    ProfileSchema,
    ReasonSchema,
    RespondSchema,
    SignSchema,
    agreement_form_values,
    load_form,
    offer_field,
    profile_form_values,
    timezones,
)
from .vocabulary import GOAL_ROWS, WANT_ROWS

bp = Blueprint("pairs", __name__, url_prefix="/pairs")
M = TypeVar("M", bound=Base)


# --- small helpers for loading and answering ----------------------------------------------------

def _pair(pair_id: int, decide: Callable[[Any, Pair], bool]) -> Pair:
    """The pair, if the actor may act on it: another course's id is 404, another pair's 403."""
    pair = db.session.get(Pair, pair_id)
    who = actor()
    if pair is None or not authz.in_course(who, pair.context_id):
        raise NotFound(_("This mentoring pair does not exist."))
    if not decide(who, pair):
        if authz.can_view_pair(who, pair):  # a partner, but not their turn or not now
            raise Forbidden(_("This is not possible at this stage of your mentoring."))
        raise Forbidden(_("Only the two partners can do this in their pair."))
    return pair


def _child(model: type[M], obj_id: int, pair: Pair) -> M:
    """A row of the pair (session, feedback, entry); a row of another pair is 404."""
    obj = db.session.get(model, obj_id)
    if obj is None or getattr(obj, "pair_id", None) != pair.id:
        raise NotFound(_("This item does not exist in your pair."))
    return obj


def _done(endpoint: str, code: str, **values: Any) -> Any:
    return redirect(url_for(endpoint, done=code, **values), code=303)


def _timezone() -> str:
    who = actor()
    profile = queries.profile_of(who.context_id, who.user_id)
    return profile.timezone if profile else current_app.config["PAIRS_TIMEZONE"]


def _names(*user_ids: int) -> dict[int, str]:
    rows = db.session.execute(db.select(User.id, User.name).where(User.id.in_(user_ids))).all()
    return {uid: name or f"#{uid}" for uid, name in rows}


def _pair_context(pair: Pair) -> dict[str, Any]:
    who = actor()
    names = _names(pair.mentor_id, pair.mentee_id)
    return {"pair": pair, "side": pair.side_of(who.user_id),
            "partner_name": names.get(pair.partner_of(who.user_id), ""), "names": names,
            "done": request.args.get("done"), "today": utcnow().date()}


def _render(template: str, pair: Pair, status: int = 200, **extra: Any) -> Any:
    extra.setdefault("errors", {})
    extra.setdefault("values", MultiDict())
    return render_template(template, **_pair_context(pair), **extra), status


# --- learner: overview and profile ---------------------------------------------------------------

@bp.get("/")
@requires(LEARNER)
def home() -> Any:
    who = actor()
    overview = queries.learner_overview(who.context_id, who.user_id, utcnow())
    return render_template("pairs/home.html", overview=overview, me=who.user_id,
                           done=request.args.get("done"))


def _profile_page(values: MultiDict[str, Any], errors: dict[str, str], status: int = 200) -> Any:
    return render_template("pairs/profile.html", values=values, errors=errors,
                           timezones=timezones(), offer_field=offer_field, want_rows=WANT_ROWS,
                           default_tz=current_app.config["PAIRS_TIMEZONE"]), status


@bp.get("/profile")
@requires(LEARNER)
def profile() -> Any:
    who = actor()
    existing = queries.profile_of(who.context_id, who.user_id)
    if existing:
        return _profile_page(profile_form_values(existing), {})
    # A course link placed "for mentors" or "for mentees" suggests the role; the person decides.
    hint = who.program_role if who.program_role in ("mentor", "mentee") else None
    return _profile_page(MultiDict({"role_preference": hint} if hint else {}), {})


@bp.post("/profile")
@requires(LEARNER)
def save_profile() -> Any:
    who = actor()
    if not authz.can_edit_profile(who, queries.profile_of(who.context_id, who.user_id)):
        raise Forbidden(_("You cannot change this profile."))
    try:
        data = load_form(ProfileSchema(), request.form)
    except ValidationFailed as exc:
        return _profile_page(request.form, exc.fields, 422)
    services.save_profile(who.context_id, who.user_id, data, utcnow())
    db.session.commit()
    return _done("pairs.home", "profile_saved")


# --- learner: a proposal and the pair's home ------------------------------------------------------

@bp.get("/<int:pair_id>")
@requires(LEARNER)
def show_pair(pair_id: int) -> Any:
    pair = _pair(pair_id, authz.can_view_pair)
    facts = queries.pair_facts([pair], utcnow())[0]
    return _render("pairs/pair.html", pair, facts=facts, proposal=pair.proposal,
                   charter=queries.charter(pair, _timezone(), utcnow()))


@bp.post("/<int:pair_id>/respond")
@requires(LEARNER)
def respond(pair_id: int) -> Any:
    pair = _pair(pair_id, authz.can_respond_to_proposal)
    try:
        data = load_form(RespondSchema(), request.form)
    except ValidationFailed as exc:
        facts = queries.pair_facts([pair], utcnow())[0]
        return _render("pairs/pair.html", pair, 422, facts=facts, proposal=pair.proposal,
                       charter=None, errors=exc.fields, values=request.form)
    services.respond_to_proposal(pair, actor().user_id, data["answer"],
                                 data.get("question", ""), utcnow())
    db.session.commit()
    code = {"accept": "accepted", "decline": "declined", "info": "info"}[data["answer"]]
    return _done("pairs.home" if code == "declined" else "pairs.show_pair", code,
                 **({} if code == "declined" else {"pair_id": pair.id}))


@bp.post("/<int:pair_id>/complete")
@requires(LEARNER)
def complete(pair_id: int) -> Any:
    pair = _pair(pair_id, authz.can_work_in_pair)
    services.mark_complete(pair, actor().user_id, utcnow())
    db.session.commit()
    return _done("pairs.show_pair", "completed", pair_id=pair.id)


# --- learner: agreement ---------------------------------------------------------------------------

@bp.get("/<int:pair_id>/agreement")
@requires(LEARNER)
def agreement(pair_id: int) -> Any:
    pair = _pair(pair_id, authz.can_view_pair)
    return _render("pairs/agreement.html", pair, agreement=queries.agreement_for(pair.id))


def _agreement_form(pair: Pair, status: int = 200, **extra: Any) -> Any:
    agreement = queries.agreement_for(pair.id)
    if agreement is None:
        raise NotFound(_("This pair has no agreement yet."))
    extra.setdefault("values", agreement_form_values(agreement.current))
    extra.setdefault("base_revision", agreement.revision)
    return _render("pairs/agreement_edit.html", pair, status, agreement=agreement,
                   goal_rows=GOAL_ROWS, **extra)


@bp.get("/<int:pair_id>/agreement/edit")
@requires(LEARNER)
def edit_agreement(pair_id: int) -> Any:
    return _agreement_form(_pair(pair_id, authz.can_work_in_pair))


@bp.post("/<int:pair_id>/agreement")
@requires(LEARNER)
def save_agreement(pair_id: int) -> Any:
    pair = _pair(pair_id, authz.can_work_in_pair)
    try:
        data = load_form(AgreementSchema(), request.form)
        services.save_agreement(pair, actor().user_id, data["base_revision"], data, utcnow())
    except ValidationFailed as exc:
        return _agreement_form(pair, 422, errors=exc.fields, values=request.form,
                               base_revision=request.form.get("base_revision", ""))
    except services.AgreementConflict:
        db.session.rollback()
        return _agreement_form(pair, 409, conflict=True, values=request.form)
    db.session.commit()
    return _done("pairs.agreement", "agreement_saved", pair_id=pair.id)


@bp.post("/<int:pair_id>/agreement/sign")
@requires(LEARNER)
def sign_agreement(pair_id: int) -> Any:
    pair = _pair(pair_id, authz.can_work_in_pair)
    try:
        data = load_form(SignSchema(), request.form)
        services.sign_agreement(pair, actor().user_id, data["base_revision"], utcnow())
    except services.AgreementConflict:
        db.session.rollback()
        return _render("pairs/agreement.html", pair, 409, conflict=True,
                       agreement=queries.agreement_for(pair.id))
    db.session.commit()
    return _done("pairs.agreement", "agreement_signed", pair_id=pair.id)


# --- learner: sessions ---------------------------------------------------------------------------

def _sessions_page(pair: Pair, status: int = 200, **extra: Any) -> Any:
    return _render("pairs/sessions.html", pair, status, sessions=queries.sessions_of(pair.id),
                   timezone=_timezone(), **extra)


@bp.get("/<int:pair_id>/sessions")
@requires(LEARNER)
def sessions(pair_id: int) -> Any:
    return _sessions_page(_pair(pair_id, authz.can_view_pair))


@bp.post("/<int:pair_id>/sessions/plan")
@requires(LEARNER)
def plan_session(pair_id: int) -> Any:
    pair = _pair(pair_id, authz.can_work_in_pair)
    tz = _timezone()
    try:
        data = load_form(PlanSessionSchema(today=utcnow().date(), timezone=tz), request.form)
    except ValidationFailed as exc:
        return _sessions_page(pair, 422, errors=exc.fields, values=request.form, failed="plan")
    services.plan_session(pair, actor().user_id, data["starts_at"], data["minutes"],
                          data["meeting_url"], utcnow())
    db.session.commit()
    return _done("pairs.sessions", "session_planned", pair_id=pair.id)


@bp.post("/<int:pair_id>/sessions/log")
@requires(LEARNER)
def log_session(pair_id: int) -> Any:
    pair = _pair(pair_id, authz.can_work_in_pair)
    try:
        data = load_form(LogSessionSchema(today=utcnow().date()), request.form)
    except ValidationFailed as exc:
        return _sessions_page(pair, 422, errors=exc.fields, values=request.form, failed="log")
    services.log_session(pair, actor().user_id, data["held_on"], data["minutes"],
                         data["topics"], utcnow(), session_id=data["session_id"])
    db.session.commit()
    return _done("pairs.sessions", "session_logged", pair_id=pair.id)


@bp.post("/<int:pair_id>/sessions/<int:session_id>/confirm")
@requires(LEARNER)
def confirm_session(pair_id: int, session_id: int) -> Any:
    pair = _pair(pair_id, authz.can_work_in_pair)
    session = _child(MentoringSession, session_id, pair)
    if not authz.can_confirm_session(actor(), pair, session):
        raise Forbidden(_("This session cannot be confirmed."))
    services.confirm_session(pair, session, actor().user_id, utcnow())
    db.session.commit()
    return _done("pairs.sessions", "session_confirmed", pair_id=pair.id)


@bp.get("/<int:pair_id>/sessions/<int:session_id>/calendar.ics")
@requires(LEARNER)
def session_ics(pair_id: int, session_id: int) -> Any:
    pair = _pair(pair_id, authz.can_view_pair)
    session = _child(MentoringSession, session_id, pair)
    if session.starts_at is None:
        raise NotFound(_("This session has no planned time."))
    names = _names(pair.mentor_id, pair.mentee_id)
    body = session_calendar(
        uid=f"pairs-session-{session.id}@{request.host}", starts_at=session.starts_at,
        minutes=session.planned_minutes or 60, stamp=session.created_at,
        summary=_("Mentoring session: %(a)s and %(b)s", a=names.get(pair.mentor_id, ""),
                  b=names.get(pair.mentee_id, "")),
        description=_("Reverse mentoring session planned in %(tool)s.",
                      tool=current_app.config["TOOL_NAME"]), meeting_url=session.meeting_url)
    return Response(body, mimetype="text/calendar", headers={
        "Content-Disposition": f'attachment; filename="mentoring-session-{session.id}.ics"'})


# --- learner: feedback ---------------------------------------------------------------------------

def _feedback_page(pair: Pair, status: int = 200, **extra: Any) -> Any:
    return _render("pairs/feedback.html", pair, status, items=queries.feedback_of(pair.id),
                   **extra)


@bp.get("/<int:pair_id>/feedback")
@requires(LEARNER)
def feedback(pair_id: int) -> Any:
    return _feedback_page(_pair(pair_id, authz.can_view_pair))


@bp.post("/<int:pair_id>/feedback")
@requires(LEARNER)
def give_feedback(pair_id: int) -> Any:
    pair = _pair(pair_id, authz.can_work_in_pair)
    try:
        data = load_form(FeedbackSchema(), request.form)
    except ValidationFailed as exc:
        return _feedback_page(pair, 422, errors=exc.fields, values=request.form, failed="give")
    services.give_feedback(pair, actor().user_id, data, utcnow())
    db.session.commit()
    return _done("pairs.feedback", "feedback_given", pair_id=pair.id)


@bp.post("/<int:pair_id>/feedback/<int:feedback_id>/acknowledge")
@requires(LEARNER)
def acknowledge_feedback(pair_id: int, feedback_id: int) -> Any:
    pair = _pair(pair_id, authz.can_work_in_pair)
    item = _child(Feedback, feedback_id, pair)
    if not authz.can_acknowledge_feedback(actor(), pair, item):
        raise Forbidden(_("Only the person who received this feedback can answer it."))
    try:
        data = load_form(AcknowledgeSchema(), request.form)
    except ValidationFailed as exc:
        return _feedback_page(pair, 422, errors=exc.fields, values=request.form,
                              failed=f"ack-{item.id}")
    services.acknowledge_feedback(pair, item, actor().user_id, data["action"],
                                  data["action_note"], utcnow())
    db.session.commit()
    return _done("pairs.feedback", "feedback_acknowledged", pair_id=pair.id)


# --- learner: check-ins ----------------------------------------------------------------------------

def _checkins_page(pair: Pair, status: int = 200, **extra: Any) -> Any:
    return _render("pairs/checkins.html", pair, status, items=queries.checkins_of(pair.id),
                   sessions=[s for s in queries.sessions_of(pair.id) if s.held_on], **extra)


@bp.get("/<int:pair_id>/checkins")
@requires(LEARNER)
def checkins(pair_id: int) -> Any:
    return _checkins_page(_pair(pair_id, authz.can_view_pair))


@bp.post("/<int:pair_id>/checkins")
@requires(LEARNER)
def record_checkin(pair_id: int) -> Any:
    pair = _pair(pair_id, authz.can_work_in_pair)
    try:
        data = load_form(CheckInSchema(), request.form)
    except ValidationFailed as exc:
        return _checkins_page(pair, 422, errors=exc.fields, values=request.form)
    services.record_checkin(pair, actor().user_id, data["happy"], data["learning"], data["note"],
                            utcnow(), session_id=data["session_id"])
    db.session.commit()
    return _done("pairs.checkins", "checkin_saved", pair_id=pair.id)


# --- learner: learning entries and attestations ---------------------------------------------------

def _learning_page(pair: Pair, status: int = 200, **extra: Any) -> Any:
    agreement = queries.agreement_for(pair.id)
    version = (agreement.signed_version or agreement.current) if agreement else None
    goal_competences = [g.competence_id for g in version.goals_for("mentee")] if version else []
    return _render("pairs/learning.html", pair, status, entries=queries.learning_of(pair.id),
                   attestations=queries.attestations_of(pair.id),
                   goal_competences=goal_competences, **extra)


@bp.get("/<int:pair_id>/learning")
@requires(LEARNER)
def learning(pair_id: int) -> Any:
    return _learning_page(_pair(pair_id, authz.can_view_pair))


@bp.post("/<int:pair_id>/learning")
@requires(LEARNER)
def add_learning_entry(pair_id: int) -> Any:
    pair = _pair(pair_id, authz.can_add_learning_entry)
    try:
        data = load_form(LearningEntrySchema(), request.form)
    except ValidationFailed as exc:
        return _learning_page(pair, 422, errors=exc.fields, values=request.form, failed="entry")
    services.add_learning_entry(pair, actor().user_id, data["text"], utcnow())
    db.session.commit()
    return _done("pairs.learning", "learning_saved", pair_id=pair.id)


@bp.post("/<int:pair_id>/learning/<int:entry_id>/confirm")
@requires(LEARNER)
def confirm_learning_entry(pair_id: int, entry_id: int) -> Any:
    pair = _pair(pair_id, authz.can_work_in_pair)
    entry = _child(LearningEntry, entry_id, pair)
    if not authz.can_confirm_learning_entry(actor(), pair, entry):
        raise Forbidden(_("Only the mentee can confirm what the mentor learned."))
    services.confirm_learning_entry(pair, entry, utcnow())
    db.session.commit()
    return _done("pairs.learning", "learning_confirmed", pair_id=pair.id)


@bp.post("/<int:pair_id>/attestations")
@requires(LEARNER)
def attest(pair_id: int) -> Any:
    pair = _pair(pair_id, authz.can_attest)
    try:
        data = load_form(AttestationSchema(today=utcnow().date()), request.form)
    except ValidationFailed as exc:
        return _learning_page(pair, 422, errors=exc.fields, values=request.form, failed="attest")
    services.attest(pair, actor().user_id, data["competence_id"], data["level"], data["task"],
                    data["observed_on"], utcnow())
    db.session.commit()
    return _done("pairs.learning", "attested", pair_id=pair.id)


# --- instructor: program and matching ------------------------------------------------------------

@bp.get("/program")
@requires(INSTRUCTOR)
def program() -> Any:
    who = actor()
    if not authz.can_manage_matching(who, who.context_id):
        raise Forbidden(_("Only instructors of this course can open this page."))
    now = utcnow()
    return render_template("pairs/program.html", pairs=queries.course_pairs(who.context_id, now),
                           summary=queries.program_summary(who.context_id, now),
                           questions=queries.open_questions(who.context_id),
                           done=request.args.get("done"))


def _matching_page(status: int = 200, **extra: Any) -> Any:
    page = queries.matching_page(actor().context_id)
    extra.setdefault("errors", {})
    extra.setdefault("values", MultiDict())
    return render_template("pairs/matching.html", **page, done=request.args.get("done"),
                           **extra), status


def _instructor_context() -> int:
    who = actor()
    if not authz.can_manage_matching(who, who.context_id):
        raise Forbidden(_("Only instructors of this course can open this page."))
    return who.context_id


def _proposal(proposal_id: int) -> Proposal:
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None or not authz.can_manage_matching(actor(), proposal.context_id):
        raise NotFound(_("This proposal does not exist."))
    return proposal


@bp.get("/matching")
@requires(INSTRUCTOR)
def matching() -> Any:
    _instructor_context()
    return _matching_page()


@bp.post("/matching/run")
@requires(INSTRUCTOR)
def run_matching() -> Any:
    context_id = _instructor_context()
    try:
        data = load_form(MatchRunSchema(), request.form)
    except ValidationFailed as exc:
        return _matching_page(422, errors=exc.fields, values=request.form, failed="run")
    services.run_matching(context_id, actor().user_id, mode=data["mode"], floor=data["floor"],
                          now=utcnow())
    db.session.commit()
    return _done("pairs.matching", "matching_run")


@bp.post("/proposals/<int:proposal_id>/remove")
@requires(INSTRUCTOR)
def remove_proposal(proposal_id: int) -> Any:
    proposal = _proposal(proposal_id)
    try:
        data = load_form(OptionalReasonSchema(), request.form)
    except ValidationFailed as exc:
        return _matching_page(422, errors=exc.fields, values=request.form,
                              failed=f"remove-{proposal.id}")
    services.remove_proposal(proposal.context_id, proposal.id, actor().user_id,
                             data.get("reason", ""), utcnow())
    db.session.commit()
    return _done("pairs.matching", "proposal_removed")


@bp.post("/proposals/<int:proposal_id>/override")
@requires(INSTRUCTOR)
def override_proposal(proposal_id: int) -> Any:
    proposal = _proposal(proposal_id)
    try:
        data = load_form(ReasonSchema(), request.form)
    except ValidationFailed as exc:
        return _matching_page(422, errors=exc.fields, values=request.form,
                              failed=f"override-{proposal.id}")
    services.override_floor(proposal.context_id, proposal.id, actor().user_id, data["reason"],
                            utcnow())
    db.session.commit()
    return _done("pairs.matching", "proposal_added")


@bp.post("/proposals/manual")
@requires(INSTRUCTOR)
def add_manual_pair() -> Any:
    context_id = _instructor_context()
    try:
        data = load_form(ManualPairSchema(), request.form)
    except ValidationFailed as exc:
        return _matching_page(422, errors=exc.fields, values=request.form, failed="manual")
    try:
        services.add_manual_pair(context_id, actor().user_id, data["mentor_id"],
                                 data["mentee_id"], data["reason"], utcnow())
    except (Conflict, NotFound) as exc:  # a refused pairing keeps the typed reason on screen
        db.session.rollback()
        return _matching_page(exc.status_code, errors={"mentee_id": exc.message},
                              values=request.form, failed="manual")
    db.session.commit()
    return _done("pairs.matching", "proposal_added")


@bp.post("/proposals/send")
@requires(INSTRUCTOR)
def send_proposals() -> Any:
    context_id = _instructor_context()
    services.send_proposals(context_id, utcnow())
    db.session.commit()
    return _done("pairs.program", "proposals_sent")


@bp.get("/pairs.css")
@public
def stylesheet() -> Any:
    """The few styles the pairs pages add (the CSP allows only our own style sheets)."""
    return send_from_directory(Path(__file__).parent / "static", "pairs.css",
                               mimetype="text/css", max_age=3600)
