"""The stand-in's request log and its queue of injected faults.

Both share the directory's lock (one lock for all server state, see directory.py).
"""

import math
from collections import deque
from dataclasses import asdict, dataclass

FAULT_KINDS = ("status", "delay", "reset", "empty", "redirect")
FAULT_KEYS = frozenset({"count", "kind", "status", "retry_after", "body", "content_type", "delay", "location", "match"})
MAX_FAULT_COUNT = 10_000
MAX_FAULT_DELAY = 300.0


class FaultError(ValueError):
    """A fault specification the stand-in cannot honour."""


@dataclass(frozen=True)
class Fault:  # pylint: disable=too-many-instance-attributes
    kind: str
    status: int | None = None
    retry_after: str | None = None
    body: str | None = None
    content_type: str | None = None
    delay: float = 0.0
    location: str | None = None
    match: dict | None = None

    def to_json(self) -> dict:
        return asdict(self)

    def applies_to(self, args: list) -> bool:
        """Whether a request with these decoded query pairs takes this fault: every pair of match is among them."""
        return self.match is None or all([key, value] in args for key, value in self.match.items())


def _number(spec: dict, key: str, default, bounds: tuple, integer: bool):
    low, high = bounds
    value = spec.get(key, default)
    # bool is an int subclass: reject it so that {"count": true} is not silently 1.
    valid_type = int if integer else (int, float)
    if value is None or isinstance(value, bool) or not isinstance(value, valid_type) or not math.isfinite(value):
        raise FaultError(f"{key} must be a {'whole ' if integer else ''}number")
    if not low <= value <= high:
        raise FaultError(f"{key} must be between {low} and {high}")
    return value


def _text(spec: dict, key: str) -> str | None:
    value = spec.get(key)
    if value is None or isinstance(value, str):
        return value
    raise FaultError(f"{key} must be a string")


# kind -> (default status, lowest, highest); a None default means the status is optional.
_STATUS_RULES = {"status": (503, 100, 599), "delay": (None, 100, 599), "redirect": (307, 300, 399)}


def _status(kind: str, spec: dict) -> int | None:
    if kind not in _STATUS_RULES:
        if "status" in spec:
            raise FaultError(f"a {kind} fault sends no status")
        return None
    default, low, high = _STATUS_RULES[kind]
    if default is None and "status" not in spec:
        return None
    return _number(spec, "status", default, (low, high), integer=True)


def _retry_after(spec: dict) -> str | None:
    value = spec.get("retry_after")
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return _text(spec, "retry_after")


def parse_fault(spec: object) -> tuple[int, Fault]:
    """Validate a POST /_standin/faults body; return (count, fault). Strict, so a typo in a test fails loudly."""
    if not isinstance(spec, dict):
        raise FaultError("the fault must be a JSON object")
    unknown = sorted(set(spec) - FAULT_KEYS)
    if unknown:
        raise FaultError(f"unknown fault keys: {', '.join(unknown)}")
    kind = spec.get("kind") or ("status" if "status" in spec else "delay" if "delay" in spec else None)
    if kind not in FAULT_KINDS:
        raise FaultError(f"kind must be one of {', '.join(FAULT_KINDS)}")
    if kind == "delay" and "delay" not in spec:
        raise FaultError("a delay fault needs delay (seconds)")
    count = _number(spec, "count", 1, (1, MAX_FAULT_COUNT), integer=True)
    delay = float(_number(spec, "delay", 0.0, (0.0, MAX_FAULT_DELAY), integer=False))
    status = _status(kind, spec)
    retry_after, body, content_type = _retry_after(spec), _text(spec, "body"), _text(spec, "content_type")
    if status is None and (retry_after, body, content_type) != (None, None, None):
        raise FaultError("retry_after, body and content_type need a status")
    location = _text(spec, "location")
    if (kind == "redirect") != bool(location):
        raise FaultError("a redirect fault needs a location, and only a redirect fault takes one")
    return count, Fault(kind, status, retry_after, body, content_type, delay, location, _match(spec))


def _match(spec: dict) -> dict | None:
    match = spec.get("match")
    if match is None:
        return None
    if not isinstance(match, dict) or not match or not all(isinstance(value, str) for value in match.values()):
        raise FaultError("match must be a non-empty object of query parameter names and decoded values (strings)")
    return dict(match)


class Journal:
    """Request log (one entry per non-inspection request) and FIFO fault queue."""

    def __init__(self, lock):
        # The directory's RLock, shared so that one lock guards all server state.
        self.lock = lock
        self._entries: list[dict] = []
        self._faults: deque[Fault] = deque()

    def record(self, entry: dict) -> dict:
        """Append a finished request; seq counts from 1 since the last clear, in order of completion."""
        with self.lock:
            entry = {"seq": len(self._entries) + 1, **entry}
            self._entries.append(entry)
            return entry

    def entries(self) -> list[dict]:
        with self.lock:
            return [dict(entry) for entry in self._entries]

    def clear_entries(self) -> None:
        with self.lock:
            self._entries.clear()

    def add_faults(self, count: int, fault: Fault) -> None:
        with self.lock:
            self._faults.extend([fault] * count)

    def next_fault(self, args: list) -> Fault | None:
        """Take the first queued fault that applies to a request with these decoded query pairs ([key, value] lists)."""
        with self.lock:
            for index, fault in enumerate(self._faults):
                if fault.applies_to(args):
                    del self._faults[index]
                    return fault
            return None

    def faults(self) -> list[dict]:
        with self.lock:
            return [fault.to_json() for fault in self._faults]

    def clear_faults(self) -> None:
        with self.lock:
            self._faults.clear()
