"""`routemoa scorer train|import|eval`: argparse wiring; the main CLI calls `register`."""

from __future__ import annotations

import argparse
import json
import sys

from routemoa.errors import UserError
from routemoa.output_paths import writable_file, writable_folder
from routemoa.scorer.data import MIXED_PROTOCOLS, import_files, mixed_protocol, read_jsonl, write_jsonl


def _train(args: argparse.Namespace) -> int:
    from routemoa.scorer.train import TrainConfig, train_scorer

    if args.epochs < 1 or args.batch_size < 2 or args.patience < 1:
        raise UserError("--epochs and --patience must be >= 1, --batch-size >= 2")
    if args.head_tokens < -1:
        raise UserError(f"--head-tokens must be >= 0 (or -1: plain truncation), got {args.head_tokens}")
    if not 0 <= args.val_fraction < 1:
        raise UserError(f"--val-fraction must be in [0, 1), got {args.val_fraction}")
    writable_folder(args.out, "--out")
    config = TrainConfig(
        encoder=args.encoder,
        freeze_encoder=args.freeze_encoder,
        epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        val_fraction=args.val_fraction,
        patience=args.patience,
        seed=args.seed,
        sharpen=args.sharpen,
        strip_prefixes=not args.no_strip_prefixes,
        head_tokens=args.head_tokens,
        shrinkage=not args.no_shrinkage,
    )
    summary = train_scorer(read_jsonl(args.data), args.out, config, device=args.device)
    print(json.dumps(summary))
    return 0


def _import(args: argparse.Namespace) -> int:
    out = writable_file(args.out, "--out")
    if args.protocol:
        if args.format != "routerdc" or len(args.files) != 1:
            raise UserError("--protocol needs the routerdc format and exactly one folder (the routerdc7 data)")
        records = mixed_protocol(args.files[0], args.protocol, seed=args.seed)
    else:
        records = import_files(args.format, args.files)
    write_jsonl(records, out)
    tasks: dict[str, int] = {}
    for record in records:
        tasks[record.task or ""] = tasks.get(record.task or "", 0) + 1
    print(json.dumps({"out": args.out, "records": len(records), "tasks": tasks}))
    return 0


def _eval(args: argparse.Namespace) -> int:
    from routemoa.scorer.evaluate import evaluate

    result = evaluate(read_jsonl(args.data), args.checkpoint, device=args.device)
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"{'router':<12} {'top1_hit':>9} {'top3_hit':>9} {'first_pick':>10}")
    head = [("head only", result["head_only"])] if "head_only" in result else []
    for name, row in [("scorer", result), *head, *result["baselines"].items()]:
        print(f"{name:<12} {row['top1_hit']:>9.3f} {row['top3_hit']:>9.3f} {row['first_pick_accuracy']:>10.3f}")
    return 0


def register(subparsers) -> argparse.ArgumentParser:
    """Add the `scorer` command with `train`, `import` and `eval` to an argparse subparsers object."""
    scorer = subparsers.add_parser("scorer", help="train, import data for, and evaluate the learned scorer")
    commands = scorer.add_subparsers(dest="scorer_command", required=True)

    train = commands.add_parser("train", help="train a scorer checkpoint on a JSONL file")
    train.add_argument("data", help="JSONL: one {query, scores, task?, costs?} per line")
    train.add_argument("--out", required=True, help="checkpoint directory to write")
    train.add_argument(
        "--encoder", default=None, help="sentence-transformers model path (default: packaged all-MiniLM-L6-v2)"
    )
    train.add_argument("--epochs", type=int, default=60, help="maximum epochs (early stopping on validation top-1 hit)")
    train.add_argument(
        "--freeze-encoder", action="store_true", help="train only the head and model embeddings (fast on CPU)"
    )
    train.add_argument("--batch-size", type=int, default=64)
    train.add_argument("--lr", type=float, default=1e-3, help="learning rate of the head and model embeddings")
    train.add_argument("--val-fraction", type=float, default=0.1, help="share of the data held out for early stopping")
    train.add_argument("--patience", type=int, default=8, help="epochs without validation gain before stopping")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--sharpen", action="store_true", help="apply RouteMoA's sharpen remap to served scores")
    train.add_argument(
        "--no-shrinkage",
        action="store_true",
        help="serve the head's scores as they are (no gate toward the base rates)",
    )
    train.add_argument("--no-strip-prefixes", action="store_true", help="keep prefixes shared by many training queries")
    train.add_argument(
        "--head-tokens",
        type=int,
        default=32,
        help="long queries keep this many first tokens and their end (-1: plain truncation)",
    )
    train.add_argument("--device", default=None, help="cpu or cuda (default: cuda when present)")
    train.set_defaults(handler=_train)

    imp = commands.add_parser("import", help="convert RouterBench CSV or RouterDC JSON files to scorer JSONL")
    imp.add_argument("format", choices=["routerbench", "routerdc"])
    imp.add_argument("files", nargs="+", help="source files (with --protocol: the routerdc7 folder)")
    imp.add_argument("--out", required=True, help="JSONL file to write")
    imp.add_argument("--protocol", choices=MIXED_PROTOCOLS, help="build RouterDC's mixed-task train or test split")
    imp.add_argument("--seed", type=int, default=0, help="seed of the MATH_prealgebra/mbpp halves (--protocol)")
    imp.set_defaults(handler=_import)

    ev = commands.add_parser("eval", help="hit rates of a checkpoint on a JSONL file, with baselines")
    ev.add_argument("data", help="JSONL with labels for the checkpoint's models")
    ev.add_argument("--checkpoint", required=True, help="checkpoint directory")
    ev.add_argument("--json", action="store_true", help="print one JSON object")
    ev.add_argument("--device", default=None, help="cpu or cuda (default: cuda when present)")
    ev.set_defaults(handler=_eval)
    return scorer


def main(argv: list[str] | None = None) -> int:
    """Run `scorer ...` standalone (`python -m routemoa.scorer.cli train ...`); UserError exits 2."""
    parser = argparse.ArgumentParser(prog="routemoa")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["scorer", *(sys.argv[1:] if argv is None else argv)])
    try:
        return args.handler(args)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
