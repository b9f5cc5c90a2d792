# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""make test's runner: make's steps side by side on a few workers, each step's output in a log of its own.

    steps.py --workers N --logs DIR [--first STEP ...] STEP[@RESOURCE] ...

The --first steps run one after the other, as plain `make STEP`, before the others. The others are given longest first; a free worker takes the first step not yet run whose RESOURCE (if any) no running
step holds (the ansible-test runs of one ansible-core share one copy of the collection). Each step runs as
`make STEP PREPARED=1`: the prepare step before it built every environment and the collection, so no step rebuilds
what another is using. After the first failure no new step starts; the running ones finish. Each step's output goes to
DIR/STEP.log and is printed when the step ends: its last lines when it passed, all of it when it failed. At the end:
each step's time, the sum, the wall time, and the line `steps: N passed, N failed`.
"""

import argparse
import subprocess
import sys
import threading
import time
from pathlib import Path

TAIL_PASSED = 12
HEAD_FAILED = 400


class Step:
    def __init__(self, spec):
        self.name, _, self.resource = spec.partition("@")
        self.outcome = None  # "passed" / "FAILED" once run
        self.seconds = None
        self.started = None


def report(step, log, elapsed_since_start):
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    shown = lines[-TAIL_PASSED:] if step.outcome == "passed" else lines[:HEAD_FAILED]
    cut = len(lines) - len(shown)
    out = ["", "=============================== make %s (%s) ===============================" % (step.name, log)]
    if cut and step.outcome == "passed":
        out.append("[... %d lines before these; all of them in %s]" % (cut, log))
    out += shown
    if cut and step.outcome != "passed":
        out.append("[... %d more lines in %s]" % (cut, log))
    out.append("----- make %s: %s in %d s (started at +%d s)" % (step.name, step.outcome, step.seconds, step.started - elapsed_since_start))
    print("\n".join(out), flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--logs", type=Path, required=True)
    parser.add_argument("--make", default="make")
    parser.add_argument("--first", action="append", default=[], help="a step to run, alone, before the others")
    parser.add_argument("steps", nargs="+")
    args = parser.parse_args()
    first = [Step(name) for name in args.first]
    steps = [Step(spec) for spec in args.steps]
    args.logs.mkdir(parents=True, exist_ok=True)
    lock = threading.Condition()
    held = set()
    start = time.monotonic()

    def run(step, *variables):
        log = args.logs / ("%s.log" % step.name)
        step.started = time.monotonic()
        with open(log, "wb") as out:
            code = subprocess.run([args.make, step.name, *variables], stdin=subprocess.DEVNULL, stdout=out,
                                  stderr=subprocess.STDOUT, check=False).returncode
        return log, code

    for step in first:
        log, code = run(step)
        step.seconds = time.monotonic() - step.started
        step.outcome = "passed" if code == 0 else "FAILED"
        report(step, log, start)
        if code:
            steps = first + steps
            break
    else:
        steps = first + steps
        parallel(args, [step for step in steps if step not in first], lock, held, start, run)
    return summary(args, steps, start)


def parallel(args, steps, lock, held, start, run):
    """Run steps on args.workers threads, each step on the first free worker its resource allows."""

    def next_step():
        # Called with the lock held: the first step not yet taken whose resource is free, or None.
        for step in steps:
            if step.started is None and not (step.resource and step.resource in held):
                return step
        return None

    def worker():
        while True:
            with lock:
                while True:
                    failed = any(step.outcome == "FAILED" for step in steps)
                    pending = [step for step in steps if step.started is None]
                    if failed or not pending:
                        return
                    step = next_step()
                    if step:
                        break
                    lock.wait()
                step.started = time.monotonic()
                if step.resource:
                    held.add(step.resource)
            log, code = run(step, "PREPARED=1")
            with lock:
                step.seconds = time.monotonic() - step.started
                step.outcome = "passed" if code == 0 else "FAILED"
                held.discard(step.resource)
                report(step, log, start)
                lock.notify_all()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(max(1, args.workers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def summary(args, steps, start):
    wall = time.monotonic() - start
    ran = [step for step in steps if step.outcome]
    passed = sum(step.outcome == "passed" for step in ran)
    failed = len(ran) - passed
    print("\nstep times (%d workers):" % args.workers)
    for step in sorted(ran, key=lambda item: item.started):
        print("  %-28s %-7s %5d s   from +%d s" % (step.name, step.outcome, step.seconds, step.started - start))
    not_run = [step.name for step in steps if step.outcome is None]
    if not_run:
        print("  not run after the failure: %s" % " ".join(not_run))
    print("the steps' times add up to %d s; make test took %d s (%.1f min)" % (sum(step.seconds for step in ran), wall, wall / 60))
    print("steps: %d passed, %d failed" % (passed, failed))
    return 1 if failed or not_run else 0


if __name__ == "__main__":
    sys.exit(main())
