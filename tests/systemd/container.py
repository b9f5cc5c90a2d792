# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Boot a Debian root with systemd-nspawn, run commands inside it with nsenter, and always power it off."""

import os
import signal
import subprocess
import time
from pathlib import Path

# Every command inside starts from this environment, never from the host's (make exports ANSIBLE_* paths of the host).
# TZ=UTC makes systemctl and systemd-analyze print instants in UTC; LANG a UTF-8 locale for ansible-playbook.
INSIDE_ENV = {"PATH": "/opt/phonelock/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
              "HOME": "/root", "TZ": "UTC", "LANG": "C.UTF-8"}


class ContainerError(RuntimeError):
    """A command inside failed, or the container did not boot; the message says what it printed."""


def container_init(pid):
    """The PID (as the host sees it) of the container's PID 1 among pid's children, else None.

    systemd-nspawn forks more than one child while it sets the container up: the init is the child that is PID 1
    in its own PID namespace (the last NSpid field of its status is 1).
    """
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            status = Path(f"/proc/{entry}/status").read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        parent, nspid = fields.get("PPid", "").split(), fields.get("NSpid", "").split()
        if parent == [str(pid)] and len(nspid) > 1 and nspid[-1] == "1":
            return int(entry)
    return None


class Container:
    """One booted container: systemd-nspawn -b --register=no (no machined on these hosts), driven with nsenter."""

    def __init__(self, root: Path, name: str, console_log: Path):
        self.root = root
        self.name = name
        self.console_log = console_log
        self.process = None
        self.leader = None

    def boot(self, timeout=120.0):
        """Start systemd as the container's PID 1 and wait until it says the system is up."""
        with open(self.console_log, "wb") as console:
            # Its own session: a Ctrl-C on the terminal reaches this script, which powers the container off in order.
            self.process = subprocess.Popen(  # pylint: disable=consider-using-with
                ["systemd-nspawn", "--quiet", "-D", str(self.root), "-b", "--register=no", "--keep-unit",
                 "-M", self.name, "--console=read-only"],
                stdin=subprocess.DEVNULL, stdout=console, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while self.leader is None:
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise ContainerError(f"{self.name}: systemd-nspawn exited or did not start systemd "
                                     f"(rc={self.process.poll()}):\n{self.console_tail()}")
            self.leader = container_init(self.process.pid)
            time.sleep(0.05)
        state = said = ""
        while time.monotonic() < deadline:
            # Before systemd listens, systemctl fails at once: ask again.
            result = self.run(["systemctl", "is-system-running", "--wait"], check=False,
                              timeout=max(1.0, deadline - time.monotonic()))
            state, said = result.stdout.strip(), result.stderr.strip()
            if state in ("running", "degraded"):
                break
            time.sleep(0.2)
        if state == "degraded":
            failed = self.run(["systemctl", "--failed", "--no-legend", "--plain"], check=False).stdout
            print(f"[{self.name}] booted degraded; failed units (not ours):\n{failed}", flush=True)
        elif state != "running":
            raise ContainerError(f"{self.name}: systemd did not finish booting in {timeout:.0f} s "
                                 f"(is-system-running: {state!r} {said}):\n{self.console_tail()}")

    def run(self, argv, check=True, timeout=120.0, env=None):
        """Run argv inside every namespace of the container, with INSIDE_ENV; return the CompletedProcess."""
        if self.leader is None:
            raise ContainerError(f"{self.name} is not running")
        environment = [f"{key}={value}" for key, value in {**INSIDE_ENV, **(env or {})}.items()]
        try:
            result = subprocess.run(["nsenter", "-t", str(self.leader), "-a", "env", "-i", *environment, *argv],
                                    capture_output=True, text=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired as exc:
            raise ContainerError(f"{self.name}: {' '.join(argv)} did not finish in {timeout:.0f} s") from exc
        if check and result.returncode != 0:
            raise ContainerError(f"{self.name}: {' '.join(argv)} exited {result.returncode}:\n"
                                 f"{result.stdout}{result.stderr}")
        return result

    def path(self, inside: str) -> Path:
        """A path inside the running container, as the host sees it (through PID 1's root)."""
        return Path(f"/proc/{self.leader}/root") / inside.lstrip("/")

    def console_tail(self, lines=30):
        """The last lines systemd printed on the container's console."""
        try:
            return "\n".join(self.console_log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no console log)"

    def poweroff(self, timeout=30.0):
        """Power the container off: systemctl poweroff, then SIGTERM to nspawn (a clean poweroff too), then SIGKILL.

        Safe to call at any point, also twice; returns how it ended.
        """
        if self.process is None or self.process.poll() is not None:
            return "not running"
        if self.leader is not None:
            try:
                self.run(["systemctl", "poweroff"], check=False, timeout=10)
            except ContainerError:
                pass
        try:
            self.process.wait(timeout)
            return "powered off"
        except subprocess.TimeoutExpired:
            pass
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
            return "stopped by SIGTERM to systemd-nspawn"
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
            return "killed"
