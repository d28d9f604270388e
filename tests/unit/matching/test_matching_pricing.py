"""Pricing, the first candidates and `keep`: their exact definitions, and the same
answers when their blocks are worked on in threads, in block order."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from bot.matching import pricing, workers
from bot.matching.pricing import first_pairs, price
from bot.matching.relax import Duals, Shape


def test_results_come_back_in_block_order_though_later_blocks_finish_first(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(workers, "workers", lambda: 3)
    threads: set[int] = set()

    def work(block: int) -> int:
        threads.add(threading.get_ident())
        time.sleep(0.02 * (5 - block))  # the first block is the slowest
        return block * 10

    assert workers.each_block(work, range(6)) == [0, 10, 20, 30, 40, 50]
    assert len(threads) > 1  # it did run in several threads


def test_one_worker_runs_the_blocks_in_the_callers_thread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(workers, "workers", lambda: 1)
    seen: list[int] = []
    assert workers.each_block(lambda b: seen.append(threading.get_ident()) or b, range(3)) == [
        0,
        1,
        2,
    ]
    assert set(seen) == {threading.get_ident()}


def _round(seed: int) -> tuple[np.ndarray, np.ndarray, Shape, Duals]:
    """A 60 × 50 round with three `either` people, a third of the pairs forbidden, and
    many equal weights (ties are where an order could show)."""
    rng = np.random.default_rng(seed)
    weights = rng.integers(1, 6, size=(60, 50)).astype(np.float64)
    weights[rng.random(weights.shape) < 0.35] = 0.0
    row_person = np.arange(60)
    col_person = np.concatenate([np.arange(3), 100 + np.arange(47)])
    weights[np.arange(3), np.arange(3)] = 0.0
    capacity = rng.integers(1, 3, size=50)
    shape = Shape.build(capacity, row_person, col_person)
    duals = Duals(rng.random(60) * 3, rng.random(50) * 3, 0.5)
    return weights, capacity, shape, duals


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_pricing_in_blocks_across_threads_equals_one_block(
    monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    weights, _, shape, duals = _round(seed)
    whole = price(weights, shape, duals, 40, add_per_row=3, keep_per_row=7)
    monkeypatch.setattr(workers, "workers", lambda: 4)
    monkeypatch.setattr(pricing, "BLOCK_CELLS", 150)  # blocks of 3 rows: 20 of them
    split = price(weights, shape, duals, 40, add_per_row=3, keep_per_row=7)
    assert split.bound == whole.bound
    assert np.array_equal(split.row_slack, whole.row_slack)
    assert np.array_equal(split.additions, whole.additions)
    assert np.array_equal(split.top_keys, whole.top_keys)
    assert np.array_equal(split.top_costs, whole.top_costs)
    assert len(whole.additions) > 0


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_first_pairs_in_blocks_across_threads_equal_one_block(
    monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    weights, capacity, _, _ = _round(seed)

    def pairs() -> np.ndarray:
        return first_pairs(weights, capacity, best=2, random=1, rng=np.random.default_rng(0))

    whole = pairs()
    monkeypatch.setattr(workers, "workers", lambda: 4)
    monkeypatch.setattr(pricing, "BLOCK_CELLS", 150)
    assert np.array_equal(pairs(), whole)
    assert len(whole) > 60


def _distinct_round(seed: int) -> tuple[np.ndarray, np.ndarray, Shape]:
    """8 × 7 weights, all different (no ties to break), a quarter forbidden."""
    rng = np.random.default_rng(seed)
    weights = rng.permutation(56).reshape(8, 7).astype(np.float64) + 1.0
    weights[rng.random(weights.shape) < 0.25] = 0.0
    weights[0] = 0.0  # a row with one allowed pair, of weight 1 ...
    weights[0, 3] = 1.0
    weights[1:, 6] = 0.0  # ... and a column with one allowed row
    weights[5, 6] = 2.0
    capacity = rng.integers(1, 3, size=7)
    shape = Shape.build(capacity, np.arange(8), np.arange(7) + 8)  # nobody `either`
    return weights, capacity, shape


def _heaviest(values: np.ndarray, count: int) -> list[int]:
    return [int(i) for i in np.argsort(-values)[:count] if values[i] > 0]


@pytest.mark.parametrize("seed", [4, 5, 6])
def test_first_pairs_are_each_rows_and_each_columns_heaviest_allowed_pairs(seed: int) -> None:
    weights, capacity, _ = _distinct_round(seed)
    n_rows, n_cols = weights.shape
    expected = {r * n_cols + c for r in range(n_rows) for c in _heaviest(weights[r], 2)}
    per_col = 2 + int(capacity.max())
    expected |= {r * n_cols + c for c in range(n_cols) for r in _heaviest(weights[:, c], per_col)}
    found = first_pairs(weights, capacity, best=2, random=0, rng=np.random.default_rng(0))
    assert sorted(found.tolist()) == sorted(expected)


def test_first_pairs_add_random_allowed_pairs_from_every_column() -> None:
    weights, capacity, _ = _distinct_round(7)
    n_cols = weights.shape[1]
    plain = set(first_pairs(weights, capacity, best=1, random=0, rng=np.random.default_rng(1)))
    wide = np.ones((400, n_cols))  # every pair allowed: only sampling differs, and ...
    wide[:, -1] = 2.0  # ... every row's best pair is in the last column
    best = set(first_pairs(wide, capacity, best=1, random=0, rng=np.random.default_rng(1)))
    sampled = first_pairs(wide, capacity, best=1, random=3, rng=np.random.default_rng(1))
    extra = np.array(sorted(set(sampled.tolist()) - best))
    assert len(extra) > 400  # most rows got random pairs on top of their best one
    assert set((extra % n_cols).tolist()) == set(range(n_cols - 1))  # column 0 too
    assert set((extra // n_cols).tolist()) <= set(range(400))
    mixed = set(first_pairs(weights, capacity, best=1, random=3, rng=np.random.default_rng(1)))
    assert plain <= mixed
    assert all(weights[k // n_cols, k % n_cols] > 0 for k in mixed)  # never a forbidden pair


@pytest.mark.parametrize("unit", [False, True])
@pytest.mark.parametrize("pair_cap", [None, 3])
def test_price_lists_each_rows_highest_reduced_costs(unit: bool, pair_cap: int | None) -> None:
    weights, _, shape = _distinct_round(8)
    rng = np.random.default_rng(9)
    scale = 0.4 if unit else 20.0  # some reduced costs positive, not all
    duals = Duals(rng.random(8) * scale, rng.random(7) * scale, 0.1 * scale)
    priced = price(weights, shape, duals, pair_cap, add_per_row=2, keep_per_row=4, unit=unit)
    gain = (weights > 0).astype(float) if unit else weights
    mu = duals.mu if pair_cap is not None else 0.0  # mu only counts with the pairs cut
    reduced = np.where(weights > 0, gain - duals.u[:, None] - duals.v[None, :] - mu, -np.inf)
    n_cols = weights.shape[1]
    for r in range(8):
        order = np.argsort(-reduced[r], kind="stable")[:4]
        assert priced.top_keys[r].tolist() == [r * n_cols + c for c in order]
        assert np.array_equal(priced.top_costs[r], reduced[r][order])
        assert priced.row_slack[r] == max(0.0, reduced[r][order[0]])
    wanted = [
        r * n_cols + c
        for r in range(8)
        for c in np.argsort(-reduced[r], kind="stable")[:2]
        if reduced[r][c] > pricing.POSITIVE
    ]
    assert priced.additions.tolist() == wanted
    assert len(wanted) > 0
    assert priced.bound == shape.bound(duals, pair_cap, priced.row_slack)
    assert not priced.complete


@pytest.mark.parametrize(("cores", "expected"), [(None, 1), (1, 1), (2, 2), (3, 3), (16, 4)])
def test_one_thread_per_core_up_to_four(
    monkeypatch: pytest.MonkeyPatch, cores: int | None, expected: int
) -> None:
    monkeypatch.setattr(workers.os, "cpu_count", lambda: cores)
    assert workers.workers() == expected


def _priced(top_costs: list[list[float]], slack: list[float], *, complete: bool) -> pricing.Priced:
    costs = np.array(top_costs)
    keys = np.arange(costs.size).reshape(costs.shape)
    return pricing.Priced(10.0, np.array(slack), np.zeros(0, dtype=np.int64), keys, costs, complete)


def test_keep_holds_exactly_the_pairs_within_the_gap_of_their_rows_best() -> None:
    # floor 8 under a bound of 10: a pair may trail its row's best by 2 (and ROUNDING).
    at_edge = 8.0 - 10.0 - pricing.ROUNDING  # exactly on the line: kept
    priced = _priced(
        [[3.0, 1.5, 0.9], [at_edge, -5.0, -9.0], [0.5, 0.2, -3.0]],
        [3.0, 0.0, 0.5],
        complete=False,  # no row's last stored pair is kept: the lists are long enough
    )
    kept = pricing.keep(priced, 8.0, limit=10)
    assert kept is not None
    assert kept.tolist() == [0, 1, 3, 6, 7]  # row 0: 3, 1.5 (not 0.9); row 1: the edge
    assert pricing.keep(priced, 8.0, limit=5) is not None  # at the limit: still kept
    assert pricing.keep(priced, 8.0, limit=4) is None  # over it: none


def test_keep_gives_up_when_a_rows_list_may_be_cut_short() -> None:
    # Row 1's last stored pair is within the gap: more of its pairs may be too.
    priced = _priced([[3.0, -9.0, -9.0], [2.0, 1.9, 1.8]], [3.0, 2.0], complete=False)
    assert pricing.keep(priced, 8.0, limit=100) is None
    # The same lists when they hold every pair of the row: nothing is missing.
    whole = _priced([[3.0, -9.0, -9.0], [2.0, 1.9, 1.8]], [3.0, 2.0], complete=True)
    kept = pricing.keep(whole, 8.0, limit=100)
    assert kept is not None and kept.tolist() == [0, 3, 4, 5]
