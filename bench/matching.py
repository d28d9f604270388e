"""Matching engine benchmark: time and peak memory against a plain assignment, quality
against greedy and random.

    python bench/matching.py                       # the standard cases, a table
    python bench/matching.py --case 2000 --case 2000:300   # other cases (per side[:either])
    python bench/matching.py --case 5000:0:100000  # ... with niche skills from a pool of N
    python bench/matching.py --priority highest_score      # the other program priority
    python bench/matching.py --one 5000:1000       # one case in this process, as JSON
    python bench/matching.py --rounds 5 --case 5000:0:100000  # medians of 5 runs in turn
    python bench/matching.py --time-limit 20 --case 5000:1000  # another search budget

Each case runs in fresh Python processes so that a peak RSS (`ru_maxrss`: the process's
peak resident memory, numpy buffers included) belongs to that run alone: one for
`bot.matching.match` (wall time: scoring, solving, explaining, after the candidates
are built; the search's time limit on, as `mentorbot match` runs it), one for a plain
`scipy.optimize.linear_sum_assignment` on the same round's weight matrix (the time of
that one call; its peak includes building the matrix). The ratios are engine / plain.
The result says whether the engine proved it optimal, and if not, how far below its
upper bound it can be at most. Greedy and random pairings run afterwards on the same
instance, scores and rules (up to 5,000 per side): greedy lets each leader in turn take
the best-scoring eligible mentor who still has room; random gives each leader, in
random order, a random eligible mentor who still has room.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import resource
import subprocess
import sys
import time
from typing import Any

import numpy as np
from scipy.optimize import linear_sum_assignment

from bot.domain import CareerStage, MatchPriority, Role
from bot.matching import Candidate, Constraints, MatchSummary, Weights, match
from bot.matching.matcher import _Round
from bot.matching.scoring import build_population, eligible, score, score_units

ON = dt.date(2026, 11, 25)
# (per side, either, niche pool): without `either` people, with them, with many
# distinct skills (a niche pool of 100,000 names gives about 18,000 distinct ones,
# most typed by one or two people), and a large program.
CASES = [
    (100, 0, 0),
    (1000, 0, 0),
    (5000, 0, 0),
    (1000, 200, 0),
    (5000, 200, 0),
    (5000, 1000, 0),
    (5000, 0, 100_000),
    (20_000, 0, 0),
]
BASELINE_MAX = 5000  # greedy and random only up to this many per side
DIGITAL = [f"digital skill {i}" for i in range(40)]
LEADERSHIP = [f"leadership skill {i}" for i in range(20)]
DEPARTMENTS = [f"Department {i}" for i in range(12)]
ZONES = [
    "America/Los_Angeles",
    "America/Denver",
    "America/Chicago",
    "America/New_York",
    "America/Sao_Paulo",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Helsinki",
    "Africa/Lagos",
    "Asia/Dubai",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Pacific/Auckland",
]


def build_instance(per_side: int, *, seed: int, either: int = 0, niche: int = 0) -> list[Candidate]:
    """`per_side` reverse mentors and leaders (plus `either` people), realistically skewed;
    with `niche`, everyone also types one to three skills from a pool of that many names."""
    rng = random.Random(seed)

    def typed() -> tuple[str, ...]:
        if not niche:
            return ()
        return tuple(f"niche skill {rng.randrange(niche)}" for _ in range(rng.randint(1, 3)))

    # Popular skills are wanted (and taught) far more often than the long tail.
    digital_weights = [1 / (rank + 1) for rank in range(len(DIGITAL))]
    people: list[Candidate] = []

    def pick(pool: list[str], weights: list[float] | None, low: int, high: int) -> tuple[str, ...]:
        return tuple(dict.fromkeys(rng.choices(pool, weights, k=rng.randint(low, high))))

    leaders = [f"leader{i}" for i in range(per_side)]
    for i in range(per_side):
        people.append(
            Candidate(
                id=f"mentor{i}",
                role=Role.MENTOR,
                career_stage=CareerStage(rng.choices([1, 2, 3], [5, 3, 2])[0]),
                department=rng.choice(DEPARTMENTS),
                manager_id=rng.choice(leaders) if rng.random() < 0.3 else None,
                timezone=rng.choice(ZONES),
                teaches=pick(DIGITAL, digital_weights, 3, 6) + typed(),
                wants=pick(LEADERSHIP, None, 1, 3),
                max_mentees=rng.choices([1, 2], [9, 1])[0],
                previous_partners=frozenset([rng.choice(leaders)] if rng.random() < 0.1 else []),
            )
        )
    for i in range(per_side):
        people.append(
            Candidate(
                id=leaders[i],
                role=Role.MENTEE,
                career_stage=CareerStage(rng.choices([3, 4, 5], [3, 4, 3])[0]),
                department=rng.choice(DEPARTMENTS),
                timezone=rng.choice(ZONES),
                teaches=pick(LEADERSHIP, None, 2, 4),
                wants=pick(DIGITAL, digital_weights, 2, 5) + typed(),
            )
        )
    for i in range(either):
        people.append(
            Candidate(
                id=f"either{i}",
                role=Role.EITHER,
                career_stage=CareerStage(rng.choice([2, 3, 4])),
                department=rng.choice(DEPARTMENTS),
                timezone=rng.choice(ZONES),
                teaches=pick(DIGITAL, digital_weights, 1, 3) + pick(LEADERSHIP, None, 1, 2),
                wants=pick(DIGITAL, digital_weights, 1, 3) + pick(LEADERSHIP, None, 1, 2),
            )
        )
    return people


def baselines(people: list[Candidate], *, seed: int) -> dict[str, tuple[int, float]]:
    """(pairs, total score) of greedy and random pairing under the same rules and scores."""
    constraints, weights = Constraints(), Weights()
    pop = build_population(people, constraints, reference_date=ON)
    rows = np.array([i for i, c in enumerate(people) if c.role is Role.MENTEE], dtype=np.int64)
    cols = np.array([i for i, c in enumerate(people) if c.role is Role.MENTOR], dtype=np.int64)
    # Score in SCORE_UNITS, -1 where a rule forbids the pair; built in blocks of rows.
    units = np.empty((len(rows), len(cols)), dtype=np.float32)
    for start in range(0, len(rows), 500):
        block = rows[start : start + 500]
        allowed = eligible(pop, block, cols, constraints)
        units[start : start + 500] = np.where(
            allowed, score_units(score(pop, block, cols, weights)), -1
        )
    capacity = np.array([people[i].max_mentees for i in cols])
    rng = np.random.default_rng(seed)
    results = {}
    for name in ("greedy", "random"):
        room = capacity.copy()
        pairs, total = 0, 0.0
        order = np.arange(len(rows)) if name == "greedy" else rng.permutation(len(rows))
        for r in order:
            row = np.where(room > 0, units[r], -1)
            if name == "greedy":
                c = int(np.argmax(row))
            else:
                options = np.flatnonzero(row >= 0)
                c = int(rng.choice(options)) if len(options) else 0
            if row[c] >= 0:
                room[c] -= 1
                pairs += 1
                total += float(row[c]) / 1000
        results[name] = (pairs, total)
    return results


def run_one(
    per_side: int,
    *,
    seed: int,
    either: int,
    niche: int,
    priority: MatchPriority,
    time_limit: float = Constraints().time_limit,
) -> dict[str, object]:
    people = build_instance(per_side, seed=seed, either=either, niche=niche)
    skills = {" ".join(s.split()).casefold() for c in people for s in (*c.teaches, *c.wants)}
    start = time.perf_counter()
    result = match(
        people,
        Constraints(priority=priority, time_limit=time_limit),
        seed=seed,
        reference_date=ON,
        clock=time.monotonic,
    )
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    s = result.summary
    return {
        "per_side": per_side,
        "either": either,
        "skills": len(skills),
        "seconds": round(seconds, 2),
        "peak_rss_mb": round(peak_mb),
        "pairs": s.pairs,
        "total": round(s.total_score, 1),
        "proof": proof(s),
        "baselines": baselines(people, seed=seed) if per_side <= BASELINE_MAX else None,
    }


def run_plain(
    per_side: int, *, seed: int, either: int, niche: int, priority: MatchPriority
) -> dict[str, object]:
    """One `linear_sum_assignment` on the round's weight matrix, as the engine would
    solve it without `either` people: rows are everyone who may be a leader, columns
    one per seat (a reverse mentor who can take two leaders is two columns)."""
    people = build_instance(per_side, seed=seed, either=either, niche=niche)
    constraints, weights = Constraints(priority=priority), Weights()
    pop = build_population(people, constraints, reference_date=ON)
    round_ = _Round.build(pop, constraints, weights, [])
    matrix = round_.weight_matrix()
    cost = -matrix[:, np.repeat(np.arange(matrix.shape[1]), round_.capacity)]
    del matrix
    start = time.perf_counter()
    linear_sum_assignment(cost)
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": round(seconds, 2), "peak_rss_mb": round(peak_mb)}


def proof(s: MatchSummary) -> str:
    """'proven optimal', or how far the result can be from the optimum at most."""
    if s.optimal:
        return "proven optimal"
    if s.bound_pairs > s.pairs:
        return f"not proven: at most {s.bound_pairs - s.pairs:,} more pairs possible"
    return f"not proven: gap {s.gap_percent:.2f} % ({s.bound_score - s.total_score:,.1f} points)"


def parse_case(text: str) -> tuple[int, int, int]:
    per_side, either, niche = [*text.split(":"), "0", "0"][:3]
    return int(per_side), int(either or 0), int(niche or 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--case", type=parse_case, action="append", help="per side[:either[:niche]], repeatable"
    )
    parser.add_argument("--priority", type=MatchPriority, default=MatchPriority.MOST_MATCHED)
    parser.add_argument("--seed", type=int, default=20261125)
    parser.add_argument("--one", type=parse_case, help="run one case in this process, print JSON")
    parser.add_argument("--plain", action="store_true", help="with --one: the plain solve")
    parser.add_argument(
        "--time-limit",
        type=float,
        default=Constraints().time_limit,
        help="seconds the search for `either` people's sides may take (as `match --time-limit`)",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="runs of each case, engine and plain solve in turn; medians are shown",
    )
    args = parser.parse_args()
    if args.one is not None:
        per_side, either, niche = args.one
        case = {"seed": args.seed, "either": either, "niche": niche, "priority": args.priority}
        if args.plain:
            result = run_plain(per_side, **case)
        else:
            result = run_one(per_side, **case, time_limit=args.time_limit)
        print(json.dumps(result))
        return
    spread = "| runs: engine / plain (s) " if args.rounds > 1 else ""
    print(
        "| per side | either | skills | time (s) | peak RSS (MB) | plain LSA: time / peak "
        "| ratio: time / peak | result: pairs / total score | proof "
        f"| greedy: pairs / total | random: pairs / total {spread}|"
    )
    print("| ---: " * 5 + "| --- " * (7 if spread else 6) + "|")
    for per_side, either, niche in args.case or CASES:
        command = [sys.executable, __file__, "--one", f"{per_side}:{either}:{niche}"]
        command += ["--seed", str(args.seed), "--priority", args.priority.value]
        command += ["--time-limit", str(args.time_limit)]
        runs, plains = [], []
        for _ in range(max(1, args.rounds)):  # in turn: a slow spell of the machine hits both
            runs.append(json.loads(_output(command)))
            plains.append(json.loads(_output([*command, "--plain"])))
        row, plain = _median(runs), _median(plains)
        ratio_time = row["seconds"] / max(plain["seconds"], 0.01)
        ratio_peak = row["peak_rss_mb"] / max(plain["peak_rss_mb"], 1)
        if row["baselines"] is None:
            greedy_cell = random_cell = "—"
        else:
            greedy, rand = row["baselines"]["greedy"], row["baselines"]["random"]
            greedy_cell = f"{greedy[0]:,} / {greedy[1]:,.1f}"
            random_cell = f"{rand[0]:,} / {rand[1]:,.1f}"
        print(
            f"| {per_side:,} | {either:,} | {row['skills']:,} | {row['seconds']} "
            f"| {row['peak_rss_mb']:,} | {plain['seconds']} / {plain['peak_rss_mb']:,} "
            f"| {ratio_time:.2f}× / {ratio_peak:.2f}× "
            f"| {row['pairs']:,} / {row['total']:,.1f} | {row['proof']} "
            f"| {greedy_cell} | {random_cell} |"
            + (f" {_spread(runs)} / {_spread(plains)} |" if spread else ""),
            flush=True,
        )


def _output(command: list[str]) -> str:
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout


def _median(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The run with the median time (the upper one of an even count); its peak is the
    highest of all the runs."""
    row = dict(sorted(rows, key=lambda r: float(r["seconds"]))[len(rows) // 2])
    row["peak_rss_mb"] = max(int(r["peak_rss_mb"]) for r in rows)
    return row


def _spread(rows: list[dict[str, Any]]) -> str:
    times = sorted(float(r["seconds"]) for r in rows)
    return f"{times[0]}–{times[-1]}"


if __name__ == "__main__":
    main()
