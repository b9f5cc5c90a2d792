# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What the schedulers (systemd timers, AWX schedules) need of a site: its two weekly transitions and their local times,
and the dated transitions within a horizon that the weekly ones miss."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone

from ansible_collections.imagicle.phonelock.plugins.plugin_utils._calendar import transitions
from ansible_collections.imagicle.phonelock.plugins.plugin_utils._zones import is_repeated

# The first part of the name of every timer unit and AWX schedule: PREFIX-SITE-lock, PREFIX-SITE-unlock.
NAME_PREFIX = 'imagicle-phonelock'
# A unit name prefix: characters that need no escaping in a unit name, the same rule as a site name.
PREFIX_RE = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_.-]*$')
# systemd refuses unit names longer than this, suffix included.
UNIT_NAME_MAX = 255

# The two transitions of every office day, each run by a shipped playbook:
# (state from then on, short name, playbook, index of its time in Site.weekly's (opens, closes), description).
TRANSITIONS = (
    ('locked', 'lock', 'imagicle.phonelock.nightly_lock', 1, 'Lock the phones of site %s at closing time'),
    ('unlocked', 'unlock', 'imagicle.phonelock.morning_unlock', 0, 'Unlock the phones of site %s at opening time'),
)


def scheduled_transitions(site):
    """(state, short name, playbook, description, {weekday: time}) of each transition of the site, lock first.

    A parsed site has at least one office day, so every transition has times.
    """
    for state, transition, playbook, end, description in TRANSITIONS:
        yield state, transition, playbook, description % site.name, dict((day, hours[end]) for day, hours in site.weekly.items())


def group_by_time(times):
    """[(time, [weekdays])] for {weekday: time}: the days that share a time together, sorted, groups ordered by
    their first weekday."""
    by_time = {}
    for day, at in sorted(times.items()):
        by_time.setdefault(at, []).append(day)
    return sorted(by_time.items(), key=lambda item: item[1][0])


_DATE = re.compile(r'[0-9]{4}-[0-9]{2}-[0-9]{2}\Z')
# How far ahead the schedulers know the dated transitions (holidays, special days, holds) by default: a year and a day.
HORIZON_DAYS = 366
# The dates a horizon may start on.
START_FIRST, START_LAST = date(1970, 1, 2), date(8999, 12, 31)


def dated_transitions(site, first_day, last_day):
    """[(aware local datetime, state)] of the site's transitions on the local dates first_day..last_day (inclusive) that its
    weekly firings do not hit: a special day's other hours, a hold's start and end. A weekly firing hits a transition when
    its wall-clock time is the transition's on that weekday, at the time's first occurrence (as AWX and the role read a
    repeated hour). A holiday or closed date needs none: the weekly run on it finds the office closed and skips."""
    zone = site.zone
    start = datetime.combine(first_day, time(0)).replace(tzinfo=zone) - timedelta(seconds=1)
    end = datetime.combine(last_day + timedelta(days=1), time(0)).replace(tzinfo=zone) - timedelta(seconds=1)
    dated = []
    for local, state in transitions(site, start, end):
        hours = site.weekly.get(local.weekday())
        weekly = hours[1 if state == 'locked' else 0] if hours else None
        if weekly is None or local.fold or local.time() != weekly:
            dated.append((local, state))
    return dated


def horizon_last_day(first, days):
    """The last local date of a horizon of ``days`` days from ``first``, and before the same date a year later: the AWX
    schedules' yearly parts need that (each must have one occurrence), and the timers cover the same days."""
    if first.year >= 9999:
        return date.max - timedelta(days=7)
    try:
        anniversary = first.replace(year=first.year + 1)
    except ValueError:  # 29 February
        anniversary = date(first.year + 1, 3, 1)
    return min(first + timedelta(days=days), anniversary) - timedelta(days=1)


def horizon_days(value, name):
    """The horizon option: a whole number of days, 0 (no dated transitions) to 3660."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 3660:
        raise ValueError('%s: horizon must be a whole number of days from 0 to 3660 (default %d), not %r' % (name, HORIZON_DAYS, value))
    return value


def parse_start(value, name, bounded=False):
    """A local date option (YYYY-MM-DD or a YAML date) as a plain date; ValueError naming the option. ``bounded``: a
    horizon's first day, whose window must stay within the dates Python holds."""
    parsed = None
    if isinstance(value, date) and not isinstance(value, datetime):
        parsed = date(value.year, value.month, value.day)  # a plain date, whatever subclass YAML gave
    elif isinstance(value, str) and _DATE.match(value.strip()):
        try:
            parsed = date.fromisoformat(value.strip())
        except ValueError:
            pass
    if parsed is not None:
        # The horizon and its UTC window reach past the dates Python holds: no real calendar needs those.
        if bounded and not START_FIRST <= parsed <= START_LAST:
            raise ValueError('%s %s is out of range: give a date from %s to %s' % (name, parsed, START_FIRST, START_LAST))
        return parsed
    shown = repr(value) if isinstance(value, str) else '%s (%s)' % (value, type(value).__name__)
    raise ValueError('%s %s is not a date: use YYYY-MM-DD (for example 2026-11-30)' % (name, shown))


# systemd's weekday names, Monday first (date.weekday()).
SYSTEMD_WEEKDAYS = ('Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun')


def weekday_list(days):
    """systemd's normalized weekday list: runs of three or more days as ranges, '' for every day."""
    days = sorted(set(days))
    if len(days) == len(SYSTEMD_WEEKDAYS):
        return ''
    runs = []
    for day in days:
        if runs and runs[-1][-1] == day - 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    words = []
    for run in runs:
        if len(run) >= 3:
            words.append('%s..%s' % (SYSTEMD_WEEKDAYS[run[0]], SYSTEMD_WEEKDAYS[run[-1]]))
        else:
            words.extend(SYSTEMD_WEEKDAYS[day] for day in run)
    return ','.join(words)


def weekly_value(days, at, zone_name):
    """One weekly OnCalendar value, as systemd normalizes it: the weekdays (none for every day), HH:MM:SS and the zone."""
    return ' '.join(word for word in (weekday_list(days), '*-*-*', at, zone_name) if word)


def weekly_values(times, zone_name):
    """OnCalendar values for {weekday: time}: one per distinct time, ordered by their first weekday."""
    return [weekly_value(days, at.strftime('%H:%M:%S'), zone_name) for at, days in group_by_time(times)]


def dated_values(site, first_day, days):
    """[(state, OnCalendar value, aware local datetime)] of the site's dated transitions over ``days`` days from first_day
    (the AWX schedules' dated parts cover the same days). A wall-clock time that occurs twice that day (clocks going back)
    is written as its UTC instant: systemd reads a repeated local time as its first occurrence, which may be an hour early."""
    if not days:
        return []
    return [(state,
             local.astimezone(timezone.utc).strftime('%Y-%m-%d %H:%M:%S UTC') if is_repeated(local)
             else local.strftime('%Y-%m-%d %H:%M:%S ') + site.timezone,
             local)
            for local, state in dated_transitions(site, first_day, horizon_last_day(first_day, days))]
