# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""make test's runner: make's steps side by side on a few workers, each step's output in a log of its own.

    steps.py --workers N --logs DIR [--first STEP ...] STEP[@RESOURCE] ...

The --first steps run one after the other, as plain `make STEP`, before the others. The others are given longest
first; a free worker takes the first step not yet started whose RESOURCE, if it names one, no running step holds
(the ansible-test runs of one ansible-core share one copy of the collection). They run as `make STEP PREPARED=1`: the
first steps built every environment and the collection, so no step rebuilds what another one is using. After a
failure no new step starts; the running ones finish. Each step's output goes to DIR/STEP.log and is printed when the
step ends: its last lines when it passed, all of it when it failed. At the end: each step's time, their sum, the wall
time, and the line `steps: N passed, N failed`.
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
        self.name, self.resource = (spec.split("@", 1) + [""])[:2]
        self.taken = False
        self.started = None
        self.seconds = None
        self.outcome = None  # "passed" or "FAILED" once it ran


class Runner:
    def __init__(self, args):
        self.args = args
        self.start = time.monotonic()
        self.condition = threading.Condition()
        self.held = set()

    def run(self, step, *variables):
        """Run `make STEP` into its log; print the step's report."""
        log = self.args.logs / ("%s.log" % step.name)
        step.started = time.monotonic()
        with open(log, "wb") as out:
            code = subprocess.run([self.args.make, step.name, *variables], stdin=subprocess.DEVNULL, stdout=out,
                                  stderr=subprocess.STDOUT, check=False).returncode
        step.seconds = time.monotonic() - step.started
        step.outcome = "passed" if code == 0 else "FAILED"
        with self.condition:
            self.report(step, log)

    def report(self, step, log):
        lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
        passed = step.outcome == "passed"
        shown = lines[-TAIL_PASSED:] if passed else lines[:HEAD_FAILED]
        hidden = len(lines) - len(shown)
        out = ["", "=============================== make %s ===============================" % step.name]
        if hidden and passed:
            out.append("[... %d lines before these: %s]" % (hidden, log))
        out += shown
        if hidden and not passed:
            out.append("[... %d more lines: %s]" % (hidden, log))
        out.append("----- make %s: %s in %d s (from +%d s)" % (step.name, step.outcome, step.seconds, step.started - self.start))
        print("\n".join(out), flush=True)

    def side_by_side(self, steps):
        """Run steps on the workers, each on the first free worker that its resource allows."""

        def take():
            # With the condition held: the step this worker runs next, or None when it should stop.
            while True:
                if any(step.outcome == "FAILED" for step in steps) or all(step.taken for step in steps):
                    return None
                for step in steps:
                    if not step.taken and step.resource not in self.held:
                        step.taken = True
                        if step.resource:
                            self.held.add(step.resource)
                        return step
                self.condition.wait()

        def worker():
            while True:
                with self.condition:
                    step = take()
                if step is None:
                    return
                self.run(step, "PREPARED=1")
                with self.condition:
                    self.held.discard(step.resource)
                    self.condition.notify_all()

        workers = [threading.Thread(target=worker, daemon=True) for dummy in range(max(1, self.args.workers))]
        for thread in workers:
            thread.start()
        for thread in workers:
            thread.join()

    def summary(self, steps):
        wall = time.monotonic() - self.start
        ran = [step for step in steps if step.outcome]
        passed = sum(step.outcome == "passed" for step in ran)
        print("\nstep times (%d workers):" % self.args.workers)
        for step in sorted(ran, key=lambda item: item.started):
            print("  %-30s %-7s %5d s   from +%d s" % (step.name, step.outcome, step.seconds, step.started - self.start))
        not_run = [step.name for step in steps if not step.outcome]
        if not_run:
            print("  not run after the failure: %s" % " ".join(not_run))
        print("the steps' times add up to %d s; make test took %d s (%.1f min)"
              % (sum(step.seconds for step in ran), wall, wall / 60))
        print("steps: %d passed, %d failed" % (passed, len(ran) - passed))
        return 0 if passed == len(steps) else 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--logs", type=Path, required=True)
    parser.add_argument("--make", default="make")
    parser.add_argument("--first", action="append", default=[], help="a step to run alone, before the others")
    parser.add_argument("steps", nargs="+")
    args = parser.parse_args()
    args.logs.mkdir(parents=True, exist_ok=True)
    runner = Runner(args)
    first = [Step(name) for name in args.first]
    rest = [Step(spec) for spec in args.steps]
    for step in first:
        step.taken = True
        runner.run(step)
        if step.outcome != "passed":
            break
    else:
        runner.side_by_side(rest)
    return runner.summary(first + rest)


if __name__ == "__main__":
    sys.exit(main())
