"""Does the multiple-choice checker grade recorded ARC answers as RouterBench did?

    python benchmarks/replay_checkers.py DATA_DIR

For every ARC query where the models graded right all chose one letter, that
letter is the reference; every recorded answer is then graded with
`choice_letter` and compared with RouterBench's 1.0 / 0.0.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

from routemoa.eval.checkers import choice_letter
from routemoa.replay import load_replay


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    folder = Path(args[0])
    data = load_replay([folder / "arc_challenge_train.csv", folder / "arc_challenge_test.csv"])
    counts: Counter[str] = Counter()
    for record in data.records:
        letters = {choice_letter(record.response[m]) for m in data.models if record.correct[m] == 1.0} - {None}
        if len(letters) != 1:
            counts["queries without one agreed letter"] += 1
            continue
        reference = letters.pop()
        for model in data.models:
            recorded = record.correct[model]
            if recorded is None:
                continue
            picked = choice_letter(record.response[model])
            if picked is None:
                counts[f"no letter found (recorded {'right' if recorded == 1.0 else 'wrong'})"] += 1
            elif (picked == reference) == (recorded == 1.0):
                counts["agree"] += 1
            else:
                counts["disagree"] += 1
    for key, value in sorted(counts.items()):
        print(f"{key}: {value}")
    graded = counts["agree"] + counts["disagree"]
    print(f"agreement where a letter was found: {counts['agree'] / graded:.4f} of {graded} answers")
    return 0


if __name__ == "__main__":
    sys.exit(main())
