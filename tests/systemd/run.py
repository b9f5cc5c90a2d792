# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""make systemd: the office_hours timers under a real systemd, Debian 12 (systemd 252) and 13 (257) side by side.

Needs root, debootstrap, systemd-nspawn and nsenter (the Makefile installs the first two). README.md beside this file
says what is checked.
"""

import argparse
import os
import shutil
import signal
import sys
import threading
import time
import traceback
from pathlib import Path

import roots
import scenario
from checks import Failure
from container import ContainerError

PRINT_LOCK = threading.Lock()
STARTED = time.monotonic()


def say(release, text):
    """Print text, each line marked with its release and the seconds since the start."""
    with PRINT_LOCK:
        for line in str(text).splitlines() or [""]:
            print(f"[{release} {time.monotonic() - STARTED:5.1f}] {line}", flush=True)


def interrupt(signum, _frame):
    raise KeyboardInterrupt(f"signal {signum}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tarball", type=Path, required=True, help="the built collection")
    parser.add_argument("--cache", type=Path, required=True, help="where the Debian roots are kept between runs")
    parser.add_argument("--workdir", type=Path, required=True, help="the containers' copies, logs and consoles")
    parser.add_argument("--release", action="append", choices=sorted(roots.RELEASES), help="default: all")
    parser.add_argument("--fleet-release", default="bookworm", choices=[*sorted(roots.RELEASES), "none"],
                        help="the release whose container also takes the fleet part, after the rest (default: %(default)s)")
    parser.add_argument("--latest", action="store_true",
                        help="the roots' venvs from the ranges of requirements.txt, not the lock files (make test-latest)")
    parser.add_argument("--mirror", default=os.environ.get("DEBIAN_MIRROR") or roots.host_mirror(),
                        help="default: DEBIAN_MIRROR, else the Debian mirror the host's apt uses")
    args = parser.parse_args()
    if not args.mirror:
        sys.exit("ERROR: no Debian mirror in /etc/apt/sources.list.d/*.sources or /etc/apt/sources.list: give --mirror or DEBIAN_MIRROR")
    releases = args.release or list(roots.RELEASES)
    if os.geteuid() != 0:
        sys.exit("ERROR: make systemd needs root (debootstrap, systemd-nspawn, nsenter)")
    missing = [tool for tool in ("debootstrap", "systemd-nspawn", "nsenter") if not shutil.which(tool)]
    if missing:
        sys.exit(f"ERROR: {', '.join(missing)} not found: apt-get install debootstrap systemd-container util-linux")
    if not args.tarball.is_file():
        sys.exit(f"ERROR: no collection tarball at {args.tarball} (make build)")
    # SIGTERM (make killed, CI timeout) unwinds like Ctrl-C: every container is powered off, every stand-in stopped.
    signal.signal(signal.SIGTERM, interrupt)
    signal.signal(signal.SIGHUP, interrupt)

    cleanups, results = [], {}
    try:
        cached = roots.build_all(releases, args.cache.resolve(), args.mirror, say, args.latest)
        built = time.monotonic() - STARTED

        def one(release):
            try:
                results[release] = scenario.run(release, cached[release], args.tarball.resolve(),
                                                args.workdir.resolve() / release, lambda text: say(release, text), cleanups,
                                                with_fleet=release == args.fleet_release)
            except (Failure, ContainerError) as exc:
                results[release] = exc
            except Exception as exc:  # pylint: disable=broad-exception-caught
                results[release] = exc
                say(release, traceback.format_exc())

        threads = [threading.Thread(target=one, args=(release,), daemon=True) for release in releases]
        for thread in threads:
            thread.start()
        # Short joins, so that Ctrl-C and SIGTERM reach this thread while the containers run.
        while any(thread.is_alive() for thread in threads):
            for thread in threads:
                thread.join(0.2)
    except KeyboardInterrupt as exc:
        print(f"\nInterrupted ({exc}): powering the containers off and stopping the stand-ins", file=sys.stderr, flush=True)
        for cleanup in cleanups:
            try:
                cleanup()
            except Exception as error:  # pylint: disable=broad-exception-caught
                print(f"cleanup: {error}", file=sys.stderr)
        sys.exit(130)
    except roots.BuildError as exc:
        sys.exit(f"ERROR: building a Debian root: {exc}")

    print(f"\n===== make systemd: {time.monotonic() - STARTED:.0f} s (Debian roots ready after {built:.0f} s)")
    failed = 0
    for release in releases:
        outcome = results.get(release)
        if isinstance(outcome, dict):
            systemd, python, core = outcome["versions"]
            print(f"{release}: PASSED  systemd {systemd}, Python {python}, ansible-core {core}; {outcome['plan']}")
            for name, instant, delay, took in scenario.delays_table(outcome):
                print(f"    {name:<28} due {instant:%H:%M:%S} UTC, fired +{delay:.3f} s, service ran {took:.1f} s")
            fleet = outcome.get("fleet")
            if fleet is None:
                continue
            print(f"    fleet of {scenario.fleet.SERVERS} servers: installed in {fleet['install']:.1f} s, removed in {fleet['remove']:.1f} s")
            for transition in ("unlock", "lock"):
                unit, instant, delay, took = fleet[transition]
                print(f"    {unit.removeprefix(scenario.PREFIX + '-'):<28} due {instant:%H:%M:%S} UTC, fired +{delay:.3f} s, "
                      f"service ran {took:.1f} s")
        else:
            failed += 1
            print(f"{release}: FAILED  {outcome}")
    if failed:
        print(f"\nLogs, console and the container's root: {args.workdir}/RELEASE/", file=sys.stderr)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
