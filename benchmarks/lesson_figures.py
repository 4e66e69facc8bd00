"""Train every lesson on several seeds and print the README's lesson table.

    .venv/bin/python benchmarks/lesson_figures.py [--device cpu] [--lessons a,b] [--seeds 0,1,2]

Each row: the lesson, its variants, its verdict line on the first seed, whether it held on
each seed, and the wall seconds of the whole lesson (every variant, one after the other, as
`tuidl lesson NAME` trains them) on the first seed. `tests/test_lessons.py` asserts the
verdict on the default seed; this script only reports.
"""
from __future__ import annotations

import argparse
import tempfile
import time

from tuidl.lesson import list_lessons
from tuidl.lesson_run import plan, run_all


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--lessons", default="")
    ap.add_argument("--seeds", default="0,1,2")
    args = ap.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    wanted = set(filter(None, args.lessons.split(",")))
    print(f"| lesson | variants | verdict (seed {seeds[0]}) | holds, seeds "
          f"{', '.join(map(str, seeds))} | seconds (seed {seeds[0]}) |")
    print("| --- | --- | --- | --- | --- |")
    for lesson in list_lessons():
        if wanted and lesson.name not in wanted:
            continue
        held, first, seconds = [], "", 0.0
        for seed in seeds:
            with tempfile.TemporaryDirectory() as root:
                t0 = time.perf_counter()
                _, record = run_all(lesson, plan(lesson, seed=seed, device=args.device), root,
                                    "en")
                if not held:
                    seconds, first = time.perf_counter() - t0, record["verdict"]
            held.append({True: "yes", False: "no"}.get(record["holds"], "?"))
        variants = ", ".join(v.label for v in lesson.variants)
        print(f"| `{lesson.name}` | {variants} | {first.replace('|', '/')} | "
              f"{' · '.join(held)} | {seconds:.1f} |", flush=True)


if __name__ == "__main__":
    main()
