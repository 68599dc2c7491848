"""How often do the answer checkers agree with hand grades? Old checkers (before issue 10) vs `grade`.

    python benchmarks/checker_agreement.py [FIXTURES_YAML] [--old-commit COMMIT] [--show-disagreements]

FIXTURES_YAML (default tests/data/checker_fixtures.yaml) holds benchmark items, each with hand-graded
answers (`ok`). The old checkers are read from `routemoa/eval/checkers.py` at COMMIT (default e0edb6b,
the last commit before the checker package) with `git show`, and called as the old live evaluation did:
`check(kind, raw answer, reference)`, with `label` and `short_answer` items (kinds it did not have)
graded by its `normalized` checker (the whole answer must equal the reference). Both are run on the
same answers in one pass, interleaved.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import types
from collections import defaultdict
from pathlib import Path

import yaml

from routemoa.eval.checkers import PASS_MARK, grade

ROOT = Path(__file__).resolve().parents[1]
OLD_KIND = {"label": "normalized", "short_answer": "normalized", "rouge": "normalized"}


def load_old_checkers(commit: str) -> types.ModuleType:
    """The old `routemoa.eval.checkers` module as it was at `commit`."""
    source = subprocess.run(
        ["git", "show", f"{commit}:routemoa/eval/checkers.py"], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout
    module = types.ModuleType("old_checkers")
    exec(compile(source, f"{commit}:routemoa/eval/checkers.py", "exec"), module.__dict__)
    return module


def load_fixtures(path: Path) -> list[tuple[dict, str, bool]]:
    """(item, answer, hand grade) for every answer in the file."""
    return [
        (group["item"], a["text"], bool(a["ok"]))
        for group in yaml.safe_load(path.read_text())
        for a in group["answers"]
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("fixtures", nargs="?", default=str(ROOT / "tests/data/checker_fixtures.yaml"))
    parser.add_argument("--old-commit", default="e0edb6b")
    parser.add_argument("--show-disagreements", action="store_true")
    args = parser.parse_args(argv)
    old = load_old_checkers(args.old_commit)
    fixtures = load_fixtures(Path(args.fixtures))
    agree: dict[str, dict[str, list[bool]]] = {"old": defaultdict(list), "new": defaultdict(list)}
    for item, answer, hand in fixtures:
        kind = item["checker"]
        old_verdict = old.check(OLD_KIND.get(kind, kind), answer, item["reference"])
        new_verdict = grade(item, answer) >= PASS_MARK
        for name, verdict in (("old", old_verdict), ("new", new_verdict)):
            agree[name][kind].append(verdict == hand)
            if args.show_disagreements and verdict != hand:
                print(f"[{name}] {kind} ref={item['reference']!r} hand={hand} answer={answer[:100]!r}")
    print(f"command: python benchmarks/checker_agreement.py {' '.join(sys.argv[1:])}".rstrip())
    print(f"{len(fixtures)} hand-graded answers from {args.fixtures}")
    print(f"{'checker':<14}{'n':>5}{'old agree':>12}{'new agree':>12}")
    for kind in agree["new"]:
        n = len(agree["new"][kind])
        print(f"{kind:<14}{n:>5}{sum(agree['old'][kind]) / n:>12.1%}{sum(agree['new'][kind]) / n:>12.1%}")
    total = {name: [v for marks in agree[name].values() for v in marks] for name in agree}
    print(
        f"{'all':<14}{len(total['new']):>5}{sum(total['old']) / len(total['old']):>12.1%}"
        f"{sum(total['new']) / len(total['new']):>12.1%}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
