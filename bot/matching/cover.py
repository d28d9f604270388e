"""The round's linear program (`relax`) solved as an assignment on its double cover.

When every `either` person takes one mentee as a mentor (and every reverse mentor at
least one: `applies`), the program over a set of pairs is a fractional b-matching on a
general graph: each person is a node that may hold `b` pairs (1 for a leader or an
`either` person, a column's capacity for a reverse mentor), each pair an edge. Its
optimum is exactly half that of a bipartite one, the graph's double cover: every person
appears once on the left and once on the right, and every pair {a, b} as the two arcs
a -> b and b -> a. The cover is an assignment, which scipy's LAPJVsp solves exactly
over the arcs alone (a few seconds where HiGHS's interior point takes several times as
long on the same program), and its duals come from longest paths over the matching
(Bellman-Ford, a vectorised pass per step).

From the cover: a pair's value is half the arcs it holds (0, 1/2 or 1), a person's
dual is the mean of their two copies' (Bellman-Ford's least ones), and an `either`
person's side is what they hold as a mentor. With sides fixed the program is
bipartite, and `assign_fixed` is its assignment (whole, no duals needed).

Nothing here is trusted for a proof: bounds come from the duals (`Shape.bound`), and a
matching is offered only after `sides` has checked it. Should the duals not close (a
matching that is not optimal, a cycle that does not settle), `solve_cover` returns None
and the caller solves with HiGHS instead.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import min_weight_full_bipartite_matching

from bot.matching.relax import BoolArray, Duals, FloatArray, IntArray, Pairs, Shape, Solution


def _starts(counts: IntArray) -> IntArray:
    """Where each of consecutive runs of `counts` items starts."""
    ends: IntArray = np.cumsum(counts)
    return ends - counts


def applies(shape: Shape) -> bool:
    """Every `either` person takes exactly one mentee as a mentor (their two constraints
    are then one degree bound), and every column at least one."""
    return bool(np.all(shape.capacity >= 1) and np.all(shape.capacity[shape.either_col] == 1))


class _People:
    """Persons behind rows and columns, and their seats (one per pair they may hold)."""

    def __init__(self, shape: Shape) -> None:
        n_rows, n_cols = shape.n_rows, shape.n_cols
        pure = np.ones(n_cols, dtype=np.bool_)
        pure[shape.either_col] = False
        self.of_row = np.arange(n_rows, dtype=np.int64)
        self.of_col = np.zeros(n_cols, dtype=np.int64)
        self.of_col[pure] = n_rows + np.arange(int(pure.sum()))
        self.of_col[shape.either_col] = shape.either_row
        self.count = n_rows + int(pure.sum())
        # A mentor's seats: their capacity; a leader's or an `either` person's: one.
        seats = np.ones(self.count, dtype=np.int64)
        seats[self.of_col[pure]] = shape.capacity[pure].astype(np.int64)
        self.seats = seats
        self.first_seat = _starts(seats)
        self.n_seats = int(seats.sum())

    def duals(self, alpha: FloatArray, beta: FloatArray) -> FloatArray:
        """A person's dual from their seats' on the cover: the least of their left and of
        their right seats (every seat has the same arcs, so any one is feasible),
        averaged."""
        seat_person = np.repeat(np.arange(self.count), self.seats)
        low_left = np.full(self.count, np.inf)
        low_right = np.full(self.count, np.inf)
        np.minimum.at(low_left, seat_person, alpha)
        np.minimum.at(low_right, seat_person, beta)
        dual: FloatArray = (low_left + low_right) / 2.0
        return dual


def _seat_arcs(
    tail_first: IntArray, tail_seats: IntArray, head_first: IntArray, head_seats: IntArray
) -> tuple[IntArray, IntArray, IntArray]:
    """Per pair, every seat of its tail to every seat of its head: (left seat, right
    seat, the pair's position)."""
    per = tail_seats * head_seats
    index = np.repeat(np.arange(len(per)), per)
    within = np.arange(int(per.sum())) - np.repeat(_starts(per), per)
    heads = head_seats[index]
    return tail_first[index] + within // heads, head_first[index] + within % heads, index


def _assignment(
    n_left: int, n_right: int, left: IntArray, right: IntArray, weight: FloatArray
) -> tuple[IntArray, IntArray]:
    """The maximum-weight matching of the arcs (whole weights): each left node's matched
    right node or -1, and each right node's left node or -1.

    LAPJVsp matches every row, so each left node also gets a column of its own (a full
    matching always exists); costs are `1 - 2 w` on an arc and 1 on the own column:
    whole, never 0, least is best.
    """
    if len(left) == 0:
        return np.full(n_left, -1, dtype=np.int64), np.full(n_right, -1, dtype=np.int64)
    order = np.lexsort((right, left))
    left, right, weight = left[order], right[order], weight[order]
    counts = np.bincount(left, minlength=n_left) + 1
    indptr = np.zeros(n_left + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    own_at = indptr[1:] - 1  # each row's own column goes after its arcs
    indices = np.empty(indptr[-1], dtype=np.int64)
    costs = np.empty(indptr[-1])
    at = np.ones(indptr[-1], dtype=np.bool_)
    at[own_at] = False
    indices[at], costs[at] = right, 1.0 - 2.0 * weight
    indices[own_at], costs[own_at] = n_right + np.arange(n_left), 1.0
    graph = sp.csr_array((costs, indices, indptr), shape=(n_left, n_right + n_left))
    rows, cols = min_weight_full_bipartite_matching(graph)
    mate_left = np.full(n_left, -1, dtype=np.int64)
    mate_right = np.full(n_right, -1, dtype=np.int64)
    real = cols < n_right
    mate_left[rows[real]] = cols[real]
    mate_right[cols[real]] = rows[real]
    return mate_left, mate_right


def _potentials(
    n_right: int,
    left: IntArray,
    right: IntArray,
    weight: FloatArray,
    mate_left: IntArray,
    mate_right: IntArray,
) -> tuple[FloatArray, FloatArray] | None:
    """Least duals (alpha per left node, beta per right node, all >= 0) that the matching
    makes tight: alpha + beta >= w on every arc, equal on a matched one, 0 on a node
    left unmatched. Each beta is a longest path: from an unmatched left node straight
    across (w), or through a matched one (w - its matched arc's w + its mate's beta).
    None if the matching is not optimal (a path that keeps growing, or a bound broken).
    """
    matched = mate_left >= 0
    chosen = mate_left[left] == right  # arcs are distinct: one per matched left node
    held = np.zeros(len(mate_left))
    held[left[chosen]] = weight[chosen]
    beta = np.zeros(n_right)
    free_tail = ~matched[left]
    np.maximum.at(beta, right[free_tail], weight[free_tail])
    # Through a matched left node: beta[head] >= beta[its mate] + w - its matched w.
    order = np.flatnonzero(~free_tail)
    order = order[np.argsort(right[order], kind="stable")]
    heads, via = right[order], mate_left[left[order]]
    gain = weight[order] - held[left[order]]
    if len(heads):
        starts = np.flatnonzero(np.r_[True, heads[1:] != heads[:-1]])
        # A pass lengthens every path by one arc: a simple path has at most n_right - 1,
        # and one more pass finds nothing left to grow.
        for _ in range(n_right):
            reach = np.maximum.reduceat(beta[via] + gain, starts)
            grown = reach > beta[heads[starts]]
            if not grown.any():
                break
            beta[heads[starts][grown]] = reach[grown]
        else:
            return None  # pragma: no cover - a positive cycle: the matching is not optimal
    alpha = np.where(matched, held - beta[np.maximum(mate_left, 0)], 0.0)
    if np.any(alpha < 0) or np.any(beta[mate_right < 0] > 0):
        return None  # pragma: no cover - a matching that is not optimal
    return alpha, beta


def solve_cover(shape: Shape, pairs: Pairs, gains: FloatArray) -> Solution | None:
    """The program over `pairs` (weights `gains`, whole numbers), optimal, with duals;
    None when it does not apply or the cover did not close (see the module)."""
    if not applies(shape):
        return None
    people = _People(shape)
    left, right, owner, weight = _cover_arcs(people, pairs, gains)
    mate_left, mate_right = _assignment(people.n_seats, people.n_seats, left, right, weight)
    potentials = _potentials(people.n_seats, left, right, weight, mate_left, mate_right)
    if potentials is None:
        return None
    x = np.zeros(len(pairs))
    np.add.at(x, owner[mate_left[left] == right], 0.5)
    # y: what each `either` person holds as a mentor.
    either_of_col = np.full(shape.n_cols, -1, dtype=np.int64)
    either_of_col[shape.either_col] = np.arange(shape.n_either)
    as_mentor = either_of_col[pairs.cols]
    mentors = as_mentor >= 0
    y = np.zeros(shape.n_either)
    np.add.at(y, as_mentor[mentors], x[mentors])
    dual = people.duals(*potentials)
    return Solution(x, y, Duals(dual[people.of_row], dual[people.of_col], 0.0))


def _cover_arcs(
    people: _People, pairs: Pairs, gains: FloatArray
) -> tuple[IntArray, IntArray, IntArray, FloatArray]:
    """The cover's arcs, sorted by (left, right): every pair {a, b} as a -> b and b -> a,
    seat by seat, with the pair that owns it and its weight."""
    a, b = people.of_row[pairs.rows], people.of_col[pairs.cols]
    edge = np.flatnonzero((a != b) & (gains > 0))
    a, b = a[edge], b[edge]
    first, seats = people.first_seat, people.seats
    l1, r1, i1 = _seat_arcs(first[a], seats[a], first[b], seats[b])
    l2, r2, i2 = _seat_arcs(first[b], seats[b], first[a], seats[a])
    left, right = np.concatenate([l1, l2]), np.concatenate([r1, r2])
    owner = edge[np.concatenate([i1, i2])]
    weight = gains[owner]
    # Two `either` people give two pairs on the same arcs (each as the other's mentor):
    # the heavier one owns them.
    order = np.lexsort((-weight, right, left))
    left, right, owner, weight = left[order], right[order], owner[order], weight[order]
    distinct = np.r_[True, (left[1:] != left[:-1]) | (right[1:] != right[:-1])][: len(left)]
    return left[distinct], right[distinct], owner[distinct], weight[distinct]


def assign_fixed(shape: Shape, pairs: Pairs, gains: FloatArray, mentor: BoolArray) -> Solution:
    """The program with every `either` person's side fixed (True: mentor): bipartite, so
    its optimum is a whole matching, found as an assignment over `pairs`."""
    off_rows = np.zeros(shape.n_rows, dtype=np.bool_)
    off_rows[shape.either_row[mentor]] = True
    off_cols = np.zeros(shape.n_cols, dtype=np.bool_)
    off_cols[shape.either_col[~mentor]] = True
    capacity = shape.capacity.astype(np.int64)
    first_seat = _starts(capacity)
    edge = np.flatnonzero(~off_rows[pairs.rows] & ~off_cols[pairs.cols] & (gains > 0))
    rows, cols = pairs.rows[edge], pairs.cols[edge]
    one = np.ones(len(edge), dtype=np.int64)
    left, right, at = _seat_arcs(rows, one, first_seat[cols], capacity[cols])
    index = edge[at]
    mate_left, _ = _assignment(shape.n_rows, int(capacity.sum()), left, right, gains[index])
    x = np.zeros(len(pairs))
    x[index[mate_left[left] == right]] = 1.0  # candidates are distinct: so are arcs
    return Solution(x, mentor.astype(np.float64), None)
