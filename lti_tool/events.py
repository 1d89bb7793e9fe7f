"""Documented signals between areas.

Every handler runs inside the sender's database transaction: it may add and flush rows, it must
never commit. The adapter that caused the event commits once, so the event and everything its
handlers wrote land together or not at all.

Senders pass keyword arguments only; each signal lists them below.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

launch_synced = _signals.signal("launch_synced")
"""A validated launch updated user, course and membership.
kwargs: user_id, context_id, role ('learner' | 'instructor')."""

step_completed = _signals.signal("step_completed")
"""A learner completed a step for the first time (not sent again on a double submit).
kwargs: user_id, context_id, module_slug, step_id, kind, content_version, score (quiz: right
answers, else None), passed (quiz: bool, else None), completed_at."""

module_completed = _signals.signal("module_completed")
"""A learner completed the last required step of a module.
kwargs: user_id, context_id, module_slug, content_version, score (0..1 share of quiz points or
None), passed (bool), completed_at."""

pair_formed = _signals.signal("pair_formed")
"""Both partners accepted: the pair is active. kwargs: pair_id, context_id, mentor_id, mentee_id,
formed_at."""

agreement_signed = _signals.signal("agreement_signed")
"""The second partner signed the current agreement version. kwargs: pair_id, agreement_id,
version, signed_at."""

session_confirmed = _signals.signal("session_confirmed")
"""Both partners confirmed a logged mentoring session. kwargs: pair_id, session_id, held_on,
minutes, confirmed_at."""

feedback_exchanged = _signals.signal("feedback_exchanged")
"""A receiver acknowledged a piece of structured feedback and chose an action. kwargs: pair_id,
feedback_id, giver_id, receiver_id, direction ('mentor_to_mentee' | 'mentee_to_mentor'),
acknowledged_at."""

checkin_recorded = _signals.signal("checkin_recorded")
"""A partner recorded a pulse check-in. kwargs: pair_id, checkin_id, user_id, happy (1..5),
learning (bool), kind ('pulse' | 'midpoint' | 'closing'), recorded_at."""

self_assessment_recorded = _signals.signal("self_assessment_recorded")
"""A learner rated DigComp competences. kwargs: user_id, context_id, ratings ({competence_id:
level 1..5}), source (module slug or 'profile'), recorded_at."""

learning_entry_confirmed = _signals.signal("learning_entry_confirmed")
"""A mentee confirmed a mentor's "what I learned from my mentee" entry. kwargs: pair_id,
entry_id, mentor_id, confirmed_at."""

level_up_attested = _signals.signal("level_up_attested")
"""A mentor attested an observed task for a mentee's competence. kwargs: pair_id, mentee_id,
competence_id, attested_at."""

pair_completed = _signals.signal("pair_completed")
"""Both partners marked the pair's program complete (or the end date passed). kwargs: pair_id,
completed_at."""

badge_awarded = _signals.signal("badge_awarded")
"""A milestone badge was awarded. kwargs: award_id, user_id, badge_slug, awarded_at."""

badge_revoked = _signals.signal("badge_revoked")
"""An award was revoked. kwargs: award_id, reason, revoked_at."""
