"""`routemoa eval ...` sub-commands."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def _replay(args: argparse.Namespace) -> int:
    """`routemoa eval replay`: selection quality and cost of every method on recorded results."""
    from routemoa.eval.replay_eval import run_replay
    from routemoa.eval.replay_report import markdown, to_jsonable, write_outputs

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


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `eval` command and its sub-commands to the main CLI."""
    parser = subparsers.add_parser("eval", help="evaluate routing and answers")
    commands = parser.add_subparsers(dest="eval_command", metavar="{replay}", required=True)

    replay = commands.add_parser(
        "replay",
        help="replay recorded model results (RouterBench-style CSV): accuracy and cost of each method's first layer",
    )
    replay.add_argument("--data", nargs="+", required=True, metavar="FILE", help="replay CSV file(s) to evaluate on")
    replay.add_argument("--train", nargs="+", metavar="FILE", help="replay CSV file(s) that choose the single-best model")
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

    # `eval run` (live benchmark through the graph) is registered here, next to `replay`.
