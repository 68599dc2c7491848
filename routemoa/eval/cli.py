"""`routemoa eval ...` sub-commands."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from routemoa.errors import UserError
from routemoa.output_paths import writable_file, writable_folder


def _replay(args: argparse.Namespace) -> int:
    """`routemoa eval replay`: selection quality and cost of every method on recorded results."""
    from routemoa.eval.replay_eval import run_replay
    from routemoa.eval.replay_report import markdown, to_jsonable, write_outputs

    if args.out:
        writable_folder(args.out, "--out")
    result = run_replay(
        args.data, args.train or (), scorer=args.scorer, seed=args.seed, query=args.query, progress=not args.quiet
    )
    if args.out:
        for path in write_outputs(result, Path(args.out)):
            print(f"wrote {path}", file=sys.stderr)
    if args.json:
        print(json.dumps(to_jsonable(result), indent=2))
    else:
        print(markdown(result), end="")
    return 0


def _run(args: argparse.Namespace) -> int:
    """`routemoa eval run`: live comparison of methods on a benchmark, with a resumable cache."""
    import asyncio

    from routemoa.eval.benchmark import load_benchmark
    from routemoa.eval.cache import ResultCache
    from routemoa.eval.checkers import make_judge
    from routemoa.eval.live import parse_methods, run_live
    from routemoa.eval.report import accuracy_intervals, markdown, paired_differences, summarize, write_report
    from routemoa.pool import load_pool
    from routemoa.providers import CallSettings

    if args.concurrency < 1:
        raise UserError(f"--concurrency must be >= 1, got {args.concurrency}")
    if args.limit is not None and args.limit < 1:
        raise UserError(f"--limit must be >= 1, got {args.limit}")
    out = writable_folder(args.out, "--out")
    pool = load_pool(args.pool)
    methods = parse_methods(args.methods, pool)
    items = load_benchmark(args.benchmark)[: args.limit]
    judge = None
    if args.judge:
        if args.judge not in pool.names:
            raise UserError(f"--judge: '{args.judge}' is not a pool model (pool: {', '.join(pool.names)})")
        judge = make_judge(pool.get(args.judge), CallSettings(temperature=0.0, max_tokens=256, timeout_s=120.0))
    elif any(item.checker == "judge" for item in items):
        raise UserError("the benchmark has 'judge' items: name the grading model with --judge MODEL")
    knobs = {"max_layers": args.max_layers} if args.max_layers else {}
    cache = ResultCache(out / "results.jsonl")
    results = asyncio.run(
        run_live(
            items,
            methods,
            args.pool,
            cache,
            concurrency=args.concurrency,
            knobs=knobs,
            progress=not args.quiet,
            judge=judge,
        )
    )
    wanted = {(m.label, item.id) for m in methods for item in items}
    task_of = {item.id: item.group for item in items}
    results = [{**r, "task": task_of[r["id"]]} for r in results if (r["method"], r["id"]) in wanted]
    for path in write_report(results, out):
        print(f"wrote {path}", file=sys.stderr)
    rows, intervals, pairs = summarize(results), accuracy_intervals(results), paired_differences(results)
    if args.json:  # rows as before, each with its overall 95 % interval; report.json has everything
        overall = {r["method"]: [r["ci_low"], r["ci_high"]] for r in intervals if r["task"] == "all"}
        print(json.dumps([{**r, "accuracy_ci95": overall[r["method"]]} for r in rows], indent=2))
    else:
        print(markdown(rows, intervals, pairs), end="")
    return 0 if len(results) == len(wanted) else 1


def _calibrate(args: argparse.Namespace) -> int:
    """`routemoa calibrate`: knobs for a cost budget (or a target accuracy) from recorded results."""
    from routemoa.eval.calibrate import calibrate, report, yaml_snippet

    if args.out:
        writable_file(args.out, "--out")
    result = calibrate(
        args.data,
        args.train or (),
        scorer=args.scorer,
        budget=args.budget,
        target=args.target,
        metric=args.metric,
        query=args.query,
        progress=not args.quiet,
    )
    print(report(result), end="")
    if result["knobs"] is None:
        return 1
    snippet = yaml_snippet(result)
    if args.out:
        Path(args.out).write_text(snippet)
        print(f"wrote {args.out}", file=sys.stderr)
    print()
    print(snippet, end="")
    return 0


def register_calibrate(subparsers: argparse._SubParsersAction) -> None:
    """Add `routemoa calibrate` to the main CLI."""
    parser = subparsers.add_parser(
        "calibrate",
        help="choose top_k / tolerance / cost_weight for a cost budget from recorded results (like `eval replay`)",
    )
    parser.add_argument(
        "--data", nargs="+", required=True, metavar="FILE", help="replay CSV file(s) the knobs are measured on"
    )
    parser.add_argument(
        "--train",
        nargs="+",
        metavar="FILE",
        help="replay CSV file(s) to choose the knobs on (default: --data, in-sample)",
    )
    parser.add_argument("--scorer", metavar="DIR", help="trained scorer checkpoint (default: zero-shot prior)")
    parser.add_argument(
        "--budget",
        type=float,
        metavar="RATIO",
        help="most the first layer may cost, as a ratio of calling every model (e.g. 0.3)",
    )
    parser.add_argument(
        "--target",
        type=float,
        metavar="ACC",
        help="instead: the cheapest knobs whose accuracy reaches ACC (within --budget if given)",
    )
    parser.add_argument(
        "--metric",
        choices=("any_correct", "first_pick_accuracy"),
        default="any_correct",
        help="accuracy of the first layer: some model right (default) or the top pick right",
    )
    parser.add_argument(
        "--query", choices=("prompt", "question"), default="prompt", help="text the prior reads (as in eval replay)"
    )
    parser.add_argument("--out", metavar="FILE", help="also write the knobs as YAML here")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.set_defaults(handler=_calibrate)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `eval` command and its sub-commands to the main CLI."""
    parser = subparsers.add_parser("eval", help="evaluate routing and answers")
    commands = parser.add_subparsers(dest="eval_command", metavar="{replay,run}", required=True)

    replay = commands.add_parser(
        "replay",
        help="replay recorded model results (RouterBench-style CSV): accuracy and cost of each method's first layer",
    )
    replay.add_argument("--data", nargs="+", required=True, metavar="FILE", help="replay CSV file(s) to evaluate on")
    replay.add_argument(
        "--train", nargs="+", metavar="FILE", help="replay CSV file(s) that choose the single-best model"
    )
    replay.add_argument("--scorer", metavar="DIR", help="trained scorer checkpoint (default: zero-shot prior)")
    replay.add_argument(
        "--query",
        choices=("prompt", "question"),
        default="prompt",
        help="text the prior reads: the whole recorded prompt (default, as the graph gets it) or its last paragraph",
    )
    replay.add_argument("--seed", type=int, default=0, help="seed of the random-k baseline (default 0)")
    replay.add_argument("--out", metavar="DIR", help="write replay.json, replay.md and replay.png here")
    replay.add_argument("--json", action="store_true", help="print JSON instead of a Markdown table")
    replay.add_argument("--quiet", action="store_true", help="no progress bars")
    replay.set_defaults(handler=_replay)

    live = commands.add_parser("run", help="run methods live on a benchmark JSONL (real calls, resumable)")
    live.add_argument(
        "--benchmark",
        required=True,
        metavar="FILE",
        help="benchmark JSONL: id, question, reference, checker (+ references, choices, labels, aliases, task)",
    )
    live.add_argument(
        "--methods", default="routemoa,moa", help="comma list of routemoa, moa, smoa, random_k, single:NAME"
    )
    live.add_argument("--pool", default="embedded", help="pool YAML file (default: the embedded local pool)")
    live.add_argument("--out", default="runs/eval", metavar="DIR", help="results.jsonl (cache), report.json/.md/.png")
    live.add_argument("--concurrency", type=int, default=4, help="queries in flight at once (default 4)")
    live.add_argument("--limit", type=int, help="only the first N items")
    live.add_argument("--max-layers", type=int, help="override every method's max_layers")
    live.add_argument("--judge", metavar="MODEL", help="pool model that grades 'judge' items (never used otherwise)")
    live.add_argument("--json", action="store_true", help="print the report as JSON instead of Markdown")
    live.add_argument("--quiet", action="store_true", help="no progress bar")
    live.set_defaults(handler=_run)
