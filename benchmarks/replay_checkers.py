"""Does the multiple-choice checker grade recorded ARC answers as RouterBench did? Old vs new extractor.

    python benchmarks/replay_checkers.py DATA_DIR

For every ARC query where the models graded right all chose one letter, that
letter is the reference; every recorded answer is then graded with
`choice_letter` and compared with RouterBench's 1.0 / 0.0. Run for the new
`routemoa.eval.checkers.choice_letter` and for the old one (routemoa/eval/checkers.py
at e0edb6b, read with `git show`), in one pass over the same answers.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

from checker_agreement import load_old_checkers  # benchmarks/ is on sys.path when run as a script

from routemoa.eval.checkers import choice_letter
from routemoa.eval.replay_data import load_replay


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    folder = Path(args[0])
    data = load_replay([folder / "arc_challenge_train.csv", folder / "arc_challenge_test.csv"])
    extractors = {"old": load_old_checkers("e0edb6b").choice_letter, "new": choice_letter}
    counts: dict[str, Counter[str]] = {name: Counter() for name in extractors}
    for record in data.records:
        for name, extract in extractors.items():
            tally = counts[name]
            letters = {extract(record.response[m]) for m in data.models if record.correct[m] == 1.0} - {None}
            if len(letters) != 1:
                tally["queries without one agreed letter"] += 1
                continue
            reference = letters.pop()
            for model in data.models:
                recorded = record.correct[model]
                if recorded is None:
                    continue
                picked = extract(record.response[model])
                if picked is None:
                    tally[f"no letter found (recorded {'right' if recorded == 1.0 else 'wrong'})"] += 1
                elif (picked == reference) == (recorded == 1.0):
                    tally["agree"] += 1
                else:
                    tally["disagree"] += 1
    print(f"command: python benchmarks/replay_checkers.py {args[0]}")
    for name, tally in counts.items():
        print(f"[{name} choice_letter]")
        for key, value in sorted(tally.items()):
            print(f"  {key}: {value}")
        graded = tally["agree"] + tally["disagree"]
        found_none_wrong = tally["no letter found (recorded wrong)"]
        total = graded + found_none_wrong + tally["no letter found (recorded right)"]
        print(f"  agreement where a letter was found: {tally['agree'] / graded:.4f} of {graded} answers")
        print(
            f"  agreement counting 'no letter' as wrong: {(tally['agree'] + found_none_wrong) / total:.4f} of {total}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
