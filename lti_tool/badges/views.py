"""Badge pages: the learner's "My badges", the instructor's awards, and the public pages every
credential links to (no login): the badge and its criteria, one credential with a live check,
downloads, status lists, the verify page; plus /.well-known/did.json and the OB 2.0 documents.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

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

from ..authz import (
    INSTRUCTOR,
    LEARNER,
    actor,
    can_manage_own_award,
    can_revoke_award,
    can_view_course_awards,
    public,
    public_post,
    requires,
)
from ..db import db, utcnow
from ..errors import NotFound, ValidationFailed
from ..i18n import current_locale
from ..lti.models import Context, User
from . import baking, ob2, ob3, queries, services, verification
from .models import BadgeAward
from .schemas import RevokeForm, VisibilityForm, load
from .sharing import ShareFields, linkedin_url

bp = Blueprint("badges", __name__, url_prefix="/badges")
wellknown_bp = Blueprint("wellknown", __name__)
ob2_bp = Blueprint("ob2", __name__, url_prefix="/ob2")

VC_JSON = "application/vc+ld+json"
LD_JSON = "application/ld+json"
_ASSETS = Path(__file__).with_name("static")


def _rt() -> services.BadgeRuntime:
    rt: services.BadgeRuntime = current_app.extensions["lti_tool.badges"]
    return rt


def _json(doc: Any, mimetype: str, *, status: int = 200, download: str | None = None,
          max_age: int | None = None) -> Response:
    resp = Response(json.dumps(doc, ensure_ascii=False, indent=1), status=status,
                    mimetype=mimetype)
    # Web verifiers and wallets fetch these from their own origin.
    resp.headers["Access-Control-Allow-Origin"] = "*"
    if download:
        resp.headers["Content-Disposition"] = f'attachment; filename="{download}"'
    if max_age is not None:
        resp.headers["Cache-Control"] = f"public, max-age={max_age}"
    return resp


def _wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["text/html", VC_JSON, LD_JSON,
                                                "application/json"])
    return best not in (None, "text/html") and request.accept_mimetypes[best] > \
        request.accept_mimetypes["text/html"]


def _public_award(credential: uuid.UUID) -> BadgeAward:
    award = queries.award_by_credential(credential)
    if award is None:
        raise NotFound(_("There is no badge with this address. Check the link you were given."))
    return award


def _badge(slug: str) -> Any:
    badge = _rt().badge(slug)
    if badge is None:
        raise NotFound(_("There is no such badge."))
    return badge


# -- the learner ------------------------------------------------------------------------------

@bp.get("/mine")
@requires(LEARNER)
def show_my_badges() -> Any:
    """The learner's badges, what each one means, and what they can earn next."""
    who, rt = actor(), _rt()
    awards = queries.awards_of(who.user_id, who.context_id)
    return render_template("badges/my_badges.html", awards=awards, rt=rt,
                           next_steps=services.whats_next(rt, who.user_id, who.context_id,
                                                          utcnow()),
                           done=request.args.get("done"))


@bp.post("/mine/<int:award_id>/visibility")
@requires(LEARNER)
def update_visibility(award_id: int) -> Any:
    """Show or hide the learner's name on one badge's public page."""
    award = db.session.get(BadgeAward, award_id)
    if award is None or not can_manage_own_award(actor(), award):
        raise NotFound(_("This badge is not yours, or it does not exist."))
    data = load(VisibilityForm(), request.form)
    services.set_show_name(award, data["show_name"])
    db.session.commit()
    return redirect(url_for("badges.show_my_badges", done="visibility") + f"#award-{award_id}",
                    code=303)


# -- the instructor ---------------------------------------------------------------------------

def _course_page(status: int = 200, errors: dict[int, str] | None = None,
                 reasons: dict[int, str] | None = None) -> Any:
    who = actor()
    if not can_view_course_awards(who, who.context_id):
        raise NotFound(_("This page does not exist in your course."))
    return render_template("badges/course_awards.html", rt=_rt(),
                           course=db.session.get(Context, who.context_id),
                           awards=queries.course_awards(who.context_id),
                           counts=queries.course_counts(who.context_id),
                           errors=errors or {}, reasons=reasons or {},
                           done=request.args.get("done")), status


@bp.get("/course")
@requires(INSTRUCTOR)
def show_course_awards() -> Any:
    """Every badge awarded in the course, with a revoke form for each."""
    return _course_page()


@bp.post("/course/<int:award_id>/revoke")
@requires(INSTRUCTOR)
def revoke_award(award_id: int) -> Any:
    """Revoke one award with a reason; revoking it again changes nothing."""
    award = db.session.get(BadgeAward, award_id)
    if award is None or not can_revoke_award(actor(), award):
        raise NotFound(_("This badge was not awarded in your course."))
    try:
        data = load(RevokeForm(), request.form)
    except ValidationFailed as exc:
        return _course_page(422, {award_id: exc.message},
                            {award_id: str(request.form.get("reason", ""))[:500]})
    changed = services.revoke(award, data["reason"], utcnow())
    db.session.commit()
    return redirect(url_for("badges.show_course_awards",
                            done="revoked" if changed else "already") + f"#award-{award_id}",
                    code=303)


# -- public: the badge ------------------------------------------------------------------------

@bp.get("/<slug>")
@public
def show_badge(slug: str) -> Any:
    """What the badge means and how it is earned (#criteria): the Achievement's id and criteria."""
    badge, rt = _badge(slug), _rt()
    lang = current_locale()
    if _wants_json():
        doc = ob3.achievement(badge, lang, services.issuer_now(rt), rt.urls)
        db.session.commit()  # the badge key, on the tool's very first use
        return _json({"@context": ob3.CONTEXT, **doc}, LD_JSON, max_age=3600)
    return render_template("badges/badge.html", badge=badge, text=badge.text(lang), rt=rt)


@bp.get("/<slug>/image.png")
@public
def badge_image_png(slug: str) -> Any:
    """The badge image as a 512 px PNG (rendered from its SVG once per process)."""
    resp = Response(services.badge_png(_rt(), _badge(slug).slug), mimetype="image/png")
    resp.headers["Cache-Control"] = "public, max-age=86400"
    resp.headers["Access-Control-Allow-Origin"] = "*"
    return resp


@bp.get("/<slug>/image.svg")
@public
def badge_image_svg(slug: str) -> Any:
    resp = Response(_badge(slug).image_svg, mimetype="image/svg+xml")
    resp.headers["Cache-Control"] = "public, max-age=86400"
    return resp


# -- public: one credential -------------------------------------------------------------------

def _share(rt: services.BadgeRuntime, award: BadgeAward, name: str) -> ShareFields:
    issuer = award.credential_json.get("issuer", {})
    return ShareFields(name=name, organization=str(issuer.get("name") or rt.tool_name),
                       issued=award.awarded_at, url=rt.urls.credential(award.credential_id),
                       credential_id=award.credential_id)


@bp.get("/credentials/<uuid:credential>")
@public
def show_credential(credential: uuid.UUID) -> Any:
    """The public page of one badge: image, issuer, date, criteria, evidence, a live check."""
    award, rt = _public_award(credential), _rt()
    if _wants_json():
        return _json(award.credential_json, VC_JSON)
    doc = award.credential_json
    achievement = doc.get("credentialSubject", {}).get("achievement", {})
    name = str(doc.get("name") or achievement.get("name") or award.badge_slug)
    share = _share(rt, award, name)
    holder = None
    if award.show_name:
        user = db.session.get(User, award.user_id)
        holder = user.name if user is not None else None
    check = verification.check_award(rt, award)
    resp = Response(render_template(
        "badges/credential.html", award=award, doc=doc, achievement=achievement, name=name,
        holder=holder, check=check, checks=verification.explain(check), share=share,
        linkedin=linkedin_url(share), rt=rt, page_url=share.url,
        image_url=rt.urls.image(award.badge_slug)))
    resp.headers["Cache-Control"] = "no-cache"  # the check is live: revalidate every time
    return resp


@bp.get("/credentials/<uuid:credential>/credential.json")
@public
def download_json(credential: uuid.UUID) -> Any:
    """The signed OB 3.0 credential, to keep or to put in a wallet."""
    award = _public_award(credential)
    return _json(award.credential_json, VC_JSON,
                 download=services.credential_file_name(award, "json"))


@bp.get("/credentials/<uuid:credential>/badge.png")
@public
def download_png(credential: uuid.UUID) -> Any:
    """The badge image with the credential baked in (iTXt 'openbadgecredential')."""
    award, rt = _public_award(credential), _rt()
    png = baking.bake_png(services.badge_png(rt, award.badge_slug), award.credential_json)
    resp = Response(png, mimetype="image/png")
    resp.headers["Content-Disposition"] = (
        f'attachment; filename="{services.credential_file_name(award, "png")}"')
    return resp


@bp.get("/credentials/<uuid:credential>/badge.svg")
@public
def download_svg(credential: uuid.UUID) -> Any:
    """The badge image as SVG with the credential baked in (<openbadges:credential>)."""
    award, rt = _public_award(credential), _rt()
    svg = baking.bake_svg(rt.definitions[award.badge_slug].image_svg, award.credential_json)
    resp = Response(svg, mimetype="image/svg+xml")
    resp.headers["Content-Disposition"] = (
        f'attachment; filename="{services.credential_file_name(award, "svg")}"')
    return resp


@bp.get("/status/<int:number>")
@public
def show_status_list(number: int) -> Any:
    """A signed BitstringStatusListCredential; short caching so a revocation shows quickly."""
    if not 1 <= number <= max(1, queries.highest_list_number()):
        raise NotFound(_("There is no such status list."))
    revision, doc, _lookup = services.status_list(_rt(), number)
    db.session.commit()  # the badge key, on the tool's very first use
    etag = f'W/"status-{number}-{revision}"'
    if etag in request.headers.get("If-None-Match", ""):
        return Response(status=304, headers={"ETag": etag, "Cache-Control": "public, max-age=60"})
    resp = _json(doc, VC_JSON, max_age=60)
    resp.headers["ETag"] = etag
    return resp


# -- public: verify anything ------------------------------------------------------------------

@bp.get("/verify")
@public
def show_verify() -> Any:
    return render_template("badges/verify.html", report=None,
                           limit_kb=current_app.config["BADGES_UPLOAD_LIMIT"] // 1024)


@bp.post("/verify")
@public_post
def check_upload() -> Any:
    """Check an uploaded JSON file, pasted JSON, or a baked PNG/SVG; explain any failure."""
    limit = int(current_app.config["BADGES_UPLOAD_LIMIT"])
    upload = request.files.get("file")
    data = upload.stream.read(limit + 1) if upload is not None and upload.filename else b""
    if not data.strip():
        data = request.form.get("json", "").encode("utf-8")
    report = verification.verify_upload(_rt(), data, limit=limit)
    db.session.rollback()  # nothing to keep: checking never writes
    return render_template("badges/verify.html", report=report, limit_kb=limit // 1024,
                           explain=verification.explain)


@bp.get("/assets/<any('badges.css', 'badges.js'):name>")
@public
def asset(name: str) -> Any:
    """The few styles and the copy buttons of the badge pages (the CSP allows only ours)."""
    mimetype = "text/css" if name.endswith(".css") else "text/javascript"
    return send_from_directory(_ASSETS, name, mimetype=mimetype, max_age=3600)


# -- /.well-known/did.json ------------------------------------------------------------------

@wellknown_bp.get("/.well-known/did.json")
@public
def show_did_document() -> Any:
    """The tool's did:web document: every badge key, current, next and retired."""
    doc = services.did_state(_rt()).document
    db.session.commit()  # the badge keys, on the tool's very first use
    return _json(doc, "application/did+ld+json", max_age=300)


# -- Open Badges 2.0 --------------------------------------------------------------------------

@ob2_bp.get("/issuer")
@public
def show_issuer() -> Any:
    doc = services.ob2_issuer(_rt())
    db.session.commit()
    return _json(doc, LD_JSON, max_age=3600)


@ob2_bp.get("/badges/<slug>")
@public
def show_badge_class(slug: str) -> Any:
    return _json(ob2.badge_class(_badge(slug), current_locale(), _rt().urls), LD_JSON,
                 max_age=3600)


def _ob2_award(credential: uuid.UUID) -> tuple[BadgeAward, dict[str, Any]]:
    award = _public_award(credential)
    try:
        return award, services.ob2_assertion(_rt(), award)
    except ob2.RecipientNotAddressable as exc:
        raise NotFound(_("This badge exists as an Open Badges 3.0 credential only: the course "
                         "system did not share the learner's e-mail address, which Open Badges "
                         "2.0 needs.")) from exc


@ob2_bp.get("/assertions/<uuid:credential>")
@public
def show_assertion(credential: uuid.UUID) -> Any:
    """The hosted Assertion; a revoked one answers 410 Gone with `revoked: true` (OB 2.0)."""
    award, doc = _ob2_award(credential)
    if award.revoked_at is not None:
        return _json(ob2.revoked_assertion(award.credential_id, _rt().urls, award.revoke_reason),
                     LD_JSON, status=410)
    resp = _json(doc, LD_JSON)
    resp.headers["Cache-Control"] = "no-cache"
    return resp


@ob2_bp.get("/assertions/<uuid:credential>/image.png")
@public
def assertion_image(credential: uuid.UUID) -> Any:
    """The badge PNG baked with the hosted Assertion (iTXt 'openbadges'), for backpacks."""
    award, doc = _ob2_award(credential)
    png = baking.bake_png(services.badge_png(_rt(), award.badge_slug), doc, "ob2")
    resp = Response(png, mimetype="image/png")
    resp.headers["Content-Disposition"] = (
        f'inline; filename="{services.credential_file_name(award, "ob2.png")}"')
    return resp


# -- home cards -------------------------------------------------------------------------------

def learner_card() -> dict[str, Any]:
    who = actor()
    awards = queries.awards_of(who.user_id, who.context_id)
    return {"earned": sum(1 for a in awards if a.revoked_at is None), "total":
            len(_rt().definitions), "latest": awards[-1] if awards else None}


def instructor_card() -> dict[str, int]:
    return queries.course_counts(actor().context_id)
