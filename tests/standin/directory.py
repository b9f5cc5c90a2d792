"""The stand-in's data model: Imagicle users with their lock state, the API accounts and who sees whom.

Everything mutable sits behind one lock that the request journal shares, so that a reset of all state
is atomic and concurrent Lock/Unlock calls never interleave half-way.
"""

import base64
import binascii
import copy
import hmac
import json
import threading
from dataclasses import dataclass

# The only query-string filters Imagicle documents; the key names are case-sensitive.
FILTER_FIELDS = ("department",) + tuple(f"customField{n}" for n in range(1, 11))
USER_TEXT_FIELDS = ("username", "name") + FILTER_FIELDS
PERMISSIONS = ("admin", "complete_management", "department_manager", "none")
SEES_EVERYONE = ("admin", "complete_management")


class DataError(ValueError):
    """The data file does not describe a usable directory."""


@dataclass(frozen=True)
class Account:
    """A UCX Suite user that calls the API (HTTP Basic)."""

    username: str
    password: str
    permission: str
    department: str | None = None

    @property
    def may_use_phone_lock(self) -> bool:
        return self.permission != "none"

    def can_see(self, user: dict) -> bool:
        if self.permission in SEES_EVERYONE:
            return True
        if self.permission == "department_manager":
            return user["department"].casefold() == self.department.casefold()
        return False


def decode_basic(header: str | None) -> tuple[str, str] | None:
    """Return (username, password) from a Basic Authorization header, or None if absent or malformed.

    Credentials are UTF-8 (RFC 7617); only the username may not contain ':', so split on the first one.
    """
    if not header:
        return None
    scheme, dummy, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "basic" or not token:
        return None
    try:
        text = base64.b64decode(token, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    username, colon, password = text.partition(":")
    if not colon:
        return None
    return username, password


def matches(user: dict, filters: dict[str, str]) -> bool:
    """Every filter must equal the user's field, case-insensitively and otherwise exactly (no trimming)."""
    return all(user[key].casefold() == value.casefold() for key, value in filters.items())


def _check_user(user: object, position: int) -> dict:
    if not isinstance(user, dict):
        raise DataError(f"users[{position}] is not an object")
    for field in USER_TEXT_FIELDS:
        if not isinstance(user.get(field), str):
            raise DataError(f"users[{position}].{field} must be a string")
    if not isinstance(user.get("locked"), bool):
        raise DataError(f"users[{position}].locked must be true or false")
    # Keep only the known fields, in a fixed order, so the inspection API is predictable.
    return {**{field: user[field] for field in USER_TEXT_FIELDS}, "locked": user["locked"]}


def _check_account(entry: object, position: int) -> Account:
    if not isinstance(entry, dict):
        raise DataError(f"accounts[{position}] is not an object")
    username, password = entry.get("username"), entry.get("password")
    permission, department = entry.get("permission"), entry.get("department")
    if not isinstance(username, str) or not username or ":" in username:
        raise DataError(f"accounts[{position}].username must be a non-empty string without ':'")
    if not isinstance(password, str):
        raise DataError(f"accounts[{position}].password must be a string")
    if permission not in PERMISSIONS:
        raise DataError(f"accounts[{position}].permission must be one of {', '.join(PERMISSIONS)}")
    if permission == "department_manager" and not (isinstance(department, str) and department):
        raise DataError(f"accounts[{position}] is a department_manager without a department")
    return Account(username, password, permission, department if isinstance(department, str) else None)


class Directory:
    """Users and accounts; the users' lock state is the only thing that changes."""

    def __init__(self, data: dict, lock=None):
        if not isinstance(data, dict):
            raise DataError("the data must be an object with 'accounts' and 'users'")
        self.lock = lock if lock is not None else threading.RLock()
        self._initial = [_check_user(user, n) for n, user in enumerate(data.get("users", []))]
        usernames = [user["username"] for user in self._initial]
        if len(set(usernames)) != len(usernames):
            raise DataError("usernames must be unique")
        accounts = [_check_account(entry, n) for n, entry in enumerate(data.get("accounts", []))]
        self._accounts = {account.username: account for account in accounts}
        if len(self._accounts) != len(accounts):
            raise DataError("account usernames must be unique")
        self._users = copy.deepcopy(self._initial)

    @classmethod
    def load(cls, path, lock=None) -> "Directory":
        with open(path, encoding="utf-8") as handle:
            return cls(json.load(handle), lock)

    def authenticate(self, header: str | None) -> Account | None:
        """The account whose credentials the header carries, or None. Accounts never change: no lock needed."""
        credentials = decode_basic(header)
        if credentials is None:
            return None
        account = self._accounts.get(credentials[0])
        if account is None:
            return None
        if not hmac.compare_digest(account.password.encode("utf-8"), credentials[1].encode("utf-8")):
            return None
        return account

    def apply(self, account: Account, locked: bool, filters: dict[str, str]) -> tuple[int, int]:
        """Set the lock state of the matching users the account can see; return (matched, changed)."""
        matched = changed = 0
        with self.lock:
            for user in self._users:
                if account.can_see(user) and matches(user, filters):
                    matched += 1
                    if user["locked"] != locked:
                        user["locked"] = locked
                        changed += 1
        return matched, changed

    def phones(self) -> list[dict]:
        with self.lock:
            return copy.deepcopy(self._users)

    def reset(self) -> None:
        with self.lock:
            self._users = copy.deepcopy(self._initial)
