"""The optimal assignment of mentee candidates to mentor capacity slots.

The matrix handed in has one row per mentee candidate and one column per mentor slot
(a mentor who can take three mentees has three identical columns). Its entries are
`-weight` for an allowed pair and 0 for a pair that is not allowed, so the minimum-cost
assignment (`scipy.optimize.linear_sum_assignment`, shortest augmenting paths) is the
maximum-weight matching; pairs that land on a 0 are dropped afterwards.

People with the `either` role appear both as a row and as slot columns. One assignment
could then use someone on both sides, which a round forbids. So the assignment is a
*relaxation*, and a branch and bound makes it exact:

- a node fixes some `either` people to one side (their slots or their row are zeroed)
  and solves the assignment; its value is an upper bound for every completion;
- a node whose assignment uses nobody on both sides is a valid matching; the first
  one comes from a dive (everyone fixed to the side the relaxation used them on);
- the node with the highest bound is split on one conflicting person (mentee side /
  mentor side) until no open node can beat the best valid matching.

Guarantee: the result always satisfies every rule, and it is optimal whenever
`Assignment.optimal` is True. Without `either` people that is always the case (a single
solve). With them it is the case whenever the search ends inside its budget of
`max(MIN_NODES, min(MAX_NODES, node_cells // matrix cells))` solves (2,000 solves up to
15,000 cells, e.g. 100 × 150), which covers every small program (tests compare with
brute force); past the budget the best valid matching found is returned with the
highest open bound, so the caller can say how far from the optimum it can be at most.
Nothing here is random: the same matrix gives the same answer.
"""

from __future__ import annotations

import heapq
import itertools
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import linear_sum_assignment

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]

MIN_NODES = 5
MAX_NODES = 2000
NODE_CELLS = 30_000_000  # cells × solves the either search may spend


@dataclass(frozen=True)
class Assignment:
    rows: IntArray  # matrix rows matched, each to the slot at the same position
    slots: IntArray
    value: float  # total weight of the matched pairs
    bound: float  # no valid matching weighs more (== value when optimal)
    optimal: bool
    solves: int


@dataclass(frozen=True)
class _Node:
    mentees: frozenset[int]  # either people fixed to the mentee side
    mentors: frozenset[int]  # either people fixed to the mentor side
    rows: IntArray
    slots: IntArray
    value: float
    conflicts: IntArray  # people used on both sides


def solve_assignment(
    cost: FloatArray,
    row_person: IntArray,
    slot_person: IntArray,
    *,
    node_cells: int = NODE_CELLS,
) -> Assignment:
    """Best valid matching for `cost` (rows × slots; see the module doc).

    `row_person` / `slot_person` name the person behind each row / slot. `cost` is
    modified during the search and restored before returning.
    """
    search = _Search(cost, row_person, slot_person)
    root = search.solve(frozenset(), frozenset())
    if len(root.conflicts) == 0:
        return search.result(root, bound=root.value, optimal=True)

    budget = max(MIN_NODES, min(MAX_NODES, node_cells // max(cost.size, 1)))
    best = search.dive(root)
    order = itertools.count()
    open_nodes = [(-root.value, next(order), root)]
    while open_nodes:
        node = open_nodes[0][2]
        if node.value <= best.value:
            break
        if search.solves >= budget:
            return search.result(best, bound=node.value, optimal=False)
        heapq.heappop(open_nodes)
        person = search.branching_person(node)
        for child in (
            search.solve(node.mentees | {person}, node.mentors),
            search.solve(node.mentees, node.mentors | {person}),
        ):
            if child.value <= best.value:
                continue
            if len(child.conflicts) == 0:
                best = child
            else:
                heapq.heappush(open_nodes, (-child.value, next(order), child))
    return search.result(best, bound=best.value, optimal=True)


class _Search:
    def __init__(self, cost: FloatArray, row_person: IntArray, slot_person: IntArray) -> None:
        self.cost = cost
        self.row_person = row_person
        self.slot_person = slot_person
        self.solves = 0
        either = np.intersect1d(row_person, slot_person)
        self.either = either
        self.row_of = {int(p): np.flatnonzero(row_person == p) for p in either}
        self.slots_of = {int(p): np.flatnonzero(slot_person == p) for p in either}

    def solve(self, mentees: frozenset[int], mentors: frozenset[int]) -> _Node:
        """Relaxed assignment with the fixed people kept off their other side."""
        self.solves += 1
        zero_rows = _positions(self.row_of, mentors)
        zero_slots = _positions(self.slots_of, mentees)
        saved_rows = self.cost[zero_rows, :]  # copies: fancy indexing
        self.cost[zero_rows, :] = 0.0
        saved_slots = self.cost[:, zero_slots]
        self.cost[:, zero_slots] = 0.0
        try:
            rows, slots = linear_sum_assignment(self.cost)
            taken = self.cost[rows, slots]
        finally:
            self.cost[:, zero_slots] = saved_slots
            self.cost[zero_rows, :] = saved_rows
        keep = taken < 0
        rows, slots = rows[keep].astype(np.int64), slots[keep].astype(np.int64)
        conflicts = np.intersect1d(self.row_person[rows], self.slot_person[slots])
        return _Node(mentees, mentors, rows, slots, float(-taken[keep].sum()), conflicts)

    def dive(self, node: _Node) -> _Node:
        """A valid matching near `node`: every `either` person fixed to the side used.

        Conflicting people all go to one side, tried both ways (two solves): which side
        is scarce differs from round to round. Unused people go to the mentor side.
        """
        used_as_mentee = set(self.row_person[node.rows].tolist())
        conflicts = set(node.conflicts.tolist())
        best: _Node | None = None
        for conflicts_mentee in (True, False):
            mentees = set(node.mentees)
            for person in self.either.tolist():
                if person in node.mentors or person in node.mentees:
                    continue
                if person in conflicts:
                    if conflicts_mentee:
                        mentees.add(person)
                elif person in used_as_mentee:
                    mentees.add(person)
            mentors = set(self.either.tolist()) - mentees
            candidate = self.solve(frozenset(mentees), frozenset(mentors))
            if best is None or candidate.value > best.value:
                best = candidate
            if not conflicts:
                break  # nothing to try the other way
        assert best is not None
        return best

    def branching_person(self, node: _Node) -> int:
        """The conflicting person whose cheaper side would cost the most."""
        stakes = [min(self._contributions(node, p)) for p in node.conflicts.tolist()]
        return int(node.conflicts[int(np.argmax(stakes))])

    def result(self, node: _Node, *, bound: float, optimal: bool) -> Assignment:
        return Assignment(node.rows, node.slots, node.value, bound, optimal, self.solves)

    def _contributions(self, node: _Node, person: int) -> tuple[float, float]:
        weights = -self.cost[node.rows, node.slots]
        as_mentee = float(weights[self.row_person[node.rows] == person].sum())
        as_mentor = float(weights[self.slot_person[node.slots] == person].sum())
        return as_mentee, as_mentor


def _positions(places: dict[int, IntArray], people: frozenset[int]) -> IntArray:
    if not people:
        return np.zeros(0, dtype=np.int64)
    return np.concatenate([places[p] for p in sorted(people)])
