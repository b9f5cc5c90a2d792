"""Many concurrent clients: every call is atomic, the counts add up and the log misses nothing."""

import random
import threading
from collections import Counter

from standin_client import ADMIN, RND_MANAGER, USERS

THREADS = 20
CALLS = 20


def test_concurrent_lock_and_unlock_stay_consistent(standin):
    initially_locked = sum(user["locked"] for user in USERS)
    results, errors = [], []
    start = threading.Barrier(THREADS)

    def client(number):
        rng = random.Random(number)
        start.wait()
        for dummy in range(CALLS):
            action = rng.choice(["Lock", "Unlock"])
            try:
                response = standin.api(action)
                assert response.status_code == 200, response.text
                results.append(response.json())
            except Exception as error:  # pylint: disable=broad-exception-caught  # reported below, not lost in a thread
                errors.append(repr(error))

    threads = [threading.Thread(target=client, args=(number,)) for number in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    assert len(results) == THREADS * CALLS

    # Each call acts on all 300 users at once, so after the first call every user has the same state: any
    # 'changed' other than 0 or 300 (or the first call's 292/8) would mean two calls interleaved.
    assert {result["matched"] for result in results} == {len(USERS)}
    assert {result["changed"] for result in results} <= {0, len(USERS), len(USERS) - initially_locked, initially_locked}
    net = sum(result["changed"] * (1 if result["action"] == "Lock" else -1) for result in results)
    final_locked = sum(phone["locked"] for phone in standin.phones())
    assert final_locked in (0, len(USERS))
    assert final_locked - initially_locked == net

    log = standin.log()
    assert sorted(entry["seq"] for entry in log) == list(range(1, THREADS * CALLS + 1))
    assert Counter(entry["status"] for entry in log) == {200: THREADS * CALLS}
    assert {entry["user"] for entry in log} == {ADMIN[0]}


def test_concurrent_managers_and_faults(standin):
    # Faults are shared by all clients: exactly that many requests get one, whatever the interleaving.
    standin.fault(kind="status", status=503, count=15)
    statuses = []

    def client():
        for dummy in range(10):
            statuses.append(standin.api("Lock", account=RND_MANAGER).status_code)

    threads = [threading.Thread(target=client) for dummy in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert Counter(statuses) == {503: 15, 200: THREADS * 10 - 15}
    rnd = {user["username"] for user in USERS if user["department"].casefold() == "r&d"}
    assert {phone["username"] for phone in standin.phones() if phone["locked"]} == rnd | {user["username"] for user in USERS if user["locked"]}
