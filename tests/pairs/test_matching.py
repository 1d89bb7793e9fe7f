"""The matching engine: hard filters, score components, explanations, optimal assignment."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from lti_tool.pairs.matching import (
    CADENCES,
    CHANNELS,
    RESPONSE_TIMES,
    Candidate,
    Component,
    Exclusion,
    MatchConfig,
    assign,
    explain,
    greedy_assign,
    greedy_solve,
    pair_exclusions,
    score_matrix,
    score_pair,
    solve,
)


def slot(day: int, hour: int) -> int:
    return 1 << (day * 24 + hour)


TUE_9, TUE_10, TUE_11, THU_9 = slot(1, 9), slot(1, 10), slot(1, 11), slot(3, 9)


def mentor(**kw: Any) -> Candidate:
    base: dict[str, Any] = dict(
        id=1,
        side="mentor",
        offers={"2.1": 4, "4.2": 3},
        teach_back_wants={"feedback"},
        channels={"video"},
        availability=TUE_9 | TUE_10,
        languages={"en"},
        department="it",
        team="it-1",
        site="paris",
        career_stage=1,
        tz_offset=1,
    )
    return Candidate(**(base | kw))


def mentee(**kw: Any) -> Candidate:
    base: dict[str, Any] = dict(
        id=101,
        side="mentee",
        wants=[("2.1", 3)],
        teach_back_offers={"feedback"},
        channels={"video"},
        availability=TUE_9 | TUE_10,
        languages={"en", "fr"},
        department="sales",
        team="sales-1",
        site="paris",
        career_stage=4,
        tz_offset=1,
    )
    return Candidate(**(base | kw))


def both_paths(m: Candidate, n: Candidate, **kw: Any) -> tuple[Exclusion, ...]:
    """Exclusions from the scalar and the vectorised path, which must agree."""
    scalar = pair_exclusions(m, n, **kw)
    assert score_matrix([m], [n], **kw).exclusions(0, 0) == scalar
    return scalar


# --- hard filters ----------------------------------------------------------------------------


def test_compatible_pair_passes_every_filter() -> None:
    assert both_paths(mentor(), mentee()) == ()
    assert score_pair(mentor(), mentee()).allowed


@pytest.mark.parametrize(
    ("m", "n", "reason"),
    [
        (mentor(manager_id=101), mentee(), Exclusion.REPORTING_LINE),
        (mentor(), mentee(manager_id=1), Exclusion.REPORTING_LINE),
        (mentor(reporting_chain=(7, 101)), mentee(), Exclusion.REPORTING_LINE),
        (mentor(), mentee(reporting_chain=(7, 1)), Exclusion.REPORTING_LINE),
        (mentor(paused=True), mentee(), Exclusion.PAUSED),
        (mentor(), mentee(paused=True), Exclusion.PAUSED),
        (mentor(capacity=0), mentee(), Exclusion.NO_CAPACITY),
        (mentor(availability=THU_9), mentee(), Exclusion.NO_AVAILABILITY_OVERLAP),
        (mentor(availability=0), mentee(), Exclusion.NO_AVAILABILITY_OVERLAP),
        (mentor(languages={"de"}), mentee(), Exclusion.NO_SHARED_LANGUAGE),
        (mentor(languages=set()), mentee(), Exclusion.NO_SHARED_LANGUAGE),
        (mentor(in_person_only=True, site="lyon"), mentee(), Exclusion.IN_PERSON_SITES_DIFFER),
        (mentor(), mentee(in_person_only=True, site="lyon"), Exclusion.IN_PERSON_SITES_DIFFER),
        (mentor(in_person_only=True, site=""), mentee(site=""), Exclusion.IN_PERSON_SITES_DIFFER),
        (mentor(id=101), mentee(), Exclusion.SAME_PERSON),
    ],
)
def test_each_hard_filter_has_its_reason(m: Candidate, n: Candidate, reason: Exclusion) -> None:
    assert both_paths(m, n) == (reason,)
    result = assign([m], [n], config=MatchConfig(floor=0))
    assert result.proposed == [] and result.admin_queue == []
    assert result.unmatched == [n.id]


def test_vetoed_or_declined_pair_is_excluded_one_way_only() -> None:
    assert both_paths(mentor(), mentee(), vetoes={(1, 101)}) == (Exclusion.VETOED,)
    assert both_paths(mentor(), mentee(), vetoes={(101, 1), (1, 102)}) == ()


def test_reporting_line_stops_at_skip_level_and_depth_is_configurable() -> None:
    far_boss = mentor(reporting_chain=(7, 8, 101))
    assert both_paths(far_boss, mentee()) == ()
    deep = MatchConfig(reporting_depth=3)
    assert both_paths(far_boss, mentee(), config=deep) == (Exclusion.REPORTING_LINE,)


def test_in_person_only_on_the_same_site_is_allowed_and_reasons_accumulate() -> None:
    assert both_paths(mentor(in_person_only=True), mentee(in_person_only=True)) == ()
    m = mentor(paused=True, languages={"de"}, manager_id=101)
    reasons = both_paths(m, mentee(), vetoes={(1, 101)})
    assert [str(r) for r in reasons] == ["reporting_line", "vetoed", "paused", "no_shared_language"]


# --- score components ------------------------------------------------------------------------


def test_hand_made_pair_scores_every_component() -> None:
    m = mentor(
        offers={"2.1": 4, "4.2": 2, "1.3": 3},
        teach_back_wants={"feedback", "career"},
        channels={"video", "chat"},
        availability=TUE_9 | TUE_10 | TUE_11,
        response_time="same_day",
        pace=3,
        structure=4,
        site="berlin",
        tz_offset=0,
    )
    n = mentee(
        wants=[("2.1", 3), ("4.2", 2), ("1.3", 4), ("5.1", 2)],
        teach_back_offers={"feedback", "budgeting"},
        channels={"video", "email"},
        availability=TUE_10 | TUE_11 | THU_9,
        hours_needed=4,
        response_time="two_days",
        pace=5,
        structure=4,
        directness=2,
        tz_offset=5,
    )
    s = score_pair(m, n)
    expected = {
        Component.SKILLS: 35 * 5 / 7,  # weights 3/2/1/1: 2.1 and 4.2 met, 1.3 level too low
        Component.RECIPROCITY: 15 * 1 / 2,
        Component.AVAILABILITY: 15 * 2 / 4,
        Component.COMMUNICATION: 10 * (((1 / 3 + 3 / 4) / 2 + 6 / 8) / 2),
        Component.CAREER_STAGE: 10.0,
        Component.ORG_DISTANCE: 10.0,
        Component.LOGISTICS: 5 * 0.5,  # 5 h apart, cap 8 h
        Component.MUTUAL_REQUEST: 0.0,
    }
    assert s.points == pytest.approx(expected)
    assert s.total == pytest.approx(sum(expected.values()))
    assert s.details[Component.SKILLS] == {
        "covered": ["2.1", "4.2"],
        "missing": ["1.3", "5.1"],
        "of": 4,
    }
    assert s.details[Component.AVAILABILITY] == {"hours": 2, "needed": 4, "days": [1]}
    assert s.details[Component.COMMUNICATION]["channels"] == ["video"]


def test_skill_fit_weights_priorities_and_needs_the_target_level() -> None:
    wants = [("1.1", 3), ("1.2", 3), ("1.3", 3), ("1.4", 3)]
    for offers, share in [
        ({"1.1": 3}, 3 / 7),
        ({"1.2": 5}, 2 / 7),
        ({"1.3": 3, "1.4": 4}, 2 / 7),
        ({"1.1": 2, "1.2": 2}, 0.0),
        ({}, 0.0),
    ]:
        s = score_pair(mentor(offers=offers), mentee(wants=wants))
        assert s.points[Component.SKILLS] == pytest.approx(35 * share)
    assert score_pair(mentor(), mentee(wants=[])).points[Component.SKILLS] == 0.0


@pytest.mark.parametrize(
    ("mentor_stage", "mentee_stage", "f"), [(2, 2, 0.0), (2, 3, 0.5), (1, 5, 1.0), (4, 2, 0.0)]
)
def test_career_stage_gap_counts_only_a_more_senior_mentee(
    mentor_stage: int, mentee_stage: int, f: float
) -> None:
    s = score_pair(mentor(career_stage=mentor_stage), mentee(career_stage=mentee_stage))
    assert s.points[Component.CAREER_STAGE] == 10 * f


@pytest.mark.parametrize(
    ("mentor_org", "mentee_org", "f", "relation"),
    [
        (("it", "a"), ("sales", "a"), 1.0, "other_department"),
        (("it", "a"), ("it", "b"), 0.5, "same_department"),
        (("it", "a"), ("it", "a"), 0.0, "same_team"),
        (("it", ""), ("it", ""), 0.5, "same_department"),
        (("", "a"), ("it", "a"), 0.5, "unknown"),
    ],
)
def test_organisational_distance(
    mentor_org: tuple[str, str], mentee_org: tuple[str, str], f: float, relation: str
) -> None:
    m = mentor(department=mentor_org[0], team=mentor_org[1])
    n = mentee(department=mentee_org[0], team=mentee_org[1])
    s = score_pair(m, n)
    assert s.points[Component.ORG_DISTANCE] == 10 * f
    assert s.details[Component.ORG_DISTANCE]["relation"] == relation


@pytest.mark.parametrize(
    ("sites", "tzs", "f"),
    [
        (("paris", "paris"), (1, -5), 1.0),
        (("paris", "lyon"), (1, 3), 1.0),
        (("paris", "lyon"), (0, 5), 0.5),
        (("paris", "lyon"), (0, 9), 0.0),
        (("paris", "lyon"), (11, -12), 1.0),  # 1 h apart across the date line
        (("paris", "lyon"), (None, 3), 0.5),
        (("", ""), (5.5, 0), (8 - 5.5) / 6),
    ],
)
def test_logistics_site_then_time_zone(
    sites: tuple[str, str], tzs: tuple[float | None, float | None], f: float
) -> None:
    s = score_pair(mentor(site=sites[0], tz_offset=tzs[0]), mentee(site=sites[1], tz_offset=tzs[1]))
    assert s.points[Component.LOGISTICS] == pytest.approx(5 * f)


def test_availability_caps_at_hours_needed_and_style_is_neutral_when_unanswered() -> None:
    s = score_pair(mentor(hours_needed=2), mentee(availability=TUE_9 | TUE_10 | TUE_11))
    assert s.points[Component.AVAILABILITY] == 15.0
    s = score_pair(mentor(cadence="monthly", response_time="week"), mentee())
    # jaccard 1, rhythm (4 - 2 - 1) / 4, style unknown = 0.5
    assert s.points[Component.COMMUNICATION] == pytest.approx(10 * ((1 + 1 / 4) / 2 + 0.5) / 2)
    assert s.details[Component.COMMUNICATION]["style_similarity"] is None


def test_mutual_request_adds_a_bonus_capped_at_100() -> None:
    perfect = score_pair(mentor(pace=3), mentee(pace=3))
    assert perfect.total == 100.0
    mutual = score_pair(mentor(pace=3), mentee(pace=3), mutual={(1, 101)})
    assert mutual.total == 100.0 and mutual.points[Component.MUTUAL_REQUEST] == 5.0
    plain = score_pair(mentor(), mentee())
    bonus = score_pair(mentor(), mentee(), mutual={(1, 101)})
    assert bonus.total == pytest.approx(min(100.0, plain.total + 5))


def test_bytes_availability_equals_the_int_mask() -> None:
    mask = TUE_9 | THU_9 | slot(6, 23)
    assert mentor(availability=mask.to_bytes(21, "little")).week_mask == mask
    with pytest.raises(ValueError):
        mentor(availability=1 << 168)


@pytest.mark.parametrize(
    "bad",
    [
        dict(offers={"2.1": 6}),
        dict(wants=[("2.1", 3), ("2.1", 4)]),
        dict(channels={"pigeon"}),
        dict(cadence="daily"),
        dict(pace=0),
        dict(side="either"),
        dict(hours_needed=0),
    ],
)
def test_invalid_candidates_are_refused(bad: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        mentor(**bad)


def test_mentee_listed_as_mentor_is_refused() -> None:
    with pytest.raises(ValueError):
        assign([mentee()], [mentee(id=102)])


# --- explanations ----------------------------------------------------------------------------


def test_explain_gives_top_three_reasons_and_the_main_gap_as_codes() -> None:
    m = mentor(offers={"2.1": 4, "4.2": 3}, teach_back_wants={"career", "negotiation"})
    n = mentee(wants=[("2.1", 3), ("4.2", 2), ("1.3", 2)], teach_back_offers={"feedback"})
    e = explain(score_pair(m, n))
    assert [r["code"] for r in e.reasons] == ["skills", "availability", "career_stage"]
    skills = e.reasons[0]
    assert skills["covered"] == ["2.1", "4.2"] and skills["of"] == 3
    assert skills["points"] == pytest.approx(35 * 5 / 6)
    assert e.gap is not None and e.gap["code"] == "reciprocity"
    assert e.gap["missing"] == ["career", "negotiation"] and e.gap["lost"] == 15.0
    assert e.exclusions == ()
    assert all(isinstance(v, str | int | float | list | bool | None) for v in skills.values())


def test_explain_mentions_mutual_requests_and_exclusions() -> None:
    e = explain(score_pair(mentor(), mentee(), mutual={(1, 101)}, vetoes={(1, 101)}), top=8)
    assert "mutual_request" in [r["code"] for r in e.reasons]
    assert e.exclusions == ("vetoed",)


def test_explain_has_no_gap_for_a_perfect_pair() -> None:
    assert explain(score_pair(mentor(pace=3), mentee(pace=3))).gap is None


# --- scalar and vectorised paths agree -------------------------------------------------------


def random_cohort(
    rng: np.random.Generator, n_mentors: int, n_mentees: int, *, loose: bool = False
) -> tuple[list[Candidate], list[Candidate], set[tuple[int, int]], set[tuple[int, int]]]:
    """Small vocabularies and many unknowns, so ties, empty sets and wrap-arounds all occur.

    `loose` relaxes the hard filters so that assignment tests have many allowed pairs.
    """
    comps = ["1.1", "1.2", "2.1", "2.4", "4.2", "5.1"]
    topics = ["feedback", "career", "negotiation", "industry"]
    sites, depts = ["", "paris", "lyon", "lisbon"], ["", "it", "sales"]
    mentor_ids = list(range(1, n_mentors + 1))
    mentee_ids = (
        list(range(1, n_mentees + 1)) if rng.random() < 0.2 else [100 + i for i in range(n_mentees)]
    )

    def some(items: list[str], lo: int = 0, hi: int | None = None) -> list[str]:
        k = int(rng.integers(lo, (hi or len(items)) + 1))
        return [str(x) for x in rng.choice(items, size=k, replace=False)]

    def person(cid: int, side: str, others: list[int]) -> dict[str, Any]:
        mask = 0
        for _ in range(int(rng.integers(0, 5))):
            mask |= 1 << int(rng.integers(0, 24 * 7 if rng.random() < 0.3 else 6))
        if loose:
            mask |= 1
        return dict(
            id=cid,
            side=side,
            channels=set(some(list(CHANNELS))),
            response_time=str(rng.choice(RESPONSE_TIMES)),
            cadence=str(rng.choice(CADENCES)),
            availability=mask,
            hours_needed=float(rng.choice([1, 1.5, 2, 3])),
            pace=None if rng.random() < 0.3 else int(rng.integers(1, 6)),
            structure=None if rng.random() < 0.3 else int(rng.integers(1, 6)),
            directness=None if rng.random() < 0.3 else int(rng.integers(1, 6)),
            career_stage=int(rng.integers(1, 6)),
            department=str(rng.choice(depts)),
            team=str(rng.choice(["", "a", "b"])),
            site=str(rng.choice(sites)),
            manager_id=int(rng.choice(others)) if rng.random() < 0.15 else None,
            reporting_chain=tuple(int(x) for x in rng.choice(others + [999], size=2))
            if rng.random() < 0.2
            else (),
            languages=set(some(["en", "fr", "de"], 0, 2)) | ({"en"} if loose else set()),
            in_person_only=not loose and bool(rng.random() < 0.15),
            paused=not loose and bool(rng.random() < 0.07),
            tz_offset=None
            if rng.random() < 0.2
            else float(rng.choice([-12, -5, 0, 1, 3.5, 5.5, 11, 14])),
        )

    mentors = [
        Candidate(
            offers={c: int(rng.integers(1, 6)) for c in some(comps)},
            teach_back_wants=set(some(topics)),
            capacity=int(rng.integers(0 if not loose else 1, 4)),
            **person(i, "mentor", mentee_ids),
        )
        for i in mentor_ids
    ]
    mentees = [
        Candidate(
            wants=[(c, int(rng.integers(1, 6))) for c in some(comps)],
            teach_back_offers=set(some(topics)),
            **person(i, "mentee", mentor_ids),
        )
        for i in mentee_ids
    ]

    def pairs(k: int) -> set[tuple[int, int]]:
        return {(int(rng.choice(mentor_ids)), int(rng.choice(mentee_ids))) for _ in range(k)}

    return mentors, mentees, pairs(n_mentors), pairs(n_mentors)


@pytest.mark.parametrize("seed", range(6))
def test_vectorised_scores_equal_scalar_scores_exactly(seed: int) -> None:
    rng = np.random.default_rng(seed)
    mentors, mentees, vetoes, mutual = random_cohort(rng, 23, 31)
    config = MatchConfig(tz_cap_hours=float(rng.choice([3.0, 8.0, 12.5])))
    kw: dict[str, Any] = dict(vetoes=vetoes, mutual=mutual, config=config)
    sm = score_matrix(mentors, mentees, with_points=True, block_rows=7, **kw)
    assert sm.points is not None
    for i, m in enumerate(mentors):
        for j, n in enumerate(mentees):
            s = score_pair(m, n, **kw)
            assert s.total == sm.total[i, j], (i, j)
            assert s.exclusions == sm.exclusions(i, j), (i, j)
            for c in Component:
                assert s.points[c] == sm.points[c][i, j], (i, j, c)
    assert (sm.excluded != 0).any() and (sm.excluded == 0).any()
    plain = score_matrix(mentors, mentees, **kw)
    assert np.array_equal(plain.total, sm.total) and np.array_equal(plain.excluded, sm.excluded)


# --- optimal assignment ----------------------------------------------------------------------


def brute_force(
    value: np.ndarray, eligible: np.ndarray, capacity: np.ndarray
) -> tuple[float, tuple[int, float]]:
    """Best total, and best (pairs, total), over every assignment that respects capacities."""
    n_mentors, n_mentees = eligible.shape
    left = [int(c) for c in capacity]
    best_total, best_count = 0.0, (0, 0.0)

    def walk(j: int, count: int, total: float) -> None:
        nonlocal best_total, best_count
        if j == n_mentees:
            best_total = max(best_total, total)
            best_count = max(best_count, (count, total))
            return
        walk(j + 1, count, total)  # mentee j stays unmatched
        for i in range(n_mentors):
            if eligible[i, j] and left[i] > 0:
                left[i] -= 1
                walk(j + 1, count + 1, total + float(value[i, j]))
                left[i] += 1

    walk(0, 0, 0.0)
    return best_total, best_count


def check_valid(pairs: list[tuple[int, int]], eligible: np.ndarray, capacity: np.ndarray) -> None:
    assert all(eligible[i, j] for i, j in pairs)
    assert len({j for _, j in pairs}) == len(pairs)
    used = np.bincount([i for i, _ in pairs], minlength=len(capacity))
    assert (used <= capacity).all()


@pytest.mark.parametrize("seed", range(150))
def test_solve_is_optimal_in_both_modes_by_brute_force(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_mentors, n_mentees = int(rng.integers(1, 7)), int(rng.integers(1, 7))
    value = np.round(rng.uniform(1, 100, (n_mentors, n_mentees)))  # ties happen
    eligible = rng.random((n_mentors, n_mentees)) < rng.uniform(0.2, 0.9)
    capacity = rng.integers(0, 4, n_mentors)
    best_total, (best_n, best_n_total) = brute_force(value, eligible, capacity)

    quality = solve(value, eligible, capacity, "quality")
    check_valid(quality, eligible, capacity)
    assert sum(value[i, j] for i, j in quality) == pytest.approx(best_total)

    participation = solve(value, eligible, capacity, "participation")
    check_valid(participation, eligible, capacity)
    assert len(participation) == best_n
    assert sum(value[i, j] for i, j in participation) == pytest.approx(best_n_total)

    greedy = greedy_solve(value, eligible, capacity)
    check_valid(greedy, eligible, capacity)
    assert sum(value[i, j] for i, j in greedy) <= best_total + 1e-9


def test_quality_and_participation_modes_differ() -> None:
    # A–x and B–y are excellent; covering all three mentees needs three weaker pairs.
    value = np.array([[100.0, 56.0, 0.0], [0.0, 100.0, 56.0], [56.0, 0.0, 0.0]])
    eligible = value > 0
    capacity = np.ones(3, int)
    assert sorted(solve(value, eligible, capacity, "quality")) == [(0, 0), (1, 1)]
    assert sorted(solve(value, eligible, capacity, "participation")) == [(0, 1), (1, 2), (2, 0)]


def test_greedy_can_be_worse_than_optimal_on_a_matrix() -> None:
    # Together's worked example in spirit: greedy grabs the single best pair and blocks two.
    value = np.array([[90.0, 80.0], [85.0, 0.0]])
    eligible, capacity = value > 0, np.ones(2, int)
    assert greedy_solve(value, eligible, capacity) == [(0, 0)]
    assert sorted(solve(value, eligible, capacity)) == [(0, 1), (1, 0)]


def test_greedy_assign_is_worse_than_assign_on_candidates() -> None:
    a = mentor(id=1, offers={"2.1": 5, "4.2": 5}, availability=TUE_9 | TUE_10)
    b = mentor(id=2, offers={"2.1": 5}, availability=TUE_9, channels={"phone"})
    x = mentee(id=101, wants=[("2.1", 3)], availability=TUE_9 | TUE_10)
    y = mentee(id=102, wants=[("4.2", 3)], availability=TUE_10, channels={"email"})
    ax, ay, bx = score_pair(a, x).total, score_pair(a, y).total, score_pair(b, x).total
    assert ax > max(ay, bx) and min(ay, bx) >= 55 and not score_pair(b, y).allowed

    greedy = greedy_assign([a, b], [x, y])
    assert [(p.mentor_id, p.mentee_id) for p in greedy.proposed] == [(1, 101)]
    assert greedy.unmatched == [102]
    best = assign([a, b], [x, y])
    assert [(p.mentor_id, p.mentee_id) for p in best.proposed] == [(2, 101), (1, 102)]
    assert best.total == pytest.approx(ay + bx) and best.total > greedy.total


@pytest.mark.parametrize("mode", ["quality", "participation"])
@pytest.mark.parametrize("seed", range(40))
def test_assign_on_random_cohorts_matches_brute_force(seed: int, mode: str) -> None:
    rng = np.random.default_rng(1000 + seed)
    size = int(rng.integers(1, 7)), int(rng.integers(1, 7))
    mentors, mentees, vetoes, mutual = random_cohort(rng, *size, loose=True)
    floor = float(rng.choice([20.0, 35.0, 55.0]))
    config = MatchConfig(floor=floor, mode=mode)  # type: ignore[arg-type]
    result = assign(mentors, mentees, vetoes=vetoes, mutual=mutual, config=config)

    sm = score_matrix(mentors, mentees, vetoes=vetoes, mutual=mutual, config=config)
    eligible = (sm.excluded == 0) & (sm.total >= config.floor)
    capacity = np.array([m.capacity for m in mentors])
    best_total, (best_n, best_n_total) = brute_force(sm.total, eligible, capacity)
    if mode == "quality":
        assert result.total == pytest.approx(best_total)
    else:
        assert (len(result.proposed), result.total) == (best_n, pytest.approx(best_n_total))
    check_assignment(result, mentors, mentees, config)


def check_assignment(
    result: Any, mentors: list[Candidate], mentees: list[Candidate], config: MatchConfig
) -> None:
    everyone = result.proposed + result.admin_queue
    assert all(p.allowed for p in everyone)
    assert all(p.total >= config.floor for p in result.proposed)
    assert all(p.total < config.floor for p in result.admin_queue)
    placed = [p.mentee_id for p in everyone]
    assert len(placed) == len(set(placed))
    assert set(placed) | set(result.unmatched) == {n.id for n in mentees}
    assert not set(placed) & set(result.unmatched)
    for m in mentors:
        assert sum(p.mentor_id == m.id for p in everyone) <= m.capacity


def test_capacity_floor_and_queue_hold_on_a_larger_cohort() -> None:
    rng = np.random.default_rng(99)
    mentors, mentees, vetoes, mutual = random_cohort(rng, 60, 90)
    for mode in ("quality", "participation"):
        config = MatchConfig(floor=40, mode=mode)  # type: ignore[arg-type]
        result = assign(mentors, mentees, vetoes=vetoes, mutual=mutual, config=config)
        check_assignment(result, mentors, mentees, config)
        assert result.proposed and result.admin_queue
        greedy = greedy_assign(mentors, mentees, vetoes=vetoes, mutual=mutual, config=config)
        check_assignment(greedy, mentors, mentees, config)
        if mode == "quality":
            assert greedy.total <= result.total + 1e-9
        else:
            assert len(greedy.proposed) <= len(result.proposed)
    full = assign(
        [replace(m, capacity=2) for m in mentors[:3]], mentees, config=MatchConfig(floor=0)
    )
    assert len(full.proposed) <= 6


def test_pairs_below_the_floor_go_to_the_admin_queue() -> None:
    a = mentor(id=1, capacity=2)
    good = mentee(id=101)
    weak = mentee(id=102, wants=[("3.4", 3)], channels={"email"}, department="it", team="it-1",
                  teach_back_offers=set(), career_stage=1)  # fmt: skip
    assert score_pair(a, weak).allowed and score_pair(a, weak).total < 55
    result = assign([a], [good, weak])
    assert [p.mentee_id for p in result.proposed] == [101]
    assert [p.mentee_id for p in result.admin_queue] == [102]
    assert result.unmatched == []
    assert [
        p.mentee_id for p in assign([a], [good, weak], config=MatchConfig(floor=0)).proposed
    ] == [101, 102]
    # Below-floor pairs never take a slot a proposal could use.
    one_slot = assign([replace(a, capacity=1)], [good, weak])
    assert [p.mentee_id for p in one_slot.proposed] == [101]
    assert one_slot.admin_queue == [] and one_slot.unmatched == [102]


def test_proposals_carry_their_explanation() -> None:
    result = assign([mentor()], [mentee()], mutual={(1, 101)})
    (pair,) = result.proposed
    assert pair.points[Component.MUTUAL_REQUEST] == 5.0
    assert explain(pair).reasons[0]["code"] == "skills"


def test_empty_cohorts() -> None:
    assert assign([], [mentee()]).unmatched == [101]
    assert assign([mentor()], []).proposed == []
    assert score_matrix([], []).total.shape == (0, 0)
