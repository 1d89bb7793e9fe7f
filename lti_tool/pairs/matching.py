"""Explainable mentor–mentee scores and optimal cohort assignment (program.md §2.2).

Pure domain code: dataclasses in, dataclasses and numpy arrays out; no Flask, no database.

Pipeline: hard filters → score matrix → max-weight assignment with mentor capacities →
pairs below the floor go to an admin queue instead of being proposed. The same numbers come
from two paths: `score_pair()` (plain Python, one pair, with the parameters `explain()` needs)
and `score_matrix()` (numpy, a whole cohort). Every component is an integer count divided by
an integer, followed by the same sequence of float operations in both paths, so the two agree
bit for bit; the tests hold them to `==`.

Availability masks are 7×24 bits in UTC: bit `day * 24 + hour`, Monday = day 0. Bytes are
read little-endian (bit i is bit i % 8 of byte i // 8), so 21 bytes hold a week.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import IntFlag, StrEnum
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import linear_sum_assignment

Side = Literal["mentor", "mentee"]
Mode = Literal["quality", "participation"]
Pair = tuple[int, int]  # (mentor_id, mentee_id)

CHANNELS = ("email", "chat", "phone", "video", "in_person")
RESPONSE_TIMES = ("same_day", "two_days", "week")
CADENCES = ("weekly", "fortnightly", "monthly")
STYLE_ITEMS = ("pace", "structure", "directness")
SKILL_PRIORITY_WEIGHTS = (3, 2, 1)  # wants after the third count like the third
WEEK_BITS = 7 * 24
MAX_LEVEL = 5


class Exclusion(IntFlag):
    """Hard-filter reasons; `str(reason)` is the machine-readable code the UI translates."""

    SAME_PERSON = 1
    REPORTING_LINE = 2
    VETOED = 4
    PAUSED = 8
    NO_CAPACITY = 16
    NO_AVAILABILITY_OVERLAP = 32
    NO_SHARED_LANGUAGE = 64
    IN_PERSON_SITES_DIFFER = 128

    def __str__(self) -> str:
        return (self.name or "").lower()


class Component(StrEnum):
    SKILLS = "skills"
    RECIPROCITY = "reciprocity"
    AVAILABILITY = "availability"
    COMMUNICATION = "communication"
    CAREER_STAGE = "career_stage"
    ORG_DISTANCE = "org_distance"
    LOGISTICS = "logistics"
    MUTUAL_REQUEST = "mutual_request"


@dataclass(frozen=True, slots=True)
class Weights:
    """Points per component; the seven base weights sum to 100, the mutual bonus comes on top."""

    skills: float = 35.0
    reciprocity: float = 15.0
    availability: float = 15.0
    communication: float = 10.0
    career_stage: float = 10.0
    org_distance: float = 10.0
    logistics: float = 5.0
    mutual_request: float = 5.0

    def of(self, component: Component) -> float:
        return float(getattr(self, component.value))


@dataclass(frozen=True, slots=True)
class MatchConfig:
    weights: Weights = field(default_factory=Weights)
    floor: float = 55.0  # proposed pairs score at least this; the rest go to the admin queue
    mode: Mode = "quality"  # 'participation': most mentees above the floor first, then score
    tz_cap_hours: float = 8.0  # logistics falls linearly from 1 at 2 h apart to 0 here
    reporting_depth: int = 2  # direct and skip-level manager

    def __post_init__(self) -> None:
        if self.mode not in ("quality", "participation"):
            raise ValueError(f"mode must be 'quality' or 'participation', not {self.mode!r}")
        if self.tz_cap_hours <= 2:
            raise ValueError("tz_cap_hours must be above 2")


def _availability_int(mask: int | bytes) -> int:
    value = int.from_bytes(mask, "little") if isinstance(mask, bytes | bytearray) else int(mask)
    if value < 0 or value >> WEEK_BITS:
        raise ValueError("availability must fit in 7×24 bits")
    return value


@dataclass(frozen=True, slots=True)
class Candidate:
    """One side of a potential pair. Mentors fill `offers`, mentees fill `wants`."""

    id: int
    side: Side
    offers: Mapping[str, int] = field(default_factory=dict)  # DigComp id → self-rated level
    wants: Sequence[tuple[str, int]] = ()  # (DigComp id, target level), highest priority first
    teach_back_offers: frozenset[str] = frozenset()  # what the senior mentee can share
    teach_back_wants: frozenset[str] = frozenset()  # what the junior mentor wants to learn
    channels: frozenset[str] = frozenset()
    response_time: str = "two_days"
    availability: int | bytes = 0  # normalised to int; read it through `week_mask`
    hours_needed: float = 1.0
    cadence: str = "weekly"
    pace: int | None = None
    structure: int | None = None
    directness: int | None = None
    career_stage: int = 3
    department: str = ""
    team: str = ""
    site: str = ""
    manager_id: int | None = None
    reporting_chain: tuple[int, ...] = ()  # manager ids up the line, nearest first
    languages: frozenset[str] = frozenset()
    in_person_only: bool = False
    capacity: int = 1
    paused: bool = False
    tz_offset: float | None = None  # hours from UTC

    def __post_init__(self) -> None:
        # Frozen, so normalise through object.__setattr__: callers may pass sets, lists, bytes.
        norm = object.__setattr__
        norm(self, "offers", dict(self.offers))
        norm(self, "wants", tuple((str(c), int(t)) for c, t in self.wants))
        for name in ("teach_back_offers", "teach_back_wants", "channels", "languages"):
            norm(self, name, frozenset(getattr(self, name)))
        norm(self, "reporting_chain", tuple(self.reporting_chain))
        norm(self, "availability", _availability_int(self.availability))
        if self.tz_offset is not None:
            norm(self, "tz_offset", float(self.tz_offset))
        if self.side not in ("mentor", "mentee"):
            raise ValueError(f"side must be 'mentor' or 'mentee', not {self.side!r}")
        if any(not 1 <= lvl <= MAX_LEVEL for lvl in self.offers.values()):
            raise ValueError("offered levels must be 1..5")
        if any(not 1 <= t <= MAX_LEVEL for _, t in self.wants):
            raise ValueError("target levels must be 1..5")
        if len({c for c, _ in self.wants}) != len(self.wants):
            raise ValueError("a competence is wanted twice")
        if unknown := self.channels - set(CHANNELS):
            raise ValueError(f"unknown channels: {sorted(unknown)}")
        if self.response_time not in RESPONSE_TIMES or self.cadence not in CADENCES:
            raise ValueError("unknown response_time or cadence")
        for item in STYLE_ITEMS:
            value = getattr(self, item)
            if value is not None and not 1 <= value <= MAX_LEVEL:
                raise ValueError(f"{item} must be 1..5")
        if not 1 <= self.career_stage <= MAX_LEVEL:
            raise ValueError("career_stage must be 1..5")
        if self.hours_needed <= 0 or self.capacity < 0:
            raise ValueError("hours_needed must be positive and capacity not negative")

    @property
    def week_mask(self) -> int:
        return _availability_int(self.availability)

    def managers_above(self, depth: int) -> set[int]:
        """Ids of the managers `depth` levels up (1 = direct manager)."""
        ups = ([self.manager_id] if self.manager_id is not None else []) + list(
            self.reporting_chain[:depth]
        )
        return set(ups)


@dataclass(frozen=True, slots=True)
class PairScore:
    mentor_id: int
    mentee_id: int
    total: float
    points: Mapping[Component, float]  # w·f per component (mutual_request: 0 or the bonus)
    possible: Mapping[Component, float]  # w per component
    details: Mapping[Component, Mapping[str, Any]]  # what explain() and the UI show
    exclusions: tuple[Exclusion, ...] = ()

    @property
    def allowed(self) -> bool:
        return not self.exclusions


@dataclass(frozen=True, slots=True)
class Explanation:
    """Structured reasons; the UI turns codes and parameters into sentences."""

    reasons: tuple[dict[str, Any], ...]  # up to three strongest components, strongest first
    gap: dict[str, Any] | None  # the component that lost the most points
    exclusions: tuple[str, ...]


BASE_COMPONENTS = tuple(c for c in Component if c is not Component.MUTUAL_REQUEST)


def explain(score: PairScore, top: int = 3) -> Explanation:
    """Top reasons and the main gap of a pair as component codes with parameters."""
    order = {c: i for i, c in enumerate(Component)}
    ranked = sorted(
        (c for c in score.points if score.points[c] > 0),
        key=lambda c: (-score.points[c], order[c]),
    )
    reasons = tuple(
        {"code": c.value, "points": score.points[c], **score.details.get(c, {})}
        for c in ranked[:top]
    )
    lost = {c: score.possible[c] - score.points[c] for c in BASE_COMPONENTS}
    worst = max(BASE_COMPONENTS, key=lambda c: (lost[c], -order[c]))
    gap = (
        {"code": worst.value, "lost": lost[worst], **score.details.get(worst, {})}
        if lost[worst] > 0
        else None
    )
    return Explanation(reasons, gap, tuple(str(e) for e in score.exclusions))


# ---------------------------------------------------------------------------------------------
# Scalar path: one pair, readable, with explanation details.


def _rank(value: str, scale: Sequence[str]) -> int:
    return scale.index(value)


def pair_exclusions(
    mentor: Candidate,
    mentee: Candidate,
    *,
    vetoes: Collection[Pair] = frozenset(),
    config: MatchConfig = MatchConfig(),
) -> tuple[Exclusion, ...]:
    """Every hard filter the pair fails, in flag order; empty when the pair may be proposed."""
    found = Exclusion(0)
    if mentor.id == mentee.id:
        found |= Exclusion.SAME_PERSON
    if mentee.id in mentor.managers_above(config.reporting_depth) or mentor.id in (
        mentee.managers_above(config.reporting_depth)
    ):
        found |= Exclusion.REPORTING_LINE
    if (mentor.id, mentee.id) in vetoes:
        found |= Exclusion.VETOED
    if mentor.paused or mentee.paused:
        found |= Exclusion.PAUSED
    if mentor.capacity <= 0:
        found |= Exclusion.NO_CAPACITY
    if not mentor.week_mask & mentee.week_mask:
        found |= Exclusion.NO_AVAILABILITY_OVERLAP
    if not mentor.languages & mentee.languages:
        found |= Exclusion.NO_SHARED_LANGUAGE
    same_site = bool(mentor.site) and mentor.site == mentee.site
    if (mentor.in_person_only or mentee.in_person_only) and not same_site:
        found |= Exclusion.IN_PERSON_SITES_DIFFER
    return tuple(e for e in Exclusion if e in found)


def score_pair(
    mentor: Candidate,
    mentee: Candidate,
    *,
    vetoes: Collection[Pair] = frozenset(),
    mutual: Collection[Pair] = frozenset(),
    config: MatchConfig = MatchConfig(),
) -> PairScore:
    """Score one pair with per-component points and details (also for excluded pairs)."""
    w = config.weights
    f: dict[Component, float] = {}
    details: dict[Component, dict[str, Any]] = {}

    weights = [SKILL_PRIORITY_WEIGHTS[min(i, 2)] for i in range(len(mentee.wants))]
    hit = [mentor.offers.get(c, 0) >= t for c, t in mentee.wants]
    covered = sum(wt for wt, h in zip(weights, hit, strict=True) if h)
    total_weight = sum(weights)
    f[Component.SKILLS] = covered / total_weight if total_weight else 0.0
    details[Component.SKILLS] = {
        "covered": [c for (c, _), h in zip(mentee.wants, hit, strict=True) if h],
        "missing": [c for (c, _), h in zip(mentee.wants, hit, strict=True) if not h],
        "of": len(mentee.wants),
    }

    learnt = mentor.teach_back_wants & mentee.teach_back_offers
    n_wants = len(mentor.teach_back_wants)
    f[Component.RECIPROCITY] = len(learnt) / n_wants if n_wants else 0.0
    details[Component.RECIPROCITY] = {
        "topics": sorted(learnt),
        "missing": sorted(mentor.teach_back_wants - learnt),
        "of": n_wants,
    }

    overlap_mask = mentor.week_mask & mentee.week_mask
    overlap = overlap_mask.bit_count()
    need = max(mentor.hours_needed, mentee.hours_needed)
    f[Component.AVAILABILITY] = min(1.0, overlap / need)
    details[Component.AVAILABILITY] = {
        "hours": overlap,
        "needed": need,
        "days": [d for d in range(7) if (overlap_mask >> (24 * d)) & 0xFFFFFF],
    }

    shared_channels = mentor.channels & mentee.channels
    union = len(mentor.channels | mentee.channels)
    jaccard = len(shared_channels) / union if union else 0.0
    d_cadence = abs(_rank(mentor.cadence, CADENCES) - _rank(mentee.cadence, CADENCES))
    d_response = abs(
        _rank(mentor.response_time, RESPONSE_TIMES) - _rank(mentee.response_time, RESPONSE_TIMES)
    )
    rhythm = (4 - d_cadence - d_response) / 4
    answered = [
        (getattr(mentor, item), getattr(mentee, item))
        for item in STYLE_ITEMS
        if getattr(mentor, item) is not None and getattr(mentee, item) is not None
    ]
    # Unanswered style items are unknown, not a mismatch: score them neutral.
    style = sum(4 - abs(a - b) for a, b in answered) / (4 * len(answered)) if answered else 0.5
    f[Component.COMMUNICATION] = ((jaccard + rhythm) / 2 + style) / 2
    details[Component.COMMUNICATION] = {
        "channels": sorted(shared_channels),
        "same_cadence": d_cadence == 0,
        "same_response_time": d_response == 0,
        "style_similarity": style if answered else None,
    }

    # Directional on purpose: reverse mentoring wants the mentee to be the more senior one.
    gap = mentee.career_stage - mentor.career_stage
    f[Component.CAREER_STAGE] = min(max(gap, 0), 2) / 2
    details[Component.CAREER_STAGE] = {
        "mentor": mentor.career_stage,
        "mentee": mentee.career_stage,
    }

    if not mentor.department or not mentee.department:
        relation, f_org = "unknown", 0.5
    elif mentor.department != mentee.department:
        relation, f_org = "other_department", 1.0
    elif mentor.team and mentor.team == mentee.team:
        relation, f_org = "same_team", 0.0
    else:
        relation, f_org = "same_department", 0.5
    f[Component.ORG_DISTANCE] = f_org
    details[Component.ORG_DISTANCE] = {
        "relation": relation,
        "departments": [mentor.department, mentee.department],
    }

    same_site = bool(mentor.site) and mentor.site == mentee.site
    tz_diff: float | None = None
    if mentor.tz_offset is not None and mentee.tz_offset is not None:
        tz_diff = abs(mentor.tz_offset - mentee.tz_offset)
        tz_diff = min(tz_diff, 24 - tz_diff)
    if same_site:
        f_log = 1.0
    elif tz_diff is None:
        f_log = 0.5
    elif tz_diff <= 2:
        f_log = 1.0
    else:
        f_log = max(0.0, (config.tz_cap_hours - tz_diff) / (config.tz_cap_hours - 2))
    f[Component.LOGISTICS] = f_log
    details[Component.LOGISTICS] = {"same_site": same_site, "tz_diff": tz_diff}

    points: dict[Component, float] = {c: w.of(c) * f[c] for c in BASE_COMPONENTS}
    total = 0.0
    for c in BASE_COMPONENTS:  # same summation order as score_matrix
        total = total + points[c]
    is_mutual = (mentor.id, mentee.id) in mutual
    points[Component.MUTUAL_REQUEST] = w.mutual_request if is_mutual else 0.0
    if is_mutual:
        total = total + w.mutual_request
        details[Component.MUTUAL_REQUEST] = {}
    possible = {c: w.of(c) for c in Component}
    return PairScore(
        mentor_id=mentor.id,
        mentee_id=mentee.id,
        total=min(total, 100.0),
        points=points,
        possible=possible,
        details=details,
        exclusions=pair_exclusions(mentor, mentee, vetoes=vetoes, config=config),
    )


# ---------------------------------------------------------------------------------------------
# Vectorised path: a whole cohort at once.


@dataclass(frozen=True, slots=True)
class ScoreMatrix:
    mentor_ids: NDArray[np.int64]
    mentee_ids: NDArray[np.int64]
    total: NDArray[np.float64]  # mentors × mentees
    excluded: NDArray[np.uint8]  # Exclusion flags, 0 = allowed
    points: dict[Component, NDArray[np.float64]] | None = None  # only when asked for

    def exclusions(self, i: int, j: int) -> tuple[Exclusion, ...]:
        flags = Exclusion(int(self.excluded[i, j]))
        return tuple(e for e in Exclusion if e in flags)


def _codes(values: Sequence[str], vocab: dict[str, int]) -> NDArray[np.int32]:
    """Integer codes with -1 for unknown (empty) values, shared by both sides."""
    return np.array([vocab.setdefault(v, len(vocab)) if v else -1 for v in values], np.int32)


def _one_hot(sets: Sequence[Iterable[str]], vocab: Sequence[str]) -> NDArray[np.float64]:
    index = {v: i for i, v in enumerate(vocab)}
    out = np.zeros((len(sets), len(vocab)))
    for row, items in enumerate(sets):
        out[row, [index[i] for i in items]] = 1.0
    return out


def _words(masks: Sequence[int]) -> NDArray[np.uint64]:
    """Split 168-bit masks into three uint64 words for numpy popcount."""
    full = (1 << 64) - 1
    words = [[(m >> s) & full for s in (0, 64, 128)] for m in masks]
    return np.array(words, np.uint64).reshape(len(masks), 3)


def _style(cands: Sequence[Candidate]) -> NDArray[np.int16]:
    return np.array([[getattr(c, i) or 0 for i in STYLE_ITEMS] for c in cands], np.int16).reshape(
        len(cands), len(STYLE_ITEMS)
    )


def _channels(cands: Sequence[Candidate]) -> NDArray[np.uint8]:
    bit = {ch: 1 << i for i, ch in enumerate(CHANNELS)}
    return np.array([sum(bit[ch] for ch in c.channels) for c in cands], np.uint8)


def _pair_index(
    pairs: Iterable[Pair], mentor_pos: dict[int, int], mentee_pos: dict[int, int]
) -> tuple[list[int], list[int]]:
    rows, cols = [], []
    for m, n in pairs:
        if m in mentor_pos and n in mentee_pos:
            rows.append(mentor_pos[m])
            cols.append(mentee_pos[n])
    return rows, cols


def score_matrix(
    mentors: Sequence[Candidate],
    mentees: Sequence[Candidate],
    *,
    vetoes: Collection[Pair] = frozenset(),
    mutual: Collection[Pair] = frozenset(),
    config: MatchConfig = MatchConfig(),
    with_points: bool = False,
    block_rows: int = 256,
) -> ScoreMatrix:
    """Scores and hard-filter flags for every mentor × mentee pair, equal to `score_pair`."""
    w = config.weights
    n_m, n_n = len(mentors), len(mentees)
    if len({m.id for m in mentors}) != n_m or len({n.id for n in mentees}) != n_n:
        raise ValueError("candidate ids must be unique on each side")

    # Competences × target level as one axis: mentor row has 1 where level ≥ l, mentee row has
    # the priority weight where target == l, so one matrix product sums covered weights.
    comp_vocab = sorted(
        {c for m in mentors for c in m.offers} | {c for n in mentees for c, _ in n.wants}
    )
    k = {c: i for i, c in enumerate(comp_vocab)}
    n_k = len(comp_vocab)
    levels = np.zeros((n_m, MAX_LEVEL * n_k))
    for row, m in enumerate(mentors):
        for c, lvl in m.offers.items():
            for lv in range(1, lvl + 1):
                levels[row, (lv - 1) * n_k + k[c]] = 1.0
    wanted = np.zeros((n_n, MAX_LEVEL * n_k))
    total_weight = np.zeros(n_n)
    for row, n in enumerate(mentees):
        for i, (c, t) in enumerate(n.wants):
            wt = SKILL_PRIORITY_WEIGHTS[min(i, 2)]
            wanted[row, (t - 1) * n_k + k[c]] = wt
            total_weight[row] += wt

    topic_vocab = sorted({t for m in mentors for t in m.teach_back_wants})
    learn = _one_hot([m.teach_back_wants for m in mentors], topic_vocab)
    share = _one_hot([n.teach_back_offers & set(topic_vocab) for n in mentees], topic_vocab)
    n_learn = learn.sum(axis=1)
    lang_vocab = sorted({lang for c in (*mentors, *mentees) for lang in c.languages})
    lang_m = _one_hot([m.languages for m in mentors], lang_vocab)
    lang_n = _one_hot([n.languages for n in mentees], lang_vocab)

    avail_m = _words([m.week_mask for m in mentors])
    avail_n = _words([n.week_mask for n in mentees])
    hours_m = np.array([m.hours_needed for m in mentors], float)
    hours_n = np.array([n.hours_needed for n in mentees], float)
    chan_m, chan_n = _channels(mentors), _channels(mentees)
    cad_m = np.array([_rank(m.cadence, CADENCES) for m in mentors], np.int16)
    cad_n = np.array([_rank(n.cadence, CADENCES) for n in mentees], np.int16)
    resp_m = np.array([_rank(m.response_time, RESPONSE_TIMES) for m in mentors], np.int16)
    resp_n = np.array([_rank(n.response_time, RESPONSE_TIMES) for n in mentees], np.int16)
    style_m, style_n = _style(mentors), _style(mentees)
    stage_m = np.array([m.career_stage for m in mentors], np.int16)
    stage_n = np.array([n.career_stage for n in mentees], np.int16)
    vocab: dict[str, int] = {}
    dept_m = _codes([m.department for m in mentors], vocab)
    dept_n = _codes([n.department for n in mentees], vocab)
    vocab = {}
    team_m = _codes([m.team for m in mentors], vocab)
    team_n = _codes([n.team for n in mentees], vocab)
    vocab = {}
    site_m = _codes([m.site for m in mentors], vocab)
    site_n = _codes([n.site for n in mentees], vocab)
    nan = float("nan")
    tz_m = np.array([nan if m.tz_offset is None else m.tz_offset for m in mentors])
    tz_n = np.array([nan if n.tz_offset is None else n.tz_offset for n in mentees])
    ids_m = np.array([m.id for m in mentors], np.int64)
    ids_n = np.array([n.id for n in mentees], np.int64)
    inperson_m = np.array([m.in_person_only for m in mentors], bool)
    inperson_n = np.array([n.in_person_only for n in mentees], bool)
    paused_m = np.array([m.paused for m in mentors], bool)
    paused_n = np.array([n.paused for n in mentees], bool)
    nocap_m = np.array([m.capacity <= 0 for m in mentors], bool)

    total = np.empty((n_m, n_n))
    excluded = np.zeros((n_m, n_n), np.uint8)
    points = {c: np.empty((n_m, n_n)) for c in Component} if with_points else None
    cap, cap_span = config.tz_cap_hours, config.tz_cap_hours - 2

    # Row blocks bound the temporaries to block_rows × mentees whatever the cohort size.
    for r0 in range(0, n_m, block_rows):
        s = slice(r0, min(r0 + block_rows, n_m))
        ex = excluded[s]
        ex[ids_m[s, None] == ids_n[None, :]] |= np.uint8(Exclusion.SAME_PERSON)
        ex[paused_m[s], :] |= np.uint8(Exclusion.PAUSED)
        ex[:, paused_n] |= np.uint8(Exclusion.PAUSED)
        ex[nocap_m[s], :] |= np.uint8(Exclusion.NO_CAPACITY)
        overlap = np.zeros((s.stop - s.start, n_n), np.uint8)
        for word in range(3):
            overlap += np.bitwise_count(avail_m[s, word, None] & avail_n[None, :, word])
        ex[overlap == 0] |= np.uint8(Exclusion.NO_AVAILABILITY_OVERLAP)
        ex[(lang_m[s] @ lang_n.T) == 0] |= np.uint8(Exclusion.NO_SHARED_LANGUAGE)
        same_site = (site_m[s, None] == site_n[None, :]) & (site_m[s, None] >= 0)
        ex[(inperson_m[s, None] | inperson_n[None, :]) & ~same_site] |= np.uint8(
            Exclusion.IN_PERSON_SITES_DIFFER
        )

        f_sk = np.divide(
            levels[s] @ wanted.T,
            total_weight,
            out=np.zeros_like(overlap, float),
            where=total_weight > 0,
        )
        n_learn_s = n_learn[s, None]
        f_rec = np.divide(
            learn[s] @ share.T, n_learn_s, out=np.zeros_like(f_sk), where=n_learn_s > 0
        )
        need = np.maximum(hours_m[s, None], hours_n[None, :])
        f_av = np.minimum(1.0, overlap / need)
        inter = np.bitwise_count(chan_m[s, None] & chan_n[None, :])
        union = np.bitwise_count(chan_m[s, None] | chan_n[None, :])
        jaccard = np.divide(inter, union, out=np.zeros_like(f_sk), where=union > 0)
        rhythm = (
            4 - np.abs(cad_m[s, None] - cad_n[None, :]) - np.abs(resp_m[s, None] - resp_n[None, :])
        ) / 4
        sim = np.zeros(f_sk.shape, np.int16)
        answered = np.zeros(f_sk.shape, np.int16)
        for item in range(len(STYLE_ITEMS)):
            a, b = style_m[s, item, None], style_n[None, :, item]
            both = (a > 0) & (b > 0)
            sim += np.where(both, 4 - np.abs(a - b), 0).astype(np.int16)
            answered += both
        style = np.divide(sim, 4 * answered, out=np.full(f_sk.shape, 0.5), where=answered > 0)
        f_comm = ((jaccard + rhythm) / 2 + style) / 2
        f_stage = np.clip(stage_n[None, :] - stage_m[s, None], 0, 2) / 2
        dm, dn = dept_m[s, None], dept_n[None, :]
        same_team = (dm == dn) & (team_m[s, None] == team_n[None, :]) & (team_m[s, None] >= 0)
        f_org = np.where(
            (dm >= 0) & (dn >= 0) & (dm != dn), 1.0, np.where((dm >= 0) & same_team, 0.0, 0.5)
        )
        tz = np.abs(tz_m[s, None] - tz_n[None, :])
        tz = np.minimum(tz, 24 - tz)
        near = np.where(tz <= 2, 1.0, np.maximum(0.0, (cap - tz) / cap_span))
        f_log = np.where(same_site, 1.0, np.where(np.isnan(tz), 0.5, near))

        block = total[s]
        block[...] = 0.0
        fs = (f_sk, f_rec, f_av, f_comm, f_stage, f_org, f_log)
        for comp, fc in zip(BASE_COMPONENTS, fs, strict=True):
            p = w.of(comp) * fc
            block += p  # same left-to-right order as the scalar running sum
            if points is not None:
                points[comp][s] = p
        if points is not None:
            points[Component.MUTUAL_REQUEST][s] = 0.0

    mentor_pos = {int(i): r for r, i in enumerate(ids_m)}
    mentee_pos = {int(i): r for r, i in enumerate(ids_n)}
    rows, cols = _pair_index(mutual, mentor_pos, mentee_pos)
    total[rows, cols] += w.mutual_request
    if points is not None:
        points[Component.MUTUAL_REQUEST][rows, cols] = w.mutual_request
    np.minimum(total, 100.0, out=total)

    rows, cols = _pair_index(vetoes, mentor_pos, mentee_pos)
    excluded[rows, cols] |= np.uint8(Exclusion.VETOED)
    # Reporting lines are sparse: look each person's managers up instead of comparing matrices.
    depth = config.reporting_depth
    for r, m in enumerate(mentors):
        for boss in m.managers_above(depth):
            if boss in mentee_pos:
                excluded[r, mentee_pos[boss]] |= np.uint8(Exclusion.REPORTING_LINE)
    for col, n in enumerate(mentees):
        for boss in n.managers_above(depth):
            if boss in mentor_pos:
                excluded[mentor_pos[boss], col] |= np.uint8(Exclusion.REPORTING_LINE)
    return ScoreMatrix(ids_m, ids_n, total, excluded, points)


# ---------------------------------------------------------------------------------------------
# Assignment.


def solve(
    value: NDArray[np.float64],
    eligible: NDArray[np.bool_],
    capacity: NDArray[np.integer[Any]],
    mode: Mode = "quality",
) -> list[tuple[int, int]]:
    """Optimal (mentor index, mentee index) pairs among `eligible` ones within capacities.

    'quality' maximises the summed value; 'participation' first maximises the number of pairs,
    then the summed value. Values must be non-negative and at most 100; a pair worth exactly 0
    adds nothing, so 'quality' may leave it out.
    """
    rows = np.flatnonzero(eligible.any(axis=1) & (capacity > 0))
    cols = np.flatnonzero(eligible[rows].any(axis=0))
    if rows.size == 0 or cols.size == 0:
        return []
    sub = eligible[np.ix_(rows, cols)]
    # One column per capacity slot; slots a mentor could never fill only slow the solver down.
    slots = np.minimum(capacity[rows], sub.sum(axis=1))
    slot_row = np.repeat(np.arange(rows.size), slots)
    # With every eligible value > 0, a full assignment where ineligible cells are worth 0 is a
    # maximum-weight matching once the zero cells are dropped; no infeasible-matrix errors.
    weight = np.asarray(value, float)[np.ix_(rows[slot_row], cols)]
    mask = sub[slot_row]
    if mode == "participation":
        # Worth more than any achievable difference in summed scores, so the count wins first.
        weight += 100.0 * min(slot_row.size, cols.size) + 1.0
    weight[~mask] = 0.0
    r, c = linear_sum_assignment(weight, maximize=True)
    keep = mask[r, c] & (weight[r, c] > 0)
    return [(int(rows[slot_row[i]]), int(cols[j])) for i, j in zip(r[keep], c[keep], strict=True)]


def greedy_solve(
    value: NDArray[np.float64],
    eligible: NDArray[np.bool_],
    capacity: NDArray[np.integer[Any]],
    chunk: int = 65536,
) -> list[tuple[int, int]]:
    """Baseline: repeatedly take the highest remaining eligible pair (ties: lower indices)."""
    mi, ni = np.nonzero(eligible)
    order = np.argsort(-value[mi, ni], kind="stable")
    mi, ni = mi[order], ni[order]
    left = capacity.astype(np.int64).copy()
    taken = np.zeros(eligible.shape[1], bool)
    pairs: list[tuple[int, int]] = []
    for start in range(0, mi.size, chunk):
        # Full mentors and taken mentees stay so, so dropping them per chunk changes nothing.
        m, n = mi[start : start + chunk], ni[start : start + chunk]
        live = (left[m] > 0) & ~taken[n]
        for a, b in zip(m[live].tolist(), n[live].tolist(), strict=True):
            if left[a] > 0 and not taken[b]:
                left[a] -= 1
                taken[b] = True
                pairs.append((a, b))
        if not (left > 0).any() or taken.all():
            break
    return pairs


@dataclass(frozen=True, slots=True)
class Assignment:
    proposed: list[PairScore]  # at or above the floor: offered to both people for consent
    admin_queue: list[PairScore]  # best remaining pairs below the floor, for a human to judge
    unmatched: list[int]  # mentee ids in neither list

    @property
    def total(self) -> float:
        return sum(p.total for p in self.proposed)


def _assign(
    mentors: Sequence[Candidate],
    mentees: Sequence[Candidate],
    vetoes: Collection[Pair],
    mutual: Collection[Pair],
    config: MatchConfig,
    greedy: bool,
) -> Assignment:
    for side, cands in (("mentor", mentors), ("mentee", mentees)):
        if wrong := [c.id for c in cands if c.side != side]:
            raise ValueError(f"candidates {wrong} are listed as {side}s but are not")
    sm = score_matrix(mentors, mentees, vetoes=vetoes, mutual=mutual, config=config)
    allowed = sm.excluded == 0
    capacity = np.array([m.capacity for m in mentors], np.int64)

    def run(eligible: NDArray[np.bool_], cap: NDArray[np.int64]) -> list[tuple[int, int]]:
        if greedy:
            return greedy_solve(sm.total, eligible, cap)
        return solve(sm.total, eligible, cap, config.mode)

    above = sm.total >= config.floor
    first = run(allowed & above, capacity)
    # Second round on what is left: capacity that a below-floor pair used here would have been
    # taken from the proposals, so those pairs only fill the admin queue.
    left = capacity.copy()
    free = np.ones(len(mentees), bool)
    for i, j in first:
        left[i] -= 1
        free[j] = False
    second = run(allowed & ~above & free[None, :], left)

    def scored(pairs: list[tuple[int, int]]) -> list[PairScore]:
        return [
            score_pair(mentors[i], mentees[j], vetoes=vetoes, mutual=mutual, config=config)
            for i, j in sorted(pairs, key=lambda p: (mentees[p[1]].id, mentors[p[0]].id))
        ]

    seen = {j for _, j in first} | {j for _, j in second}
    unmatched = [n.id for j, n in enumerate(mentees) if j not in seen]
    return Assignment(scored(first), scored(second), unmatched)


def assign(
    mentors: Sequence[Candidate],
    mentees: Sequence[Candidate],
    *,
    vetoes: Collection[Pair] = frozenset(),
    mutual: Collection[Pair] = frozenset(),
    config: MatchConfig = MatchConfig(),
) -> Assignment:
    """Optimal cohort assignment (Hungarian algorithm over mentor capacity slots)."""
    return _assign(mentors, mentees, vetoes, mutual, config, greedy=False)


def greedy_assign(
    mentors: Sequence[Candidate],
    mentees: Sequence[Candidate],
    *,
    vetoes: Collection[Pair] = frozenset(),
    mutual: Collection[Pair] = frozenset(),
    config: MatchConfig = MatchConfig(),
) -> Assignment:
    """Greedy baseline with the same filters, floor and admin queue; `config.mode` is ignored."""
    return _assign(mentors, mentees, vetoes, mutual, config, greedy=True)
