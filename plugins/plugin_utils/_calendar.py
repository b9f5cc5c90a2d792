# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The office calendar of a parsed site: is its office open at an instant, and when does that change.

Semantics:

* For a local date D that is an office day and not within a closed range, the office is open from the instant
  ``opens(D)`` (inclusive) to the instant ``closes(D)`` (exclusive). There are no overnight offices: opens < closes.
* A local wall-clock time becomes an instant as the first instant at which the site's clock shows that time or later:
  a time in a skipped hour (spring forward) happens when the clock jumps past it (02:30 on Europe/Rome's spring day
  is 03:00 CEST); a time in a repeated hour (fall back) happens at its first occurrence only, so it never happens twice.
  A day whose opening and closing both fall in the same skipped hour has no open interval.
* An instant is open when an interval of D-1, D or D+1 (D = its local date) contains it. So each office day has exactly
  one open interval, the state never flaps, and ``transitions()`` flips exactly where ``status()`` changes.

A site here is what ``_sites.parse_site`` returns: ``zone``, ``weekly`` {weekday: (opens, closes)}, ``closed`` (sorted
inclusive date ranges) and the per-site memos ``_days`` and ``_segments``.
"""

from __future__ import annotations

import bisect
import re
from datetime import date, datetime, timezone

WEEKDAYS = ('mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun')
DAY_LABELS = tuple(day.capitalize() for day in WEEKDAYS)
# status() reports no next transition when none happens on this many local dates after the one judged.
HORIZON_DAYS = 400

_INSTANT = re.compile(r'([0-9]{4}-[0-9]{2}-[0-9]{2})[Tt ]([0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?)'
                      r'(?:([Zz])|([+-][0-9]{2}):?([0-9]{2}))\Z')
_NAIVE = re.compile(r'[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?\Z')
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


class InstantError(ValueError):
    """The instant to judge at is not an aware date and time; the message names the variable and shows the form."""


def clock_text(value):
    return value.strftime('%H:%M')


def parse_instant(value, name='office_hours_now'):
    """The instant to evaluate at, as an aware UTC datetime: now for None or '', else an aware datetime or an
    ISO 8601 string with an offset or Z. A naive time is refused: it means different instants in different zones.
    ``name`` is what the messages call the value (the role's variable, or a filter's argument)."""
    if value is None or value == '':
        return datetime.now(timezone.utc)
    if isinstance(value, datetime):
        instant = value
    elif isinstance(value, str):
        match = _INSTANT.match(value.strip())
        if not match:
            if _NAIVE.match(value.strip()):
                raise InstantError('%s %r has no UTC offset, so it is ambiguous across time zones; add an offset such as Z or +01:00'
                                   % (name, value))
            raise InstantError('%s %r is not an ISO 8601 date and time with an offset, such as 2026-11-23T19:05:00+01:00 or '
                               '2026-11-23T18:05Z' % (name, value))
        day, clock, zulu, hours, minutes = match.groups()
        offset = '+00:00' if zulu else '%s:%s' % (hours, minutes)
        try:
            instant = datetime.fromisoformat('%sT%s%s' % (day, clock, offset))
        except ValueError:
            raise InstantError('%s %r is not a valid date and time (ISO 8601 with an offset, such as 2026-11-23T19:05:00+01:00)'
                               % (name, value)) from None
    else:
        shown = '%s (%s)' % (value, type(value).__name__)
        raise InstantError('%s must be an ISO 8601 date and time with an offset (such as 2026-11-23T19:05:00+01:00) or an aware '
                           'datetime, not %s' % (name, shown))
    if instant.utcoffset() is None:
        raise InstantError('%s %s has no UTC offset, so it is ambiguous across time zones; add an offset such as Z or +01:00'
                           % (name, instant.isoformat()))
    return instant.astimezone(timezone.utc)


def _wall_to_ts(zone, wall):
    """Epoch seconds of the first instant at which the clock of ``zone`` shows ``wall`` (naive) or a later time."""
    ts = int(wall.replace(tzinfo=zone).timestamp())  # fold=0: the first occurrence of a repeated time
    if datetime.fromtimestamp(ts, zone).replace(tzinfo=None) == wall:
        return ts
    # wall is skipped: fold=0 (offset before the jump) lands after the jump, fold=1 (offset after it) before it.
    # Look for the jump itself; tzdata changes happen on whole seconds.
    low, high = int(wall.replace(tzinfo=zone, fold=1).timestamp()), ts
    while high - low > 1:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, zone).replace(tzinfo=None) >= wall:
            high = middle
        else:
            low = middle
    return high


def _day(site, ordinal):
    """(opens ts, closes ts, why closed, hours label) of one local date; the ts are None when it has no open interval."""
    cached = site._days.get(ordinal)  # pylint: disable=protected-access
    if cached is not None:
        return cached
    day = date.fromordinal(ordinal)
    weekday = day.weekday()
    hours = site.weekly.get(weekday)
    index = bisect.bisect_right(site.closed, (day, date.max)) - 1
    if hours is None:
        info = (None, None, 'closed: %s is not an office day' % DAY_LABELS[weekday], None)
    elif index >= 0 and site.closed[index][0] <= day <= site.closed[index][1]:
        info = (None, None, 'closed: %s is a closed date' % day.isoformat(), None)
    else:
        label = '%s %s-%s' % (DAY_LABELS[weekday], clock_text(hours[0]), clock_text(hours[1]))
        opens = _wall_to_ts(site.zone, datetime.combine(day, hours[0]))
        closes = _wall_to_ts(site.zone, datetime.combine(day, hours[1]))
        if opens < closes:
            info = (opens, closes, None, label)
        else:
            info = (None, None, 'closed: the clock skips %s on %s' % (label, day.isoformat()), label)
    site._days[ordinal] = info  # pylint: disable=protected-access
    return info


def _open_interval(site, ts, ordinal):
    """The ordinal whose interval contains ts (ordinal = the local date of ts), or None."""
    days = site._days  # pylint: disable=protected-access
    for candidate in (ordinal, ordinal - 1, ordinal + 1):
        opens, closes = (days.get(candidate) or _day(site, candidate))[:2]
        if opens is not None and opens <= ts < closes:
            return candidate
    return None


def _closing_after(site, ordinal):
    """When the open run that contains the interval of ``ordinal`` ends: touching intervals of later days join it."""
    closes = _day(site, ordinal)[1]
    while True:
        ordinal += 1
        later = _day(site, ordinal)
        if later[0] is None or later[0] > closes:
            return closes
        closes = max(closes, later[1])


def _opening_after(site, ts, ordinal):
    """The first opening strictly after ts (whose local date is ``ordinal``) on the next HORIZON_DAYS dates, or None."""
    days = site._days  # pylint: disable=protected-access
    for candidate in range(ordinal - 1, ordinal + HORIZON_DAYS + 1):
        opens = (days.get(candidate) or _day(site, candidate))[0]
        if opens is not None and opens > ts:
            return opens
    return None


def _label(local, iso):
    # Built from the ISO text: strftime is several times slower, and %a depends on the locale.
    return '%s %s %s %s' % (DAY_LABELS[local.weekday()], iso[:10], iso[11:16], local.tzname())


def _aware(value):
    return value if isinstance(value, datetime) and value.utcoffset() is not None else parse_instant(value)


def _segment(site, ts, ordinal):
    """(open, reason, next transition, next state, next label) at ts, whose local date is ``ordinal``."""
    interval = _open_interval(site, ts, ordinal)
    if interval is not None:
        reason = 'open (%s)' % site._days[interval][3]  # pylint: disable=protected-access
        flip = _closing_after(site, interval)
    else:
        opens, dummy, reason, label = site._days[ordinal]  # pylint: disable=protected-access
        if reason is None:
            reason = 'closed: %s (%s)' % ('before opening' if ts < opens else 'after closing', label)
        flip = _opening_after(site, ts, ordinal)
    if flip is None:
        return interval is not None, reason, None, None, None
    local = datetime.fromtimestamp(flip, site.zone)
    iso = local.isoformat(timespec='seconds')
    return interval is not None, reason, iso, 'unlocked' if interval is None else 'locked', _label(local, iso)


# The UTC text of the last instant seen: a plan judges every site at the same instant.
_last_at = (None, None)


def status(site, instant):
    """The state of a site at an aware instant: open or not, why, and the next transition (see the module docstring)."""
    global _last_at  # pylint: disable=global-statement
    instant = _aware(instant)
    ts = instant.timestamp()
    local = instant.astimezone(site.zone)
    ordinal = local.toordinal()
    # Within one local date nothing but the clock changes between the openings and closings of the days around it,
    # so each stretch between them is worked out once.
    day = site._segments.get(ordinal)  # pylint: disable=protected-access
    if day is None:
        bounds = sorted(bound for near in (ordinal - 1, ordinal, ordinal + 1) for bound in _day(site, near)[:2] if bound is not None)
        day = site._segments[ordinal] = (bounds, {})  # pylint: disable=protected-access
    index = bisect.bisect_right(day[0], ts)
    segment = day[1].get(index)
    if segment is None:
        segment = day[1][index] = _segment(site, ts, ordinal)
    last_ts, at = _last_at
    if last_ts != ts:
        at = instant.astimezone(timezone.utc).isoformat(timespec='seconds')[:19] + 'Z'
        _last_at = (ts, at)
    iso = local.isoformat(timespec='seconds')
    return {
        'name': site.name,
        'timezone': site.timezone,
        'at': at,
        'local_time': iso,
        'local_label': _label(local, iso),
        'open': segment[0],
        'state': 'unlocked' if segment[0] else 'locked',
        'reason': segment[1],
        'next_transition': segment[2],
        'next_state': segment[3],
        'next_label': segment[4],
    }


def transitions(site, start, end):
    """Yield (aware local datetime, 'unlocked' or 'locked') for every change of state strictly after ``start`` and
    up to and including ``end``, in order. The state flips at these instants and nowhere else."""
    start_ts = (_aware(start) - _EPOCH).total_seconds()
    end_ts = (_aware(end) - _EPOCH).total_seconds()
    if end_ts <= start_ts:
        return
    first = datetime.fromtimestamp(start_ts, site.zone).toordinal() - 2
    last = datetime.fromtimestamp(end_ts, site.zone).toordinal() + 2
    run = None
    for ordinal in range(first, last + 1):
        opens, closes = _day(site, ordinal)[:2]
        if opens is None:
            continue
        if run is not None and opens <= run[1]:
            run[1] = max(run[1], closes)  # touching intervals are one open run: no flip between them
            continue
        if run is not None:
            yield from _run_flips(site, run, start_ts, end_ts)
        run = [opens, closes]
    if run is not None:
        yield from _run_flips(site, run, start_ts, end_ts)


def _run_flips(site, run, start_ts, end_ts):
    for ts, state in ((run[0], 'unlocked'), (run[1], 'locked')):
        if start_ts < ts <= end_ts:
            yield datetime.fromtimestamp(ts, site.zone), state
