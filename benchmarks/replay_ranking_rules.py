"""Cost-aware ranking rules compared on RouterBench replay: is there a better trade of score against price?

    python benchmarks/replay_ranking_rules.py DATA_DIR --scorer DIR

DATA_DIR holds arc_challenge_{train,test}.csv and mbpp_{train,test}.csv. The scorer's prior
is computed once per query (train and test files, the serving path), then every rule is
replayed on both: the shipped `rank_models` rule (score − cost_weight × relative output
price) and the variants below, each swept over its own knob. Rules are to be judged on the
train files (the choice) and only then looked at on the test files. Printed per rule:
the best first-pick accuracy at cost ratio ≤ 0.20 (one model per query) with the mean of
the best over budgets 0.05–0.25, and the best any-correct at cost ratio ≤ 0.10. Then two
ceilings that no ranking rule over these scores passes: the best fixed model set per task
(any correct), and a random mix of the two models that make the first-pick frontier.
"""

from __future__ import annotations

import argparse
import itertools
import shlex
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from routemoa.eval.replay_data import load_replay
from routemoa.eval.replay_eval import TOLERANCES, TOP_KS, load_data_and_pool, prior_scores, routemoa_selection
from routemoa.eval.replay_prices import estimate_tokens
from routemoa.scorer.serve import sharpen

FIRST_BUDGET, ANY_BUDGET = 0.20, 0.10
K1_GRID = np.geomspace(1e-4, 30.0, 400)
"""Cost weights of the one-model curves (dense, so the rules are compared, not the grid)."""
ANY_WEIGHTS = (0.0, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0, 1.5)
EPS = 1e-4


class Split:
    """One set of files: prior scores, right/wrong, recorded dollars and prompt tokens, models in pool order."""

    def __init__(self, paths: list[str], pool, query_scores: list[dict[str, float]]):
        data = load_replay(paths)
        names = pool.names
        self.tasks = np.array([r.eval_name for r in data.records])
        self.score_rows = query_scores
        self.scores = np.array([[s[m] for m in names] for s in query_scores])
        self.right = np.array([[r.correct.get(m) == 1.0 for m in names] for r in data.records])
        self.cost = np.array([[r.cost[m] for m in names] for r in data.records])
        self.prompt_tokens = np.array([estimate_tokens(r.prompt) for r in data.records], dtype=float)
        self.input_price = np.array([m.input_price for m in pool.models])
        self.output_price = np.array([m.output_price for m in pool.models])

    def metrics(self, selections) -> tuple[float, float, float]:
        """(any correct, first pick right, cost ratio) of one ordered selection (model indices) per query."""
        anyc = np.mean([self.right[i, s].any() for i, s in enumerate(selections)])
        first = np.mean([self.right[i, s[0]] for i, s in enumerate(selections)])
        return (
            float(anyc),
            float(first),
            float(sum(self.cost[i, s].sum() for i, s in enumerate(selections)) / self.cost.sum()),
        )

    def call_usd(self, output_tokens: int) -> np.ndarray:
        """Estimated dollars per (query, model): prompt tokens × input price + output_tokens × output price."""
        return (self.prompt_tokens[:, None] * self.input_price + output_tokens * self.output_price) / 1e6

    def relative_output_price(self) -> np.ndarray:
        return np.broadcast_to(self.output_price / self.output_price.max(), self.scores.shape)


def one_model_curve(split: Split, value: np.ndarray, penalty: np.ndarray, weights) -> list[tuple[float, float]]:
    """(first pick right, cost ratio) of argmax(value − w × penalty) per query, for every w (price breaks ties)."""
    rows = np.arange(len(value))
    tie = 1e-12 * split.relative_output_price()
    out = []
    for w in weights:
        pick = np.argmax(value - w * penalty - tie, axis=1)
        out.append((float(split.right[rows, pick].mean()), float(split.cost[rows, pick].sum() / split.cost.sum())))
    return out


def best_within(points, budget: float, metric: int = 0) -> tuple:
    """The most accurate point at cost ratio ≤ budget (ties: the cheaper); accuracy is entry `metric`."""
    return max((p for p in points if p[-1] <= budget), key=lambda p: (p[metric], -p[-1]), default=(0.0,) * 3)


def curve_summary(curve) -> str:
    best = best_within(curve, FIRST_BUDGET)
    mean = np.mean([best_within(curve, b)[0] for b in np.linspace(0.05, 0.25, 41)])
    return f"{best[0]:.4f} at {best[1]:.3f} (mean {mean:.4f})"


def _logit(p):
    return np.log(p + EPS) - np.log(1 - p + EPS)


Rule = Callable[[Split], tuple[np.ndarray, np.ndarray, np.ndarray]]
"""A one-model rule: split -> (value per query and model, price penalty per query and model, weights swept)."""


def _call_dollars(output_tokens: int, per_query_relative: bool) -> Rule:
    """Penalty: the estimated call dollars, relative to the query's dearest call or absolute (a Lagrangian)."""

    def make(s: Split) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        usd = s.call_usd(output_tokens)
        if per_query_relative:
            return s.scores, usd / usd.max(axis=1, keepdims=True), K1_GRID
        return s.scores, usd, np.geomspace(0.1, 1e4, 400)

    return make


ONE_MODEL_RULES: dict[str, Rule] = {
    "shipped: score - cw x relative output price": lambda s: (s.scores, s.relative_output_price(), K1_GRID),
    "score - cw x relative input price": lambda s: (
        s.scores,
        np.broadcast_to(s.input_price / s.input_price.max(), s.scores.shape),
        K1_GRID,
    ),
    **{
        f"score - cw x call $ / the query's dearest call ({n} output tokens)": _call_dollars(n, True)
        for n in (0, 50, 512)
    },
    **{f"score - lambda x call $ (Lagrangian, {n} output tokens)": _call_dollars(n, False) for n in (0, 50, 512)},
    "logit(score) - cw x relative output price": lambda s: (_logit(s.scores), s.relative_output_price(), K1_GRID),
    "log(score) - cw x relative output price": lambda s: (np.log(s.scores + EPS), s.relative_output_price(), K1_GRID),
    "-log(1 - score) - cw x relative output price": lambda s: (
        -np.log(1 - s.scores + EPS),
        s.relative_output_price(),
        K1_GRID,
    ),
    "sharpen(score) - cw x relative output price": lambda s: (sharpen(s.scores), s.relative_output_price(), K1_GRID),
}


def epsilon_selection(split: Split, eps: float, k: int) -> list[list[int]]:
    """The k cheapest (output price) models whose score is within eps of the query's best."""
    out = []
    for row in split.scores:
        near = [j for j in range(len(row)) if row[j] >= row.max() - eps]
        out.append(sorted(near, key=lambda j: (split.output_price[j], -row[j], j))[:k])
    return out


def adaptive_selection(split: Split, pool, cw: float, miss: float, k_max: int) -> list[list[int]]:
    """Models in the shipped rank order, added until the product of (1 − score) is at most `miss`, at most k_max."""
    index = {name: j for j, name in enumerate(pool.names)}
    out = []
    for i, scores in enumerate(split.score_rows):
        ranked = [index[m] for m in routemoa_selection(scores, pool, k_max, 1.0, cw)]
        chosen, p_miss = [], 1.0
        for j in ranked:
            chosen.append(j)
            p_miss *= 1.0 - split.scores[i, j]
            if p_miss <= miss:
                break
        out.append(chosen)
    return out


def any_correct_rules(split: Split, pool) -> dict[str, dict[tuple, tuple[float, float, float]]]:
    """Rule -> {knobs: (any correct, first pick, cost ratio)}."""
    index = {name: j for j, name in enumerate(pool.names)}
    shipped = {}
    for k, tol, cw in itertools.product(TOP_KS, TOLERANCES, ANY_WEIGHTS):
        picks = [[index[m] for m in routemoa_selection(s, pool, k, tol, cw)] for s in split.score_rows]
        shipped[(k, tol, cw)] = split.metrics(picks)
    adaptive = {
        (cw, miss, k): split.metrics(adaptive_selection(split, pool, cw, miss, k))
        for cw, miss, k in itertools.product((0.1, 0.3, 0.5, 1.0, 1.5), (1e-1, 1e-2, 1e-3, 1e-4, 1e-6), (2, 3, 4, 5, 6))
    }
    epsilon = {
        (eps, k): split.metrics(epsilon_selection(split, eps, k))
        for eps, k in itertools.product(np.round(np.linspace(0.0, 0.6, 61), 3).tolist(), (1, 2, 3, 4, 5, 6))
    }
    return {
        "shipped: top_k by score - cw x relative output price, within tolerance": shipped,
        "adaptive k: shipped order until prod(1 - score) <= miss": adaptive,
        "epsilon: the k cheapest within eps of the best score": epsilon,
    }


def _pareto(points: list[tuple[int, float]]) -> list[tuple[int, float]]:
    """(hits, dollars) points that no other point beats on both (more hits, fewer dollars), cheapest first."""
    front: list[tuple[int, float]] = []
    for hits, usd in sorted(points, key=lambda p: (p[1], -p[0])):
        if not front or hits > front[-1][0]:
            front.append((hits, usd))
    return front


def best_fixed_sets(split: Split, budget: float) -> tuple[float, float]:
    """Any correct and cost ratio of the best fixed model set per task (one set per task) within the budget."""
    front = [(0, 0.0)]
    for task in sorted(set(split.tasks)):
        rows = split.tasks == task
        right, cost = split.right[rows], split.cost[rows]
        n = right.shape[1]
        sets = [list(c) for size in range(1, n + 1) for c in itertools.combinations(range(n), size)]
        task_front = _pareto([(int(right[:, c].any(axis=1).sum()), float(cost[:, c].sum())) for c in sets])
        front = _pareto([(h1 + h2, c1 + c2) for (h1, c1), (h2, c2) in itertools.product(front, task_front)])
    hits, usd = max((p for p in front if p[1] <= budget * split.cost.sum()), key=lambda p: (p[0], -p[1]))
    return hits / len(split.tasks), usd / split.cost.sum()


def random_mix(split: Split, names: list[str], first_task: str, strong: str, weak: str, other: str) -> float:
    """First pick right when a random share of `first_task` goes to `strong` (else `weak`), `other` elsewhere,
    the share filling the first-pick budget exactly (in expectation)."""
    rows = split.tasks == first_task
    s, w, o = names.index(strong), names.index(weak), names.index(other)
    fixed = split.cost[rows, w].sum() + split.cost[~rows, o].sum()
    share = float(
        np.clip(
            (FIRST_BUDGET * split.cost.sum() - fixed) / (split.cost[rows, s].sum() - split.cost[rows, w].sum()), 0, 1
        )
    )
    hits = share * split.right[rows, s].sum() + (1 - share) * split.right[rows, w].sum() + split.right[~rows, o].sum()
    return float(hits / len(split.tasks))


def separation(split: Split, names: list[str], task: str, strong: str, weak: str) -> tuple[float, int]:
    """AUC of p(strong) − p(weak) on `task` for "weak wrong, strong right", and how many such questions."""
    rows = split.tasks == task
    s, w = names.index(strong), names.index(weak)
    gap = split.scores[rows, s] - split.scores[rows, w]
    wanted = split.right[rows, s] & ~split.right[rows, w]
    pos, neg = gap[wanted], gap[~wanted]
    auc = float(
        ((pos[:, None] > neg[None]).sum() + 0.5 * (pos[:, None] == neg[None]).sum()) / max(1, pos.size * neg.size)
    )
    return auc, int(wanted.sum())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data_dir", help="folder with the RouterBench CSVs")
    parser.add_argument("--scorer", required=True, help="trained scorer checkpoint")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    folder = Path(args.data_dir)
    files = {
        split: [str(folder / f"{t}_{split}.csv") for t in ("arc_challenge", "mbpp")] for split in ("train", "test")
    }
    _, pool = load_data_and_pool(files["test"], args.scorer)
    splits = {}
    for name, paths in files.items():
        scores, _ = prior_scores([r.prompt for r in load_replay(paths).records], pool)
        splits[name] = Split(paths, pool, scores)
    print(
        f"First pick at cost ratio <= {FIRST_BUDGET} (one model per query; best point, and the mean of the best over budgets 0.05-0.25):\n"
    )
    print("| rule | train | test |\n|---|---|---|")
    for rule, make in ONE_MODEL_RULES.items():
        cells = [curve_summary(one_model_curve(s, *make(s))) for s in splits.values()]
        print(f"| {rule} | {cells[0]} | {cells[1]} |")
    print(
        f"\nAny correct at cost ratio <= {ANY_BUDGET} (best knobs on train, on test, and the train's knobs on test):\n"
    )
    print("| rule | train | test | chosen on train -> test |\n|---|---|---|---|")
    found = {name: any_correct_rules(s, pool) for name, s in splits.items()}
    for rule in found["train"]:
        train, test = found["train"][rule], found["test"][rule]
        knobs = max((k for k, p in train.items() if p[2] <= ANY_BUDGET), key=lambda k: (train[k][0], -train[k][2]))
        best_test = best_within(test.values(), ANY_BUDGET)
        print(
            f"| {rule} | {train[knobs][0]:.4f} at {train[knobs][2]:.3f} {knobs} | {best_test[0]:.4f} at {best_test[2]:.3f}"
            f" | {test[knobs][0]:.4f} at {test[knobs][2]:.3f} |"
        )
    print("\nCeilings:")
    names = list(pool.names)
    for name, split in splits.items():
        fixed = best_fixed_sets(split, ANY_BUDGET)
        mix = random_mix(
            split, names, "arc-challenge", "gpt-4-1106-preview", "zero-one-ai/Yi-34B-Chat", "gpt-3.5-turbo-1106"
        )
        auc, count = separation(split, names, "arc-challenge", "gpt-4-1106-preview", "zero-one-ai/Yi-34B-Chat")
        print(
            f"  {name}: best fixed model set per task (chosen on these files): any correct {fixed[0]:.4f} at {fixed[1]:.3f};"
            f" random mix gpt-4-1106 / Yi-34B on arc, gpt-3.5 on mbpp: first pick {mix:.4f} at {FIRST_BUDGET};"
            f" AUC of p(gpt-4) - p(Yi-34B) on arc for 'Yi-34B wrong, gpt-4 right' {auc:.3f} ({count} questions)"
        )
    command = shlex.join([args.data_dir, "--scorer", args.scorer])
    print(f"\nMeasured in {time.perf_counter() - start:.1f} s by: python benchmarks/replay_ranking_rules.py {command}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
