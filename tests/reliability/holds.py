# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Holds, end to end: generated site lists through the role's playbooks against the stand-in, judged by an oracle.

Hypothesis draws site lists of 2 to 7 sites over the stand-in's users: nested selections (a site refining another by
one more filter), overlapping ones (a department against a city), equal ones but for case or the API's spelling of a
key; holds in office_hours_defaults, in broader and in nested sites, locked and unlocked, in force at the instant
judged or not, with and without an end, their instants at assorted UTC offsets; and one bad value in a site now and
then (a date that does not exist, a null or numeric filter, an unknown key, a weekday, a zone, absurd instants such as
9999-12-31T23:00:00-14:00). Each list runs two or three times through imagicle.phonelock.reconcile, morning_unlock or
nightly_lock, forced or limited now and then, from a known start (every phone locked, unlocked, or the data file's
state), sometimes with one fault queued on one selection's request (400 once, 500 once, 503 past the retries) or a
wrong password.

The oracle reads the site list itself, from the invariants of the issue (roles/office_hours/README.md, "Holds"), and
imports nothing of the collection. After every run it judges the stand-in's phones and request log:

* I1: a phone of a site held locked now (own hold or a company-wide one) that was locked stays locked; no Unlock that
  could reach a held selection is sent (two selections could reach the same phones unless a filter they share differs,
  ignoring case), except the broader Unlock of I3; a run that withholds an overlapping site fails; a Lock that a site
  held in no way demands is sent where it overlaps a site held unlocked (unlocked holds are not mirrored).
* I2: a company-wide or emergency (no end) locked hold in force leaves every phone of the sites it holds locked, after
  a reconcile or a nightly lock that acts on the site, whatever other holds there are.
* I3: after an Unlock of a selection in which a held-locked selection nests, the next request is a Lock that covers
  the held one, or the broader selection is locked again later; either way the held phones end locked.
* I4: I1 and I2 for a site that is not valid for some other reason: its holds bind where they can be read, and where
  they cannot (a hold's state or instants unreadable, a filter unreadable), no Unlock that could reach it is sent.
* I5: no bad value in a site fails the run anywhere but in the role's final "N of M sites failed" task.
* I6: at most office_hours_concurrency (default 4) answers 401 per run.
* most_specific: a phone no held, invalid or conflicting site can reach ends in the state of the most specific site
  that the run applies (nested sites follow their broader site), or as it was when the run applies none of them.

Every run also writes the role's status and metrics files (office_hours_status_path, office_hours_metrics_path; the
runs of one site list share them, so a run reads the previous one's status, as the timers do): each run must write
the metrics afresh, the metrics must parse (prometheus_client's parser, when installed), and common.find_secrets scans them
with the run's stdout and stderr for the password (and, in a wrong-password run, for the wrong one), after a
self-check that it flags a fake status and metrics file holding the password.

Writes .build/reliability/holds.json (with the first violations, their site list and run) and exits 1 on any
violation or secret found. Run by hand after make install: .venv/tools/bin/python tests/reliability/holds.py [--examples N] [--seed S]
"""

import argparse
import json
import re
import sys
import tempfile
import time
from collections import Counter, defaultdict, namedtuple
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import requests
from hypothesis import HealthCheck, Phase, given, seed, settings, strategies as st
from hypothesis.configuration import set_hypothesis_home_dir

import common

set_hypothesis_home_dir(common.ROOT / ".cache" / "hypothesis")

SUITE = "holds"
PLAYBOOKS = {"reconcile": "auto", "morning_unlock": "unlocked", "nightly_lock": "locked"}
DEFAULT_CONCURRENCY = 4  # the phones module's, which the role keeps when office_hours_concurrency is unset
# City zones at UTC all year: local time is the instant's UTC time (the role refuses UTC and Etc/ names).
ZONES = ("Africa/Abidjan", "Atlantic/Reykjavik")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# Filter values that exist in tests/standin/data/users.json, so that every selection holds phones.
VALUES = {"custom_field1": ("Milano", "Roma", "New York"), "department": ("Sales", "R&D", "Support"),
          "custom_field4": ("Reception", "Employee")}
API_NAMES = dict([("department", "department")] + [(f"custom_field{number}", f"customField{number}") for number in range(1, 11)])
OPTIONS = dict([(option, option) for option in API_NAMES] + [(api, option) for option, api in API_NAMES.items()])
SITE_KEYS = ("name", "timezone", "selections", "days", "opens", "closes", "hours", "closed_dates", "holidays", "special_days", "holds")
HOLD_KEYS = ("state", "from", "until", "reason")
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*\Z")
CLOCK = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])\Z")
INSTANT = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})([+-])([0-9]{2}):([0-9]{2})\Z")
UNKNOWN = "unknown"  # an instant that cannot be read
# Instants a datetime holds (years 1 to 9999 in UTC): one outside, such as 9999-12-31T23:00:00-14:00, is well formed and
# read here, but a role may as well take it for unreadable, so nothing is asserted that depends on which.
REPRESENTABLE = (-62135596800, 253402300799)


def utc(day, hour, month=12, year=2026):
    return int(datetime(year, month, day, hour, tzinfo=timezone.utc).timestamp())


# The instants judged (a Monday at 10:00 and 20:00, a Saturday at 10:00 UTC), each written at another offset.
NOWS = ("2026-12-07T10:00:00+00:00", "2026-12-07T21:00:00+01:00", "2026-12-12T15:30:00+05:30")
# Hold periods (from, until; None: open): none starts or ends within half an hour of an instant judged.
WINDOWS = ((utc(7, 9), None), (None, utc(7, 12)), (utc(7, 15), utc(8, 9)), (utc(12, 8), utc(13, 8)), (utc(1, 0), utc(31, 0)),
           (utc(4, 8, 1, 2027), None), (None, None), (utc(2, 8, 11), utc(3, 8, 11)))
OFFSETS = (0, 60, -300, 330, -210, 840, -720)
WRONG_PASSWORD = "Adm1n:Wr0ng€2020"
FAULTS = {"400": {"status": 400, "body": '{"error": "injected by holds.py"}', "content_type": "application/json"},
          "500": {"status": 500, "retry_after": 0},
          "503": {"status": 503, "retry_after": 0, "count": 4}}  # the module's 3 retries, all refused
PERTURBATIONS = ("closed date 2026-02-30", "null filter", "number filter", "list filter", "empty filter", "selections not a list",
                 "unknown filter key", "unknown site key", "misspelt zone", "zone a number", "bad weekday", "opens a number",
                 "overnight hours", "name clash", "hold until 9999-12-31T23:00:00-14:00", "hold from 0001-01-01T00:00:00+14:00",
                 "hold on 2026-02-30", "hold without offset", "hold state frozen", "hold without reason", "hold from a number",
                 "holds not a list", "hold that ends before it starts")
INVARIANTS = ("I1", "I2", "I3", "I4", "I5", "I6", "most_specific")


# ---------------------------------------------------------------------------------------------------------------------
# The generator

def instant(ts, offset):
    return datetime.fromtimestamp(ts, timezone(timedelta(minutes=offset))).isoformat()


@st.composite
def holds(draw):
    start, end = draw(st.sampled_from(WINDOWS))
    offset = draw(st.sampled_from(OFFSETS))
    hold = {"state": draw(st.sampled_from(("locked", "locked", "unlocked"))), "reason": f"INC-{draw(st.integers(1000, 9999))}"}
    if start is not None:
        hold["from"] = instant(start, offset)
    if end is not None:
        hold["until"] = instant(end, offset)
    return hold


def written(draw, filters):
    """A selection as people write it: custom fields under the API's name or the option's, values in another case."""
    selection = {}
    for key, value in filters.items():
        name = draw(st.sampled_from((key, API_NAMES[key]))) if key != "department" else key
        selection[name] = draw(st.sampled_from((value, value, value.upper(), value.lower())))
    return selection


def selection_filters(draw, drawn):
    """Canonical filters for one more selection: a fresh one, one refining an earlier selection, or an earlier one again."""
    how = draw(st.sampled_from(("fresh", "refine", "refine", "same"))) if drawn else "fresh"
    base = draw(st.sampled_from(drawn)) if how != "fresh" else {}
    missing = [key for key in VALUES if key not in base]
    if how == "same":
        return dict(base)
    if how == "refine" and missing:
        key = draw(st.sampled_from(missing))
        return dict(base, **{key: draw(st.sampled_from(VALUES[key]))})
    keys = draw(st.lists(st.sampled_from(sorted(VALUES)), min_size=1, max_size=2, unique=True))
    return dict((key, draw(st.sampled_from(VALUES[key]))) for key in keys)


def perturb(kind, site, other):
    """The site with one bad value of the given kind (other: another site, for a name clash)."""
    site = json.loads(json.dumps(site))
    # An earlier bad value may have left the selections a dictionary: then that is the selection to spoil.
    first = site["selections"][0] if isinstance(site["selections"], list) else site["selections"]
    key = next(iter(first))
    spare = next((name for name in VALUES if name not in [OPTIONS.get(given, given) for given in first]), None)
    bad_holds = {
        "hold until 9999-12-31T23:00:00-14:00": {"state": "locked", "from": "2026-12-01T00:00:00+00:00", "until": "9999-12-31T23:00:00-14:00"},
        "hold from 0001-01-01T00:00:00+14:00": {"state": "locked", "from": "0001-01-01T00:00:00+14:00"},
        "hold on 2026-02-30": {"state": "locked", "from": "2026-02-30T10:00:00+00:00"},
        "hold without offset": {"state": "locked", "from": "2026-12-07T09:00:00"},
        "hold state frozen": {"state": "frozen", "from": "2026-12-07T09:00:00+00:00"},
        "hold from a number": {"state": "locked", "from": 20261207},
        "hold that ends before it starts": {"state": "locked", "from": "2026-12-07T12:00:00+00:00", "until": "2026-12-07T09:00:00+00:00"},
    }
    changes = {
        "closed date 2026-02-30": {"closed_dates": ["2026-02-30"]}, "unknown site key": {"notes": "reception moved"},
        "misspelt zone": {"timezone": "Africa/Abidjam"}, "zone a number": {"timezone": 0}, "bad weekday": {"days": ["mon", "funday"]},
        "opens a number": {"opens": 1080}, "overnight hours": {"opens": "20:00", "closes": "06:00"},
        "name clash": {"name": other["name"].upper()}, "selections not a list": {"selections": first},
        "holds not a list": {"holds": {"state": "locked", "reason": "INC-1"}},
    }
    if kind in changes:
        site.update(changes[kind])
    elif kind in bad_holds:
        site["holds"] = [dict(bad_holds[kind], reason="INC-2")] + list(site.get("holds") or [])
    elif kind == "hold without reason":
        site["holds"] = [{"state": "locked", "from": "2026-12-07T09:00:00+00:00"}] + list(site.get("holds") or [])
    elif kind == "unknown filter key":
        first["dept"] = "Sales"
    else:
        first[spare or key] = {"null filter": None, "number filter": 100, "list filter": [first[key]], "empty filter": ""}[kind]
    return site


@st.composite
def runs(draw, names):
    playbook = draw(st.sampled_from(tuple(PLAYBOOKS)))
    run = {"playbook": playbook, "now": draw(st.sampled_from(NOWS)), "force": playbook != "reconcile" and draw(st.integers(0, 3)) == 3,
           "limit": None, "concurrency": draw(st.sampled_from((None, None, 1, 2))),
           "trouble": draw(st.sampled_from((None,) * 6 + tuple(FAULTS) + ("password",))), "pick": draw(st.integers(0, 99)),
           "start": draw(st.sampled_from(("locked", "locked", "data", "unlocked")))}
    if names and draw(st.integers(0, 2)) == 2:
        chosen = [draw(st.sampled_from((name, name.upper()))) for name in draw(st.lists(st.sampled_from(names), min_size=1, max_size=2, unique=True))]
        run["limit"] = chosen if draw(st.booleans()) else ",".join(chosen)
    return run


@st.composite
def cases(draw):
    """A site list, office_hours_defaults, and the runs to make with them."""
    drawn, sites = [], []
    for number in range(draw(st.integers(2, 7))):
        selections = []
        for dummy in range(draw(st.sampled_from((1, 1, 1, 2)))):
            filters = selection_filters(draw, drawn)
            drawn.append(filters)
            selections.append(written(draw, filters))
        site = {"name": f"site{number}", "timezone": draw(st.sampled_from(ZONES)), "selections": selections}
        days = draw(st.sampled_from((None, WEEKDAYS[:5], WEEKDAYS)))
        hours = draw(st.sampled_from((None, ("08:00", "18:00"), ("12:00", "19:00"), ("06:00", "09:00"))))
        if days:
            site["days"] = list(days)
        if hours:
            site["opens"], site["closes"] = hours
        if draw(st.integers(0, 5)) == 5:
            site["closed_dates"] = [draw(st.sampled_from(("2026-12-07", "2026-12-12..2026-12-13", "2026-12-24")))]
        site_holds = draw(st.lists(holds(), max_size=2)) if draw(st.booleans()) else []
        if site_holds:
            site["holds"] = site_holds
        sites.append(site)
    sites = list(draw(st.permutations(sites)))
    clashing = set()
    for dummy in range(draw(st.sampled_from((0, 0, 1, 1, 2)))):
        number, other = draw(st.integers(0, len(sites) - 1)), draw(st.integers(0, len(sites) - 2))
        other += other >= number
        kind = draw(st.sampled_from(PERTURBATIONS))
        if kind == "name clash":
            clashing |= {sites[other]["name"].casefold()}
        sites[number] = perturb(kind, sites[number], sites[other])
    defaults = {"holds": draw(st.lists(holds(), min_size=1, max_size=2))} if draw(st.integers(0, 3)) == 3 else {}
    names = sorted(site["name"] for site in sites if isinstance(site["name"], str) and site["name"].casefold() not in clashing)
    return {"sites": sites, "defaults": defaults,
            "runs": draw(st.lists(runs(names), min_size=2, max_size=3, unique_by=lambda run: json.dumps(run, sort_keys=True)))}


def generate(count, fixed_seed):
    """count distinct cases, the same ones on every run with the same seed; no example database, no shrinking.

    Hypothesis starts from the smallest cases and varies them little from one to the next: draw six times as many and
    keep evenly spaced ones past the first (the smallest), so that a few cases already cover much of the space."""
    found = {}
    if count < 1:
        return []

    @seed(fixed_seed)
    @settings(max_examples=count * 6, database=None, deadline=None, phases=[Phase.generate], suppress_health_check=list(HealthCheck),
              print_blob=False)
    @given(cases())
    def collect(case):
        found.setdefault(json.dumps(case, sort_keys=True), case)

    collect()  # pylint: disable=no-value-for-parameter
    drawn = list(found.values())
    return [drawn[(number + 1) * len(drawn) // (count + 1)] for number in range(min(count, len(drawn)))]


def fixed_cases():
    """One case per invariant (two for I1), run before the generated ones, so that even a few examples exercise each of them."""
    def site(name, selection, **more):
        return dict({"name": name, "timezone": ZONES[0], "selections": [selection], "days": list(WEEKDAYS)}, **more)

    def run(playbook="reconcile", **more):
        return [dict({"playbook": playbook, "now": NOWS[0], "force": False, "limit": None, "concurrency": None, "trouble": None,
                      "pick": 0, "start": "locked"}, **more)]

    emergency = {"state": "locked", "from": "2026-12-07T09:00:00+00:00", "reason": "toll fraud INC-4711"}
    inventory = {"state": "unlocked", "from": "2026-12-01T00:00:00+00:00", "until": "2026-12-31T00:00:00+00:00", "reason": "inventory"}
    return [
        # I1: a department held locked, a city to unlock that shares phones with it without nesting.
        {"sites": [site("sales", {"department": "Sales"}, holds=[emergency]), site("milano", {"custom_field1": "Milano"})],
         "defaults": {}, "runs": run()},
        # I2: a company-wide emergency lock, a site held unlocked for an inventory: locked wins.
        {"sites": [site("roma", {"custom_field1": "Roma"}, holds=[inventory]), site("sydney", {"customField1": "Sydney"})],
         "defaults": {"holds": [emergency]}, "runs": run(start="unlocked")},
        # I3: the reception held locked inside an office to unlock, its Lock refused past the retries; a second office first.
        {"sites": [site("milano", {"custom_field1": "Milano"}), site("roma", {"custom_field1": "Roma"}),
                   site("milano-reception", {"custom_field1": "Milano", "custom_field4": "Reception"}, holds=[emergency])],
         "defaults": {}, "runs": run(concurrency=1, trouble="503", pick=1)},
        # I4: a held site that is not valid (a closed date that does not exist), nested in an office to unlock.
        {"sites": [site("roma", {"custom_field1": "Roma"}),
                   site("roma-sales", {"custom_field1": "Roma", "department": "Sales"}, holds=[emergency], closed_dates=["2026-02-30"])],
         "defaults": {}, "runs": run()},
        # I1, unlocked holds are not mirrored: a department to lock overlaps a city held unlocked; its Lock is sent.
        {"sites": [site("roma", {"custom_field1": "Roma"}, holds=[inventory]), site("sales", {"department": "Sales"}, opens="12:00")],
         "defaults": {}, "runs": run()},
        # I5: an absurd but well-formed instant.
        {"sites": [site("roma", {"custom_field1": "Roma"}, holds=[dict(emergency, until="9999-12-31T23:00:00-14:00")]),
                   site("milano", {"custom_field1": "Milano"})], "defaults": {}, "runs": run()},
        # I6: a wrong password with a lock and an unlock to send, one request at a time.
        {"sites": [site("roma", {"custom_field1": "Roma"}), site("milano", {"custom_field1": "Milano"}, opens="12:00")],
         "defaults": {}, "runs": run(trouble="password", concurrency=1)},
    ]


# ---------------------------------------------------------------------------------------------------------------------
# The oracle: the site list as the invariants read it. Nothing here comes from the collection.

Hold = namedtuple("Hold", "state start end valid")  # state None: unreadable; start/end None: open, UNKNOWN: unreadable
Site = namedtuple("Site", "where name valid calendar selections holds")  # selections: [(filters, exact)]


def epoch(text):
    """Epoch seconds of an ISO 8601 instant with an offset, in integers (year 9999 at -14:00 is just a large number)."""
    match = INSTANT.match(text) if isinstance(text, str) else None
    if not match:
        return UNKNOWN
    year, month, day, hour, minute, second, sign, off_hours, off_minutes = match.groups()
    try:
        days = date(int(year), int(month), int(day)).toordinal() - date(1970, 1, 1).toordinal()
    except ValueError:
        return UNKNOWN
    if int(hour) > 23 or int(minute) > 59 or int(second) > 59 or int(off_hours) > 23 or int(off_minutes) > 59:
        return UNKNOWN
    offset = (int(off_hours) * 60 + int(off_minutes)) * (1 if sign == "+" else -1)
    return days * 86400 + int(hour) * 3600 + int(minute) * 60 + int(second) - offset * 60


def read_hold(raw):
    if not isinstance(raw, dict):
        return Hold(None, UNKNOWN, UNKNOWN, False)
    state = raw.get("state") if raw.get("state") in ("locked", "unlocked") else None
    start, end = (None if raw.get(key) is None else epoch(raw[key]) for key in ("from", "until"))
    readable = state is not None and UNKNOWN not in (start, end)
    valid = (readable and set(raw) <= set(HOLD_KEYS) and isinstance(raw.get("reason"), str) and bool(raw["reason"].strip())
             and all(ts is None or (ts % 60 == 0 and REPRESENTABLE[0] <= ts <= REPRESENTABLE[1]) for ts in (start, end))
             and (start is None or end is None or start < end))
    return Hold(state, start, end, valid)


def read_holds(value):
    if value is None:
        return []
    return [read_hold(item) for item in value] if isinstance(value, list) else [Hold(None, UNKNOWN, UNKNOWN, False)]


def in_force(hold, now):
    """True or False, or None when its instants cannot be read."""
    if UNKNOWN in (hold.start, hold.end):
        return None
    return (hold.start is None or hold.start <= now) and (hold.end is None or now < hold.end)


def binds_locked(hold, now):
    """Whether the hold forbids an Unlock now: locked and in force, or where it cannot be read, possibly so."""
    return hold.state != "unlocked" and in_force(hold, now) is not False


def surely_locked(hold, now):
    return hold.state == "locked" and in_force(hold, now) is True


def read_selection(raw):
    """(filters, exact): the readable filters as (option, case-folded value) pairs. Without an unreadable filter the
    selection reaches more phones, so for what must not be unlocked it is the safe side; exact says none was left out."""
    if not isinstance(raw, dict) or not raw:
        return frozenset(), False
    pairs = frozenset((OPTIONS[key], value.casefold()) for key, value in raw.items()
                      if key in OPTIONS and isinstance(value, str) and value.strip())
    return pairs, len(pairs) == len(raw)


def clock(value):
    match = CLOCK.match(value) if isinstance(value, str) else None
    return int(match.group(1)) * 60 + int(match.group(2)) if match else None


def day_of(text):
    try:
        return date.fromisoformat(text) if isinstance(text, str) and re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text) else None
    except ValueError:
        return None


def read_calendar(raw):
    """(office weekdays, opens, closes in minutes, closed dates), or None when any of them cannot be read."""
    days = raw.get("days", list(WEEKDAYS[:5]))
    opens, closes = clock(raw.get("opens", "08:00")), clock(raw.get("closes", "18:00"))
    dates = raw.get("closed_dates", [])
    if raw.get("timezone") not in ZONES or not isinstance(days, list) or not days or not set(days) <= set(WEEKDAYS) or len(set(days)) < len(days):
        return None
    if opens is None or closes is None or opens >= closes or not isinstance(dates, list):
        return None
    closed = set()
    for item in dates:
        first, dummy, last = item.partition("..") if isinstance(item, str) else ("", "", "")
        first, last = day_of(first), day_of(last or first)
        if first is None or last is None or last < first:
            return None
        closed |= {first + timedelta(days=number) for number in range((last - first).days + 1)}
    return frozenset(WEEKDAYS.index(day) for day in days), opens, closes, frozenset(closed)


def calendar_state(calendar, now):
    days, opens, closes, closed = calendar
    moment = datetime.fromtimestamp(now, timezone.utc)
    is_open = moment.weekday() in days and moment.date() not in closed and opens <= moment.hour * 60 + moment.minute < closes
    return "unlocked" if is_open else "locked"


def read_sites(raw_sites):
    names = Counter(raw["name"].casefold() for raw in raw_sites if isinstance(raw.get("name"), str))
    sites = []
    for index, raw in enumerate(raw_sites):
        name = raw.get("name") if isinstance(raw.get("name"), str) else None
        calendar = read_calendar(raw)
        selections = ([read_selection(item) for item in raw["selections"]] if isinstance(raw.get("selections"), list) and raw["selections"]
                      else [(frozenset(), False)])
        site_holds = read_holds(raw.get("holds"))
        valid = (name is not None and bool(NAME.match(name)) and names[name.casefold()] == 1 and set(raw) <= set(SITE_KEYS)
                 and calendar is not None and all(exact for dummy, exact in selections) and all(hold.valid for hold in site_holds))
        sites.append(Site(f"office_hours_sites[{index}] ({name})", name, valid, calendar, selections, site_holds))
    return sites


def reach(first, second):
    """Whether some phone could match both selections: no filter they share has different values."""
    one, other = dict(first), dict(second)
    return all(one[key] == other[key] for key in one.keys() & other.keys())


def matches(filters, phone):
    return all(phone[API_NAMES[key]].casefold() == value for key, value in filters)


def sent_filters(entry):
    return frozenset((OPTIONS.get(key, key), value.casefold()) for key, value in entry["args"])


def is_request(entry, action):
    return entry["path"].lower().endswith("/" + action.lower())


def show(filters):
    return "{%s}" % ", ".join(f"{key}: {value}" for key, value in sorted(filters)) if filters else "{every phone}"


Holder = namedtuple("Holder", "site filters exact label sure")


def holders_of(sites, defaults, now):
    """Every selection held locked now (or possibly so, where a hold cannot be read), with the invariant that guards it."""
    found = []
    for number, site in enumerate(sites):
        own = [hold for hold in site.holds if binds_locked(hold, now)]
        company = [hold for hold in defaults if binds_locked(hold, now)]
        if not own and not company:
            continue
        label = "I4" if not site.valid else "I1" if own else "I2"
        readable = all(hold.state is not None and in_force(hold, now) is not None for hold in own + company)
        found += [Holder(number, filters, exact, label, readable and exact) for filters, exact in site.selections]
    return found


def judge(case, run, outcome):
    """{invariant: [what broke it]} for one run."""
    sites, defaults, now = read_sites(case["sites"]), read_holds(case["defaults"].get("holds")), epoch(run["now"])
    start, end, phones, log = outcome["start"], outcome["end"], outcome["phones"], sorted(outcome["log"], key=lambda entry: entry["seq"])
    found = defaultdict(list)
    holders = holders_of(sites, defaults, now)
    limit = [name.strip().casefold() for name in (run["limit"].split(",") if isinstance(run["limit"], str) else run["limit"] or [])]
    in_scope = [not limit or (site.name or "").casefold() in limit for site in sites]
    requested = PLAYBOOKS[run["playbook"]]
    # One 500 is retried, so the run must end as without it; a run that crashed (I5) applied nothing, which says no more.
    clean = run["trouble"] in (None, "500") and not outcome["crash"]

    def members(filters):
        return [phone["username"] for phone in phones if matches(filters, phone)]

    # I1 and I4 (I2 for a company-wide hold): held phones that were locked stay locked.
    for holder in holders:
        broken = [user for user in members(holder.filters) if start[user] and not end[user]] if holder.exact else []
        if broken:
            found[holder.label].append(f"{sites[holder.site].where} is held locked, yet {len(broken)} of its phones that were locked "
                                       f"ended unlocked, e.g. {broken[:3]}")
    # No Unlock reaches a held selection, but for the broader Unlock of I3, which the held Lock must follow.
    for index, entry in enumerate(log):
        if not is_request(entry, "Unlock"):
            continue
        sent = sent_filters(entry)
        for holder in holders:
            if not reach(sent, holder.filters):
                continue
            if not (holder.sure and sent < holder.filters):
                found[holder.label].append(f"Unlock {show(sent)} (request {entry['seq']}, HTTP {entry['status']}) could reach "
                                           f"{show(holder.filters)} of {sites[holder.site].where}, held locked")
                continue
            if entry["status"] != 200:
                continue
            after = log[index + 1:]
            following = []
            for later in after:
                if not is_request(later, "Lock"):
                    break
                following.append(later)
            relocked = any(sent_filters(later) <= holder.filters for later in following)
            rolled_back = any(is_request(later, "Lock") and later["status"] == 200 and sent_filters(later) <= sent for later in after)
            # I3, or I4 when the held site is not valid: its hold binds all the same.
            label = "I4" if holder.label == "I4" else "I3"
            if not (relocked or rolled_back):
                next_one = after[0]["path"].rsplit("/", 1)[-1] + " " + show(sent_filters(after[0])) if after else "none"
                found[label].append(f"Unlock {show(sent)} (request {entry['seq']}) unlocked the held {show(holder.filters)} of "
                                    f"{sites[holder.site].where}, and the next request, {next_one}, did not lock it again, nor did "
                                    "a later Lock of the broader selection")
            left = [user for user in members(holder.filters) if not end[user]]
            if left:
                found[label].append(f"after Unlock {show(sent)} (request {entry['seq']}), {len(left)} phones of the held "
                                    f"{show(holder.filters)} of {sites[holder.site].where} ended unlocked, e.g. {left[:3]}")
    # I2 (I4 for a site that is not valid): a company-wide or emergency lock in force locks the sites the run acts on.
    doubtful = [holder for holder in holders if not holder.sure]
    if clean and requested in ("auto", "locked"):
        company = any(surely_locked(hold, now) for hold in defaults)
        for number, site in enumerate(sites):
            emergency = any(surely_locked(hold, now) and hold.end is None for hold in site.holds)
            if not in_scope[number] or not (company or emergency) or not all(hold.valid for hold in site.holds):
                continue
            for filters, exact in site.selections:
                if not exact or any(reach(filters, other.filters) for other in doubtful if other.site != number):
                    continue
                left = [user for user in members(filters) if not end[user]]
                if left:
                    found["I2" if site.valid else "I4"].append(
                        f"{site.where} is held locked by {'a company-wide hold' if company else 'an emergency hold (no end)'} and the "
                        f"{run['playbook']} run acts on it, yet {len(left)} phones of {show(filters)} ended unlocked, e.g. {left[:3]}")
    # A site held in no way, applied to unlock, that overlaps a held one without nesting is withheld: the run fails.
    special = [number for number, site in enumerate(sites)
               if not site.valid or any(in_force(hold, now) is not False for hold in site.holds)]
    if any(in_force(hold, now) is not False for hold in defaults):
        special = list(range(len(sites)))
    for number, site in enumerate(sites):
        if outcome["rc"] != 0 or number in special or not in_scope[number] or run["trouble"] == "password":
            continue
        own = calendar_state(site.calendar, now)
        if not ((requested == "auto" and own == "unlocked") or (requested == "unlocked" and (own == "unlocked" or run["force"]))):
            continue
        for filters, dummy in site.selections:
            held = [holder for holder in holders if holder.sure and holder.site != number and reach(filters, holder.filters)
                    and not filters <= holder.filters and not holder.filters <= filters]
            inherits = all(any(holder.filters < mine for holder in holders) for mine, dummy in site.selections)
            if held and not inherits:
                found["I1"].append(f"{site.where} unlocks {show(filters)}, which overlaps {show(held[0].filters)} of "
                                   f"{sites[held[0].site].where}, held locked, without nesting: it must be withheld and the run fail, "
                                   "yet the run succeeded")
    # I5: nothing fails but the role's final task.
    # Unlocked holds are not mirrored: a site held in no way that a run locks sends its Lock, also where it overlaps a
    # site held unlocked (where it overlaps nothing held, most_specific judges it).
    if clean and not any(in_force(hold, now) is not False for hold in defaults):
        unlocked_sites = [number for number in special if sites[number].valid and not any(binds_locked(hold, now) for hold in sites[number].holds)
                          and any(hold.state == "unlocked" and in_force(hold, now) for hold in sites[number].holds)]
        open_held = [filters for number in unlocked_sites for filters, dummy in sites[number].selections]
        others = [filters for number in special if number not in unlocked_sites for filters, dummy in sites[number].selections]
        for number, site in enumerate(sites):
            if number in special or not in_scope[number]:
                continue
            own = calendar_state(site.calendar, now)
            mine = [filters for filters, dummy in site.selections]
            if not ((requested == "auto" and own == "locked") or (requested == "locked" and (own == "locked" or run["force"]))):
                continue
            if (not any(reach(filters, held) for filters in mine for held in open_held) or any(reach(filters, other) for filters in mine for other in others)
                    or any(held <= filters for filters in mine for held in open_held)
                    or any(reach(filters, theirs) and not (filters < theirs or theirs < filters) and calendar_state(sites[other].calendar, now) != own
                           for filters in mine for other in range(len(sites)) if other != number and other not in special
                           for theirs, dummy in sites[other].selections)):
                continue
            locks = [sent_filters(entry) for entry in log if is_request(entry, "Lock") and entry["status"] == 200]
            missing = [filters for filters in mine if filters not in locks]
            if missing:
                found["I1"].append(f"{site.where} demands locked and overlaps a site held unlocked, but its Lock {show(missing[0])} was not "
                                   "sent: unlocked holds are not mirrored")
    # The defaults' holds are well formed, so a failure that names them is I2's: overlapping holds are not an error.
    if outcome["crash"]:
        found["I2" if "office_hours_defaults" in outcome["crash"] else "I5"].append(outcome["crash"])
    # I6: after a 401, nothing more than the requests already in flight.
    refused = sum(entry["status"] == 401 for entry in log)
    if refused > (run["concurrency"] or DEFAULT_CONCURRENCY):
        found["I6"].append(f"{refused} answers 401 in one run, concurrency {run['concurrency'] or DEFAULT_CONCURRENCY}")
    if clean:
        outcome["checked"] = most_specific(sites, special, run, in_scope, now, outcome, found)
    return found


def most_specific(sites, special, run, in_scope, now, outcome, found):
    """Phones no special site can reach end in their most specific applied site's state; returns how many were judged."""
    requested, checked = PLAYBOOKS[run["playbook"]], 0
    special_filters = [filters for number in special for filters, dummy in sites[number].selections]
    plain = [number for number in range(len(sites)) if number not in special]
    states = dict((number, calendar_state(sites[number].calendar, now)) for number in plain)

    def conflicted(number):
        mine = sites[number].selections[0][0]
        return any(reach(mine, theirs) and not (mine < theirs or theirs < mine) and states[other] != states[number]
                   for other in plain if other != number for theirs, dummy in sites[other].selections)

    for phone in outcome["phones"]:
        user = phone["username"]
        reaching = [number for number, site in enumerate(sites) if any(matches(filters, phone) for filters, dummy in site.selections)]
        if any(number in special or len(sites[number].selections) != 1 for number in reaching):
            continue
        chain = sorted(reaching, key=lambda number: len(sites[number].selections[0][0]))
        selections = [sites[number].selections[0][0] for number in chain]
        if any(not outer < inner for outer, inner in zip(selections, selections[1:])):
            continue
        if any(reach(mine, theirs) for mine in selections for theirs in special_filters) or any(conflicted(number) for number in chain):
            continue
        applied = any(in_scope[number] and (requested in ("auto", states[number]) or run["force"]) for number in chain)
        if not applied:
            expected = outcome["start"][user]
        elif run["force"] and requested != "auto":
            expected = requested == "locked"
        else:
            expected = states[chain[-1]] == "locked"
        checked += 1
        if outcome["end"][user] != expected:
            why = f"most specific site {sites[chain[-1]].where}" if applied else "no site applied, so as it was"
            found["most_specific"].append(f"phone {user} ended {'locked' if outcome['end'][user] else 'unlocked'}, expected "
                                          f"{'locked' if expected else 'unlocked'} ({why}; sites reaching it: "
                                          f"{[sites[number].name for number in chain]})")
    return checked


# ---------------------------------------------------------------------------------------------------------------------
# Running

FATAL = re.compile(r"(?:fatal|failed): \[[^\]]*\]: FAILED! => (.*)\Z")
ROLE_FAILED = re.compile(r"[0-9]+ of [0-9]+ sites? failed")


def crash_of(done):
    """What failed the run other than the role's final task, or None."""
    lines = done.stdout.splitlines()
    for number, line in enumerate(lines):
        match = FATAL.match(line.strip())
        if not match or next((text.strip() for text in lines[number + 1:] if text.strip()), "") == "...ignoring":
            continue
        try:
            message = str(json.loads(match.group(1)).get("msg", ""))
        except ValueError:
            message = match.group(1)
        if not ROLE_FAILED.match(message):
            return message[:400]
    if done.returncode not in (0, 2):
        return f"ansible-playbook exited {done.returncode}: {(done.stderr or done.stdout).strip()[-400:]}"
    return None


def fault_match(case, pick):
    """The filters of the request to fault, as the module sends them: a held site's selection one time in two."""
    candidates, held = [], []
    for site in case["sites"]:
        for selection in site["selections"] if isinstance(site.get("selections"), list) else []:
            if isinstance(selection, dict) and selection and all(key in OPTIONS and isinstance(value, str) and value for key, value in selection.items()):
                match = dict((API_NAMES[OPTIONS[key]], value) for key, value in selection.items())
                candidates.append(match)
                if site.get("holds"):
                    held.append(match)
    pool = held if held and pick % 2 else candidates
    return pool[pick // 2 % len(pool)] if pool else None


def run_once(standin, workdir, case, run, files):
    """One run from a known start; what the stand-in holds and logged after it, and the texts to scan for secrets (its
    output, its status and metrics files: files, the pair of paths of the site list's runs)."""
    standin.reset()
    if run["start"] != "data":
        reply = requests.put(f"{standin.url}{common.API_PATH}{'Lock' if run['start'] == 'locked' else 'Unlock'}", timeout=30,
                             auth=(common.USERNAME.encode(), common.PASSWORD.encode()))
        reply.raise_for_status()
        standin.inspect("DELETE", "requests")
    start = dict((phone["username"], phone["locked"]) for phone in standin.phones())
    if run["trouble"] in FAULTS and fault_match(case, run["pick"]):
        standin.fault(match=fault_match(case, run["pick"]), **FAULTS[run["trouble"]])
    status, metrics = files
    extravars = {"office_hours_sites": case["sites"], "office_hours_now": run["now"], "office_hours_status_path": str(status),
                 "office_hours_metrics_path": str(metrics)}
    for key, value in (("defaults", case["defaults"]), ("force", run["force"]), ("limit", run["limit"]), ("concurrency", run["concurrency"])):
        if value:
            extravars[f"office_hours_{key}"] = value
    path = Path(workdir) / "extravars.json"
    path.write_text(json.dumps(extravars, ensure_ascii=False), encoding="utf-8")
    env = common.credentials_env(standin)
    if run["trouble"] == "password":
        env["IMAGICLE_PASSWORD"] = WRONG_PASSWORD
    # The status stays, for the run to read as the previous one; the metrics go, so that a run that writes none shows
    # (the role writes both together, and may leave a status file alone when it would not change).
    metrics.unlink(missing_ok=True)
    done = common.run_playbook(f"imagicle.phonelock.{run['playbook']}", "-e", f"@{path}", env=env)
    phones = standin.phones()
    texts, missing = common.monitoring_files(status, metrics)
    texts.update({"stdout": done.stdout, "stderr": done.stderr})
    return {"rc": done.returncode, "crash": crash_of(done), "start": start, "phones": phones, "log": standin.log(),
            "end": dict((phone["username"], phone["locked"]) for phone in phones), "texts": texts, "missing": missing}


def scan(outcome, run, figures):
    """Add one run's secrets scan, and the check of its status and metrics files, to the figures; return its problems."""
    texts = outcome["texts"]
    leaks = common.find_secrets(texts)
    if run["trouble"] == "password":
        # The wrong password is a secret too: the role masks whatever password the run was given.
        leaks.update(common.find_secrets(texts, {"wrong password": WRONG_PASSWORD, "wrong password, JSON-escaped": json.dumps(WRONG_PASSWORD)[1:-1]}))
    files = [source for source in texts if source.startswith(("status file ", "metrics file "))]
    problems = list(outcome["missing"])
    if common.metrics_parser():
        for source in files:
            if source.startswith("metrics file "):
                found, dummy = common.metrics_problems(texts[source], source)
                problems += found
                figures["metrics_files_parsed"] += 1
    figures["status_metrics_files_scanned"] += len(files)
    figures["secret_sources_scanned"] += len(texts)
    figures["secrets_found"] += sum(leaks.values())
    problems += [f"{source}: {form} x{count}" for (source, form), count in sorted(leaks.items())]
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--examples", type=int, default=6, help="site lists to generate, 2 or 3 runs each (default 6; make reliability: 40)")
    parser.add_argument("--seed", type=int, default=20261207, help="the generator's seed: the same site lists and runs every time")
    options = parser.parse_args()
    started = time.monotonic()
    generated = fixed_cases() + generate(options.examples, options.seed)
    figures = {"site_lists": len(generated), "site_lists_fixed": len(fixed_cases()), "runs": 0, "faults_injected": 0,
               "wrong_password_runs": 0, "unlocks_sent": 0, "phones_judged_most_specific": 0, "violations": 0,
               "violations_by_invariant": dict.fromkeys(INVARIANTS, 0), "examples": [],
               "status_metrics_files_scanned": 0, "metrics_files_parsed": 0 if common.metrics_parser() else "skipped: no prometheus_client",
               "secret_sources_scanned": 0, "secrets_found": 0, "monitoring_problems": []}
    if not common.metrics_parser():
        print("holds: prometheus_client is not installed in this Python: the metrics files are scanned but not parsed", flush=True)
    with tempfile.TemporaryDirectory(prefix="holds-") as workdir, common.StandIn(Path(workdir) / "standin") as standin:
        figures["scan_self_check_problems"] = common.monitoring_scan_self_check(workdir)
        for number, case in enumerate(generated):
            files = common.monitoring_paths(workdir, f"list-{number}")
            for run in case["runs"]:
                outcome = run_once(standin, workdir, case, run, files)
                found = judge(case, run, outcome)
                monitoring = scan(outcome, run, figures)
                figures["monitoring_problems"] += [f"list {number + 1}, {run['playbook']} at {run['now']}: {problem}"
                                                   for problem in monitoring][:max(0, 10 - len(figures["monitoring_problems"]))]
                figures["runs"] += 1
                figures["faults_injected"] += sum(entry["fault"] is not None for entry in outcome["log"])
                figures["wrong_password_runs"] += run["trouble"] == "password"
                figures["unlocks_sent"] += sum(is_request(entry, "Unlock") for entry in outcome["log"])
                figures["phones_judged_most_specific"] += outcome.get("checked", 0)
                for invariant in INVARIANTS:
                    if not found.get(invariant):
                        continue
                    figures["violations"] += 1
                    figures["violations_by_invariant"][invariant] += 1
                    # The first violation of each invariant, then the next few of any.
                    if figures["violations_by_invariant"][invariant] == 1 or len(figures["examples"]) < 10:
                        figures["examples"].append({"invariant": invariant, "what": found[invariant][:3], "site_list": case["sites"],
                                                    "office_hours_defaults": case["defaults"], "run": run, "rc": outcome["rc"]})
                print(f"holds: list {number + 1}/{len(generated)}, {len(case['sites'])} sites: {run['playbook']} at {run['now']}"
                      f"{' forced' if run['force'] else ''}{' limit %s' % run['limit'] if run['limit'] else ''}"
                      f"{' (%s)' % run['trouble'] if run['trouble'] else ''}: rc {outcome['rc']}, "
                      f"{', '.join(invariant for invariant in INVARIANTS if found.get(invariant)) or 'held'}"
                      f"{'; status/metrics: ' + '; '.join(monitoring[:2]) if monitoring else ''}", flush=True)
    figures["seconds"] = round(time.monotonic() - started, 1)
    common.write_figures(SUITE, figures)
    problems = [f"{invariant}: {count} run(s) broke it" for invariant, count in figures["violations_by_invariant"].items() if count]
    problems += figures["scan_self_check_problems"] + figures["monitoring_problems"]
    return common.report(problems, f"{figures['runs']} runs of {figures['site_lists']} generated site lists, "
                                   f"{figures['faults_injected']} faults injected: every invariant held; secrets: "
                                   f"{figures['secrets_found']} found in {figures['secret_sources_scanned']} sources (status/metrics "
                                   f"files scanned: {figures['status_metrics_files_scanned']}, metrics parsed: {figures['metrics_files_parsed']})")


if __name__ == "__main__":
    sys.exit(main())
