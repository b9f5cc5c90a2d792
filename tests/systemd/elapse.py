# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""When a daily local time elapses, as the role README documents it; the test sites' times; the DST cases."""

import math
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

UTC = timezone.utc
DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
# One zone west of UTC and one with a non-whole-hour offset, as the test needs; the second of each pair serves
# when the first's local midnight falls between the two transitions (the sites' hours must not wrap).
WEST = ("America/New_York", "America/Chicago")
NON_WHOLE_HOUR = ("Asia/Kolkata", "Asia/Kathmandu")


def next_elapse(zone, hhmm, after):
    """The first instant after `after` at which the daily local time hhmm elapses in zone, by the documented rule.

    A time the spring change skips does not elapse that day; a time the autumn change repeats elapses once, at its
    first occurrence (fold 0).
    """
    tz = ZoneInfo(zone)
    hour, minute = map(int, hhmm.split(":"))
    day = after.astimezone(tz).date()
    for offset in range(9):
        local = datetime.combine(day + timedelta(days=offset), time(hour, minute), tzinfo=tz)
        exists = local.astimezone(UTC).astimezone(tz).replace(tzinfo=None) == local.replace(tzinfo=None)
        if exists and local > after:
            return local.astimezone(UTC)
    raise AssertionError(f"{hhmm} {zone} does not elapse within 9 days of {after}")


def iterations(zone, hhmm, base, count):
    """The first count instants a daily hhmm elapses in zone after base, as systemd-analyze prints them (UTC)."""
    found, instant = [], base
    while len(found) < count:
        instant = next_elapse(zone, hhmm, instant)
        found.append(instant.strftime("%a %Y-%m-%d %H:%M:%S UTC"))
    return found


def local_hhmm(instant, zone):
    return instant.astimezone(ZoneInfo(zone)).strftime("%H:%M")


def pick_zone(candidates, first, last):
    """The first zone in which first and last fall on one local date (an office's hours never cross midnight)."""
    for zone in candidates:
        tz = ZoneInfo(zone)
        if first.astimezone(tz).date() == last.astimezone(tz).date():
            return zone
    raise AssertionError(f"{first} and {last} cross local midnight in every one of {candidates}")


def transitions(now, lead):
    """Two whole minutes ahead of now (the first at least lead seconds away, the second a minute later) and the zones."""
    first = datetime.fromtimestamp(math.ceil((now.timestamp() + lead) / 60) * 60, UTC)
    second = first + timedelta(minutes=1)
    west, non_whole = pick_zone(WEST, first, second), pick_zone(NON_WHOLE_HOUR, first, second)
    assert first.astimezone(ZoneInfo(west)).utcoffset() < timedelta(0), west
    assert first.astimezone(ZoneInfo(non_whole)).utcoffset() % timedelta(hours=1), non_whole
    return first, second, west, non_whole


# The documented DST rule on each systemd: (what, zone, daily time, base instant). Each base is the noon (UTC) before a
# change, so the first iteration is on the change day. Spring: the skipped day is missing; autumn: the first occurrence.
DST_CASES = (
    ("spring, Rome (02:00-02:59 skipped)", "Europe/Rome", "02:30", "2026-03-28 12:00:00"),
    ("autumn, Rome (02:00-02:59 repeated)", "Europe/Rome", "02:30", "2026-10-24 12:00:00"),
    ("spring, New York", "America/New_York", "02:30", "2027-03-13 12:00:00"),
    ("spring, Santiago (00:00-00:59 skipped)", "America/Santiago", "00:30", "2026-09-05 12:00:00"),
    ("spring, Lord Howe (02:00-02:29 skipped)", "Australia/Lord_Howe", "02:15", "2026-10-03 12:00:00"),
)


def dst_expectations():
    """[(what, OnCalendar value, base, expected 3 iterations)], checked first against the rule they must exercise."""
    cases = []
    for what, zone, hhmm, base in DST_CASES:
        start = datetime.fromisoformat(base).replace(tzinfo=UTC)
        expected = iterations(zone, hhmm, start, 3)
        # A spring case must skip its change day (the day after base, locally); an autumn case must elapse on it.
        change_day = (start.astimezone(ZoneInfo(zone)) + timedelta(days=1)).date()
        skipped = next_elapse(zone, hhmm, start).astimezone(ZoneInfo(zone)).date() != change_day
        assert skipped == what.startswith("spring"), (what, expected)
        cases.append((what, f"*-*-* {hhmm}:00 {zone}", f"{base} UTC", expected))
    return cases
