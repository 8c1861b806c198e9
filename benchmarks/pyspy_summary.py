#!/usr/bin/env python3
"""Summarise a py-spy raw (collapsed stacks) profile: each function's share of the samples,
as self time (the function was on top) and inclusive time (anywhere in the stack).

    python benchmarks/pyspy_summary.py out.txt [--within measured] [--top 25]

``--within NAME`` keeps only the stacks passing through a frame whose function is NAME
(``profile_engine.py`` sends the profiled side through ``measured``). Line numbers are
dropped so a function counts once however many lines it spent time on (``--lines`` keeps
them, to find the hot line inside a function).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter

FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^()]*?)(?::\d+)?\)$")


def function_of(frame: str, lines: bool = False) -> str:
    frame = frame.strip()
    m = FRAME.match(frame)
    if not m:
        return frame
    path = frame[frame.rindex("(") + 1 : -1] if lines else m.group("file")
    for marker in ("/src/tls12/", "/site-packages/", "/lib/python3.11/"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{m.group('func')} ({path})"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("file")
    parser.add_argument("--within", default="measured")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--lines", action="store_true", help="self time by source line")
    args = parser.parse_args()
    self_counts: Counter[str] = Counter()
    incl_counts: Counter[str] = Counter()
    total = 0
    with open(args.file) as f:
        for line in f:
            stack, _, n = line.rstrip("\n").rpartition(" ")
            if not stack or not n.isdigit():
                continue
            frames = [function_of(fr, args.lines) for fr in stack.split(";")]
            names = [fr.split(" (", 1)[0] for fr in frames]
            if args.within:
                if args.within not in names:
                    continue
                frames = frames[len(names) - 1 - names[::-1].index(args.within) :]
            count = int(n)
            total += count
            self_counts[frames[-1]] += count
            for fr in set(frames):
                incl_counts[fr] += count
    if not total:
        print("no samples")
        return 1
    print(f"{total} samples")
    for title, counts in (("self", self_counts), ("inclusive", incl_counts)):
        print(f"\ntop {args.top} by {title}:")
        for fr, c in counts.most_common(args.top):
            print(f"{c / total:6.1%}  {fr}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
