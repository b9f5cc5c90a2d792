"""Start the stand-in server as a child process and wait until it listens: for the demo, the benchmark and its own tests.

The working directory is the given folder, never the repository: server.py must work when run by path from anywhere.
"""

import subprocess
import sys
import time
from pathlib import Path

SERVER = Path(__file__).resolve().parent / "server.py"


class StartError(RuntimeError):
    """The server exited, or did not listen in time; the message carries what it said."""


def start(workdir: Path, *options: str, timeout: float = 30.0):
    """Run server.py on a free port with its files in workdir (port, pid, server.log, stderr); return (process, port).

    The port file appears only once the socket listens, so the server is ready when this returns.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    port_file = workdir / "port"
    command = [sys.executable, str(SERVER), "--port", "0", "--port-file", str(port_file),
               "--pid-file", str(workdir / "pid"), "--log-file", str(workdir / "server.log"), *options]
    with open(workdir / "stderr", "wb") as stderr:
        process = subprocess.Popen(command, cwd=workdir, stdout=subprocess.DEVNULL, stderr=stderr)  # pylint: disable=consider-using-with
    deadline = time.monotonic() + timeout
    while not port_file.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            stop(process)
            log = workdir / "server.log"
            raise StartError(f"the stand-in server did not start: rc={process.poll()} {(workdir / 'stderr').read_text()}"
                             f"{log.read_text() if log.exists() else ''}")
        time.sleep(0.02)
    return process, int(port_file.read_text(encoding="ascii"))


def stop(process, timeout: float = 10.0):
    """SIGTERM the server (it shuts down cleanly and removes its port and pid files); kill it if it hangs."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
