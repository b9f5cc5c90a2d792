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

* A special day replaces its date's hours (and opens a date that is not an office day, a closed date or a holiday);
  a closed date or a public holiday of the site's country has no open interval.
* A hold (``_holds``) is laid over all that: while it is in force the state is the hold's, whatever the calendar says.

A site here is what ``_sites.parse_site`` returns: ``zone``, ``weekly`` {weekday: (opens, closes)}, ``closed`` (sorted
inclusive date ranges), ``holidays``, ``special``, ``holds`` and the per-site memos ``_days``, ``_segments`` and ``_held``.
"""

from __future__ import annotations

import bisect
from datetime import date, datetime, timezone

from ansible_collections.imagicle.phonelock.plugins.plugin_utils._holds import boundaries, hold_at
from ansible_collections.imagicle.phonelock.plugins.plugin_utils._instant import parse_instant
from ansible_collections.imagicle.phonelock.plugins.plugin_utils._special_days import special_on

WEEKDAYS = ('mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun')
DAY_LABELS = tuple(day.capitalize() for day in WEEKDAYS)
# status() reports no next transition when none happens on this many local dates after the one judged.
HORIZON_DAYS = 400

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def clock_text(value):
    return value.strftime('%H:%M')


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
    """(opens ts, closes ts, why closed, hours label) of one local date; the ts are None when it has no open interval.
    A special day wins over the weekday, the closed dates and the holidays; closed dates over holidays."""
    cached = site._days.get(ordinal)  # pylint: disable=protected-access
    if cached is not None:
        return cached
    day = date.fromordinal(ordinal)
    weekday = day.weekday()
    special = special_on(site.special, day) if site.special else None
    hours = special[2:4] if special else site.weekly.get(weekday)
    index = bisect.bisect_right(site.closed, (day, date.max)) - 1
    holiday = site.holidays.reason(day) if site.holidays is not None and not special and hours is not None else None
    if hours is None:
        info = (None, None, 'closed: %s is not an office day' % DAY_LABELS[weekday], None)
    elif not special and index >= 0 and site.closed[index][0] <= day <= site.closed[index][1]:
        info = (None, None, 'closed: %s is a closed date' % day.isoformat(), None)
    elif holiday:
        info = (None, None, 'closed: %s' % holiday, None)
    else:
        label = '%s %s-%s' % (DAY_LABELS[weekday], clock_text(hours[0]), clock_text(hours[1]))
        if special:
            label += ', special day: %s' % special[4]
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
    hold = None
    if site.holds:
        segment, hold = _held_segment(site, segment, ts, ordinal)
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
        'hold': hold,
    }


def _held_flips_near(site, ts):
    """The flips (epoch second, state) of the held calendar after ts - 1 for HORIZON_DAYS and more, worked out once per stretch."""
    window = site._held.get('window')  # pylint: disable=protected-access
    if window is None or not window[0] <= ts <= window[1]:
        low, high = ts - 1, ts + (HORIZON_DAYS + 40) * 86400
        flips = list(_held_flips(site, low, high))
        # Valid for instants up to 40 days on: later ones still see HORIZON_DAYS of flips.
        window = site._held['window'] = (low, high - (HORIZON_DAYS + 2) * 86400, [flip[0] for flip in flips], flips)  # pylint: disable=protected-access
    return window


def _held_segment(site, segment, ts, ordinal):
    """The status segment with the site's holds over it, and the hold in force (a dict) or None."""
    hold = hold_at(site.holds, ts)
    dummy, dummy, times, flips = _held_flips_near(site, ts)
    index = bisect.bisect_right(times, ts)
    flip = flips[index] if index < len(flips) else None
    is_open = (hold.state == 'unlocked') if hold else segment[0]
    if flip is not None and datetime.fromtimestamp(flip[0], site.zone).toordinal() > ordinal + HORIZON_DAYS:
        flip = None
    reason = segment[1]
    shown = None
    if hold:
        until = 'with no end' if hold.end is None else 'until %s' % _label_ts(site, hold.end)
        reason = 'held %s %s: %s (%s)' % (hold.state, until, hold.reason, hold.where)
        shown = {'state': hold.state, 'reason': hold.reason, 'where': hold.where, 'site': hold.owner,
                 'from': None if hold.start is None else datetime.fromtimestamp(hold.start, site.zone).isoformat(),
                 'until': None if hold.end is None else datetime.fromtimestamp(hold.end, site.zone).isoformat()}
    if flip is None:
        return (is_open, reason, None, None, None), shown
    local = datetime.fromtimestamp(flip[0], site.zone)
    iso = local.isoformat(timespec='seconds')
    return (is_open, reason, iso, flip[1], _label(local, iso)), shown


def _label_ts(site, ts):
    local = datetime.fromtimestamp(ts, site.zone)
    return _label(local, local.isoformat(timespec='seconds'))


def _state_at(site, ts):
    """The state at epoch second ts: the hold's, else the calendar's."""
    hold = hold_at(site.holds, ts)
    if hold is not None:
        return hold.state
    return 'unlocked' if _open_interval(site, ts, datetime.fromtimestamp(ts, site.zone).toordinal()) is not None else 'locked'


def _held_flips(site, start_ts, end_ts):
    """(epoch second, state) where the state with the holds over the calendar changes, in (start_ts, end_ts]."""
    state = _state_at(site, start_ts)
    candidates = sorted(set([ts for ts, dummy in _calendar_flips(site, start_ts, end_ts)]
                            + [ts for ts in boundaries(site.holds) if start_ts < ts <= end_ts]))
    for ts in candidates:
        now = _state_at(site, ts)
        if now != state:
            state = now
            yield ts, now


def transitions(site, start, end):
    """Yield (aware local datetime, 'unlocked' or 'locked') for every change of state strictly after ``start`` and
    up to and including ``end``, in order, holds included. The state flips at these instants and nowhere else."""
    start_ts = (_aware(start) - _EPOCH).total_seconds()
    end_ts = (_aware(end) - _EPOCH).total_seconds()
    if end_ts <= start_ts:
        return
    flips = _held_flips(site, start_ts, end_ts) if site.holds else _calendar_flips(site, start_ts, end_ts)
    for ts, state in flips:
        yield datetime.fromtimestamp(ts, site.zone), state


def _calendar_flips(site, start_ts, end_ts):
    """(epoch second, state) of the calendar's changes in (start_ts, end_ts], holds left out."""
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
            yield from _run_flips(run, start_ts, end_ts)
        run = [opens, closes]
    if run is not None:
        yield from _run_flips(run, start_ts, end_ts)


def _run_flips(run, start_ts, end_ts):
    for ts, state in ((run[0], 'unlocked'), (run[1], 'locked')):
        if start_ts < ts <= end_ts:
            yield ts, state
