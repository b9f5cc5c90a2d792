"""The stand-in's count of the TCP connections it accepted, for GET /_standin/connections.

A client that keeps its connections alive opens few of them (one per request in flight at once); one that does not
opens one per request. The counts share the directory's lock (one lock for all server state, see directory.py), so
that POST /_standin/reset clears them together with the rest.
"""

COUNTERS = ("accepted", "tls_handshakes", "tls_handshake_failures", "idle_timeouts", "closed_by_fault")


class ConnectionStats:
    """Counters since the last reset, plus how many connections are open now (never reset: it is a gauge)."""

    def __init__(self, lock):
        self.lock = lock
        self._numbered = 0  # every connection's number, from 1 since the server started: never reset
        self._open = 0
        self._counts = dict.fromkeys(COUNTERS, 0)
        self._api: set[int] = set()  # the connections that carried an API request since the last reset

    def opened(self) -> int:
        """A connection was accepted; return its number."""
        with self.lock:
            self._numbered += 1
            self._open += 1
            self._counts["accepted"] += 1
            return self._numbered

    def closed(self) -> None:
        with self.lock:
            self._open -= 1

    def count(self, name: str) -> None:
        with self.lock:
            self._counts[name] += 1

    def carried_api_request(self, number: int) -> None:
        """Connection ``number`` carried a request to a non-inspection path."""
        with self.lock:
            self._api.add(number)

    def snapshot(self) -> dict:
        with self.lock:
            return {**self._counts, "api_connections": len(self._api), "open": self._open}

    def reset(self) -> None:
        with self.lock:
            self._counts = dict.fromkeys(COUNTERS, 0)
            self._api.clear()
