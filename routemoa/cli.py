"""`routemoa ask | serve | scorer ... | eval ...` — bad input is one line on stderr, never a traceback."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from routemoa.context import Context
from routemoa.errors import UserError
from routemoa.eval.cli import register as register_eval
from routemoa.eval.cli import register_calibrate
from routemoa.method_context import context_for
from routemoa.redact import for_terminal
from routemoa.report import format_event, format_run_table
from routemoa.scorer.cli import register as register_scorer
from routemoa.server.cli import register as register_serve

if TYPE_CHECKING:
    from langchain_core.runnables import RunnableConfig

    from routemoa.spec import Pool

THREADS_DB_ENV = "ROUTEMOA_THREADS_DB"


def _threads_db() -> Path:
    """SQLite file that keeps `ask --thread` conversations."""
    path = Path(os.environ.get(THREADS_DB_ENV) or Path.home() / ".routemoa" / "threads.sqlite")
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


async def _ask(args: argparse.Namespace) -> dict:
    from routemoa.pool import load_pool

    pool = _pool(args)
    spec = load_pool(pool)  # validate before anything loads or runs
    knobs = {
        k: v
        for k, v in {
            "pool": pool,
            "max_layers": args.max_layers,
            "top_k": args.top_k,
            "threshold": args.threshold,
            "aggregator": args.aggregator,
            "max_usd": args.max_usd,
        }.items()
        if v is not None
    }
    context = context_for("routemoa", knobs)
    _start_loading(spec)
    from routemoa.runner import as_messages, run_query  # the graph: LangGraph's imports take a second or two

    on_event = None if args.quiet else (lambda event: print(format_event(event), file=sys.stderr, flush=True))
    if not args.thread:
        return await run_query(args.question, context, on_event=on_event)
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

    from routemoa.graph import build_graph

    async with AsyncSqliteSaver.from_conn_string(str(_threads_db())) as saver:
        graph = build_graph(checkpointer=saver)
        config: RunnableConfig = {"configurable": {"thread_id": args.thread}}
        snapshot = await graph.aget_state(config)
        stopped_before = sorted(set(snapshot.next))
        if args.resume:
            if not stopped_before:
                raise UserError(f"thread '{args.thread}' has no unfinished run to resume")
            _check_same_pool(args.thread, snapshot.values, context)
            return await _run_on_thread(graph, None, config, context, on_event)
        if stopped_before:
            raise UserError(
                f"thread '{args.thread}' has an unfinished run (stopped before {', '.join(stopped_before)}): "
                f"continue it with `routemoa ask --thread {args.thread} --resume`, or use another thread"
            )
        return await _run_on_thread(graph, {"messages": as_messages(args.question)}, config, context, on_event)


def _start_loading(pool: Pool) -> None:
    """Start loading the in-process model (one slot per local model) in the background, so that it
    loads while the graph is imported; a missing model is left to the run to report."""
    from routemoa.local_engine import LocalModelUnavailable, engine

    local_models = sum(spec.provider == "local" for spec in pool.models)
    if local_models:
        with contextlib.suppress(LocalModelUnavailable):
            engine().preload(local_models)


def _pool(args: argparse.Namespace) -> str:
    """The pool of a CLI run: --pool, else the default pool ($ROUTEMOA_POOL: a file, a NAME of
    $ROUTEMOA_POOLS, or `embedded`; unset: the embedded local pool)."""
    from routemoa.operator_pools import default_pool_reference

    return args.pool or default_pool_reference()


def _check_same_pool(thread: str, values: dict, context: Context) -> None:
    """A resumed run must see the models its checkpoint was made with."""
    from routemoa.pool import load_pool

    before, now = sorted(values.get("prior") or {}), sorted(load_pool(context.pool).names)
    if before and before != now:
        raise UserError(f"thread '{thread}' ran on models {', '.join(before)}; resume it with the same --pool")


async def _run_on_thread(graph, graph_input: dict | None, config: RunnableConfig, context: Context, on_event) -> dict:
    """Run (or, with `graph_input=None`, resume) the thread's run; its output state.

    Durability "sync": every step's checkpoint is saved before the next step starts, so a
    killed run resumes from the step it was in, and the writes of the layer calls that had
    returned are there (LangGraph's pending writes): those calls are not made again."""
    final: dict = {}
    stream = graph.astream(
        graph_input, config=config, context=context, stream_mode=["custom", "values"], durability="sync"
    )
    async for mode, chunk in stream:
        if mode == "custom" and on_event:
            on_event(chunk)
        elif mode == "values":
            final = chunk
    return final


def cmd_ask(args: argparse.Namespace) -> int:
    """Answer one question and print the answer with its bill and trace."""
    if args.thread is not None and not args.thread.strip():
        raise UserError("--thread needs a non-empty ID")
    if args.resume and not args.thread:
        raise UserError("--resume needs --thread ID")
    if args.resume and args.question is not None:
        raise UserError("--resume continues the thread's stored question; give no question")
    if not args.resume and not (args.question or "").strip():
        raise UserError("the question is empty")
    out = asyncio.run(_ask(args))
    if args.json:
        keys = ("answer", "error", "bill", "trace")
        print(json.dumps({k: out.get(k) for k in keys}, indent=2, ensure_ascii=False))
    else:
        print(for_terminal(out.get("answer") or f"error: {out.get('error')}"))
        print()
        print(format_run_table(out.get("trace") or [], out.get("bill")))
    return 0 if not out.get("error") else 1


def cmd_route(args: argparse.Namespace) -> int:
    """Print where the question would go (prior per model, first layer, expected cost) without calling a model."""
    from routemoa.route import format_route, route

    knobs = {
        k: v
        for k, v in {
            "pool": _pool(args),
            "top_k": args.top_k,
            "tolerance": args.tolerance,
            "cost_weight": args.cost_weight,
        }.items()
        if v is not None
    }
    plan = route(args.question, knobs, method=args.method)
    print(
        json.dumps(plan, indent=2, ensure_ascii=False) if args.json else format_route(plan),
        end="\n" if args.json else "",
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="routemoa", description="RouteMoA: Mixture-of-Agents with a learned router.")
    commands = parser.add_subparsers(dest="command", required=True)
    ask = commands.add_parser("ask", help="answer a question with RouteMoA")
    ask.add_argument("question", nargs="?", help="the question (omitted with --resume)")
    ask.add_argument("--pool", help="pool YAML file (default: $ROUTEMOA_POOL, else the embedded local pool)")
    ask.add_argument("--max-layers", type=int)
    ask.add_argument("--top-k", type=int)
    ask.add_argument("--threshold", type=float)
    ask.add_argument("--aggregator", help="model that writes the final answer (default: best-ranked)")
    ask.add_argument(
        "--max-usd", type=float, help="budget in dollars: no layer or aggregation starts that would pass it"
    )
    ask.add_argument("--thread", help=f"continue a conversation kept in SQLite (${THREADS_DB_ENV} or ~/.routemoa)")
    ask.add_argument(
        "--resume", action="store_true", help="continue the thread's unfinished run from its last checkpoint"
    )
    ask.add_argument("--json", action="store_true", help="print one JSON object: answer, bill, trace")
    ask.add_argument("--quiet", action="store_true", help="no per-layer progress on stderr")
    ask.set_defaults(handler=cmd_ask)
    plan = commands.add_parser(
        "route", help="show which models a question would go to (prior, first layer, expected cost); no LLM call"
    )
    plan.add_argument("question")
    plan.add_argument("--pool", help="pool YAML file (default: $ROUTEMOA_POOL, else the embedded local pool)")
    plan.add_argument("--method", default="routemoa", help="routemoa (default), moa, smoa, single or random_k")
    plan.add_argument("--top-k", type=int)
    plan.add_argument("--tolerance", type=float)
    plan.add_argument("--cost-weight", type=float)
    plan.add_argument("--json", action="store_true", help="print one JSON object")
    plan.set_defaults(handler=cmd_route)
    for register in (register_serve, register_scorer, register_eval, register_calibrate):
        register(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # last resort: one line, never a traceback
        if os.environ.get("ROUTEMOA_DEBUG"):
            raise
        print(f"error: {type(exc).__name__}: {' '.join(str(exc).split())[:500]}", file=sys.stderr)
        return 1


def run() -> None:
    """The `routemoa` command: `main`, then exit without the interpreter's collections over the heap that
    LangChain and LangGraph built (they took ~0.4 s of a `routemoa ask` after its answer was printed)."""
    code = main()
    gc.freeze()  # exit-time collections skip what is alive now; reference counting still frees it, atexit still runs
    sys.exit(code)


if __name__ == "__main__":
    run()
