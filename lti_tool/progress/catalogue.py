"""The learner's catalogue: which modules to show, in which order, and why.

Order: unfinished modules first; among them the assigned ones (the link the learner launched
from, then the course's assignments: overdue first, then by due date), then those recommended
by the pair's agreement goals (DigComp ids), then those written for the learner's program
role, then the rest in syllabus order. Finished modules follow in syllabus order. Audience is
guidance only: every module stays listed and open.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date

from ..assignments.queries import AssignedModule, assigned_modules, program_sides
from ..modules import LearningModule, Library
from . import queries
from .queries import LearnerOverview, ModuleProgress

ASSIGNED, GOALS, ROLE, OTHER = range(4)


@dataclass(frozen=True, slots=True)
class Entry:
    module: LearningModule
    progress: ModuleProgress
    assigned: bool
    due_on: date | None
    overdue: bool
    goal_matches: tuple[str, ...]  # DigComp ids shared with the pair's goals
    for_role: bool  # written for the learner's program role

    @property
    def recommended(self) -> bool:
        return not self.progress.completed and (bool(self.goal_matches) or self.for_role)

    @property
    def tier(self) -> int:
        if self.assigned:
            return ASSIGNED
        if self.goal_matches:
            return GOALS
        return ROLE if self.for_role else OTHER


@dataclass(frozen=True, slots=True)
class Catalogue:
    entries: tuple[Entry, ...]
    program_role: str | None
    goal_competences: frozenset[str]


def order(library: Library, overview: LearnerOverview, *,
          assigned: Mapping[str, AssignedModule | None], goals: Collection[str],
          program_role: str | None, track: str | None = None,
          audience: str | None = None) -> tuple[Entry, ...]:
    """The catalogue's entries after filtering by track and audience, best first (pure).

    `assigned` keeps the assignments' own order (overdue first, then by due date).
    """
    entries = []
    for module in library.filter(track=track, audience=audience):
        a = assigned.get(module.slug)
        entries.append(Entry(module, overview.progress(module), module.slug in assigned,
                             a.due_on if a else None, bool(a and a.overdue),
                             tuple(c for c in module.competences if c in goals),
                             program_role is not None and module.audience == program_role))
    rank = {m.slug: i for i, m in enumerate(library)}
    first = {slug: i for i, slug in enumerate(assigned)}
    return tuple(sorted(entries, key=lambda e: (e.progress.completed, e.tier,
                                                 first.get(e.module.slug, 0),
                                                 rank[e.module.slug])))


def learner_catalogue(library: Library, user_id: int, context_id: int, *,
                      program_role_hint: str | None, resource_link_pk: int | None,
                      track: str | None = None, audience: str | None = None) -> Catalogue:
    """Gather what the ordering needs (progress, assignments, the pair's goals) and order it."""
    overview = queries.learner_overview(user_id, context_id)
    pairs = queries.active_pairs_of(user_id, context_id)
    # The side in a pair (or the profile's preference) is known; the launch's custom
    # parameter is only a hint. Someone who is both mentor and mentee gets no role filter.
    sides = program_sides(user_id, context_id)
    role = next(iter(sides)) if len(sides) == 1 else (None if sides else program_role_hint)
    assigned: dict[str, AssignedModule | None] = {}
    linked = queries.resource_link_module(resource_link_pk)
    if linked:
        assigned[linked] = None  # the link the learner launched from comes first
    for a in assigned_modules(user_id, context_id):
        assigned.setdefault(a.module_slug, a)
    goals = frozenset(queries.goal_competences([p.id for p in pairs]))
    entries = order(library, overview, assigned=assigned, goals=goals, program_role=role,
                    track=track, audience=audience)
    return Catalogue(entries, role, goals)
