"""Live evaluation: run each method's graph on a benchmark with real calls, resumably."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from routemoa.contracts import Bill
from routemoa.errors import UserError
from routemoa.eval.benchmark import BenchmarkItem
from routemoa.eval.cache import ResultCache
from routemoa.eval.checkers import PASS_MARK, Judge, grade_async
from routemoa.method_context import context_for
from routemoa.methods import METHODS
from routemoa.spec import Pool


@dataclass(frozen=True)
class MethodRun:
    """One method to evaluate: its label in reports, graph name and context knobs."""

    label: str
    method: str
    knobs: dict[str, Any]


def parse_methods(text: str, pool: Pool) -> list[MethodRun]:
    """`routemoa,moa,smoa,random_k,single:NAME` -> MethodRuns (unknown names are a UserError)."""
    runs = []
    for token in (t.strip() for t in text.split(",")):
        if not token:
            continue
        name, _, model = token.partition(":")
        if name not in METHODS:
            raise UserError(f"--methods: unknown method '{name}' (known: {', '.join(METHODS)}, single:NAME)")
        if name == "single" and model not in pool.names:
            raise UserError(f"--methods: '{token}' needs a pool model after 'single:' (pool: {', '.join(pool.names)})")
        runs.append(MethodRun(token, name, {"model": model} if model else {}))
    if not runs:
        raise UserError("--methods: name at least one method")
    return runs


async def run_live(
    items: Sequence[BenchmarkItem],
    methods: Sequence[MethodRun],
    pool_path: str,
    cache: ResultCache,
    *,
    concurrency: int = 4,
    knobs: dict[str, Any] | None = None,
    progress: bool = True,
    judge: Judge | None = None,
) -> list[dict[str, Any]]:
    """Every (method, item) result, from the cache or from a real run of the method's graph.

    Each answer is graded with `grade_async` (JSON replies unwrapped; `judge` items by the `judge`
    model): `score` in [0, 1], `correct` when it is at least 0.5, `task` the item's report group."""
    from tqdm import tqdm

    from routemoa.graph import build_graph
    from routemoa.runner import run_query

    graphs = {m.method: build_graph(m.method) for m in methods}
    gate = asyncio.Semaphore(concurrency)
    bar = tqdm(total=len(items) * len(methods), disable=not progress, desc="eval run", file=sys.stderr)

    async def one(run: MethodRun, item: BenchmarkItem) -> dict[str, Any] | None:
        async def answer() -> dict[str, Any]:
            context = context_for(run.method, {"pool": pool_path, **(knobs or {}), **run.knobs})
            out = await run_query(item.question, context, graph=graphs[run.method])
            bill: Bill | None = out.get("bill")
            return {
                "task": item.group,
                "usd": bill["total_usd"] if bill else 0.0,
                "seconds": bill["wall_s"] if bill else 0.0,
                "calls": bill["calls"] if bill else 0,
                "answer": out.get("answer") or "",
                "error": out.get("error"),
            }

        async def graded(row: dict[str, Any]) -> dict[str, Any]:
            score = await grade_async(item.as_dict(), row["answer"], judge) if row["answer"] else 0.0
            return {"correct": score >= PASS_MARK, "score": score}

        async with gate:
            try:
                return await cache.get_or_run(run.label, item.id, answer, graded)
            except UserError:
                raise
            except Exception as exc:  # a rerun retries this item (only its grading, once its answer is stored)
                # stderr: with --json, stdout holds only the JSON
                bar.write(f"{run.label} {item.id}: {type(exc).__name__}: {exc}"[:300], file=sys.stderr)
                return None
            finally:
                bar.update(1)

    try:
        results = await asyncio.gather(*(one(run, item) for run in methods for item in items))
    finally:
        bar.close()
    return [r for r in results if r is not None]
