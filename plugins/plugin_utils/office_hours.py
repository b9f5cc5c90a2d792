# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Office hours of a site: when its phones should be unlocked (office open) and when locked.

A site has an IANA time zone, office days, opening and closing times (per weekday if needed) and closed dates,
all judged in the site's own local calendar.

Semantics:

* For a local date D that is an office day and not within a closed range, the office is open from the instant
  ``opens(D)`` (inclusive) to the instant ``closes(D)`` (exclusive). There are no overnight offices: opens < closes.
* A local wall-clock time becomes an instant as the first instant at which the site's clock shows that time or later:
  a time in a skipped hour (spring forward) happens when the clock jumps past it (02:30 on Europe/Rome's spring day
  is 03:00 CEST); a time in a repeated hour (fall back) happens at its first occurrence only, so it never happens twice.
  A day whose opening and closing both fall in the same skipped hour has no open interval.
* An instant is open when an interval of D-1, D or D+1 (D = its local date) contains it. So each office day has exactly
  one open interval, the state never flaps, and ``transitions()`` flips exactly where ``status()`` changes.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WEEKDAYS = ('mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun')
DAY_LABELS = tuple(day.capitalize() for day in WEEKDAYS)
# status() reports no next transition when none happens on this many local dates after the one judged.
HORIZON_DAYS = 400

SITE_KEYS = ('name', 'timezone', 'selections', 'days', 'opens', 'closes', 'hours', 'closed_dates')
DEFAULT_KEYS = ('days', 'opens', 'closes', 'closed_dates')
BUILTIN_DEFAULTS = {'days': list(WEEKDAYS[:5]), 'opens': '08:00', 'closes': '18:00', 'closed_dates': []}

_NAME = re.compile(r'[A-Za-z0-9][A-Za-z0-9_.-]*\Z')
_NAME_RULE = "letters, digits, '_', '.' and '-', starting with a letter or digit (it becomes part of systemd unit names)"
_ZONE = re.compile(r'[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*\Z')
# Valid for ZoneInfo on most systems, but not a place: the host's zone, tzdata internals, leap-second variants.
_NOT_ZONES = ('localtime', 'posixrules', 'Factory')
_CLOCK = re.compile(r'([01][0-9]|2[0-3]):([0-5][0-9])\Z')
_DATE = re.compile(r'[0-9]{4}-[0-9]{2}-[0-9]{2}\Z')
_INSTANT = re.compile(r'([0-9]{4}-[0-9]{2}-[0-9]{2})[Tt ]([0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?)'
                      r'(?:([Zz])|([+-][0-9]{2}):?([0-9]{2}))\Z')
_DAYS_TEXT = 'mon, tue, wed, thu, fri, sat or sun'
_SELECTIONS_TEXT = 'a non-empty list of filter dictionaries such as {department: Sales, custom_field1: Milano}'
_DATES_TEXT = 'dates (YYYY-MM-DD) or inclusive ranges (YYYY-MM-DD..YYYY-MM-DD)'
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


class SiteError(ValueError):
    """A site, its defaults or an instant is not valid; the message names the site and the key and says what is accepted."""


@dataclass(frozen=True)
class Site:
    """One parsed site. ``weekly`` maps office weekdays (0 = Monday) to (opens, closes); ``closed`` holds sorted,
    merged inclusive (first, last) date ranges."""

    name: str
    timezone: str
    zone: ZoneInfo
    selections: tuple
    weekly: dict
    closed: tuple

    def __post_init__(self):
        # Per-site memos (the day calendar, each local date's segments); not fields, so not in eq, hash or repr.
        object.__setattr__(self, '_days', {})
        object.__setattr__(self, '_segments', {})

    def __hash__(self):
        # selections and weekly are dicts; hash what identifies the calendar (equal sites still hash equal).
        return hash((self.name, self.timezone, tuple(sorted(self.weekly.items())), self.closed))


# --- parsing ----------------------------------------------------------------------------------------------------

def _show(value):
    return repr(value) if isinstance(value, str) else '%s (%s)' % (value, type(value).__name__)


def _is_mapping(value):
    return hasattr(value, 'keys') and hasattr(value, '__getitem__')


def _is_list(value):
    return isinstance(value, (list, tuple))


def _parse_clock(value, prefix, key):
    if isinstance(value, time) and value.tzinfo is None:
        return value.replace(second=0, microsecond=0)
    if isinstance(value, str) and _CLOCK.match(value.strip()):
        hour, minute = _CLOCK.match(value.strip()).groups()
        return time(int(hour), int(minute))
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 1440:
        # YAML 1.1 reads an unquoted 18:00 as the base-60 number 1080.
        raise SiteError("%s: %s %d is a number, not a time of day: YAML reads an unquoted %02d:%02d as %d; quote it ('%02d:%02d')"
                        % (prefix, key, value, value // 60, value % 60, value, value // 60, value % 60))
    raise SiteError('%s: %s %s is not a time of day; use "HH:MM" in 24-hour form, 00:00 to 23:59' % (prefix, key, _show(value)))


def _parse_weekday(value, prefix, key):
    if isinstance(value, str) and value.strip().lower() in WEEKDAYS:
        return WEEKDAYS.index(value.strip().lower())
    raise SiteError('%s: %s: %s is not a weekday name; use %s' % (prefix, key, _show(value), _DAYS_TEXT))


def _parse_days(value, prefix):
    if not _is_list(value) or not value:
        raise SiteError('%s: days must be a non-empty list of weekday names (%s), not %s' % (prefix, _DAYS_TEXT, _show(value)))
    days = []
    for item in value:
        day = _parse_weekday(item, prefix, 'days')
        if day in days:
            raise SiteError('%s: days: %s is given twice' % (prefix, WEEKDAYS[day]))
        days.append(day)
    return days


def _parse_date(value, prefix, key):
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and _DATE.match(value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise SiteError('%s: %s: %s is not a date (YYYY-MM-DD) or a range (YYYY-MM-DD..YYYY-MM-DD)' % (prefix, key, _show(value)))


def _parse_closed_dates(value, prefix):
    if not _is_list(value):
        raise SiteError('%s: closed_dates must be a list of %s, not %s' % (prefix, _DATES_TEXT, _show(value)))
    ranges = []
    for index, item in enumerate(value):
        key = 'closed_dates[%d]' % index
        if isinstance(item, str) and '..' in item:
            first_text, dummy, last_text = item.partition('..')
            try:
                first, last = _parse_date(first_text, prefix, key), _parse_date(last_text, prefix, key)
            except SiteError:
                raise SiteError('%s: %s: %r is not a date (YYYY-MM-DD) or a range (YYYY-MM-DD..YYYY-MM-DD)'
                                % (prefix, key, item)) from None
            if first > last:
                raise SiteError('%s: %s: the range %r ends before it starts; write the earlier date first' % (prefix, key, item))
        else:
            first = last = _parse_date(item, prefix, key)
        ranges.append((first, last))
    return ranges


def _merge_ranges(ranges):
    merged = []
    for first, last in sorted(ranges):
        if merged and first <= merged[-1][1] + timedelta(days=1):
            merged[-1] = (merged[-1][0], max(merged[-1][1], last))
        else:
            merged.append((first, last))
    return tuple(merged)


def _parse_zone(value, prefix):
    if value is None:
        raise SiteError('%s: timezone is required: an IANA time zone name (for example Europe/Rome)' % prefix)
    problem = '%s: timezone %s is not an IANA time zone name (for example Europe/Rome)' % (prefix, _show(value))
    if not isinstance(value, str) or not _ZONE.match(value) or value in _NOT_ZONES or value.split('/')[0] in ('posix', 'right'):
        raise SiteError(problem)
    try:
        return ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise SiteError(problem) from None


def _parse_selections(value, prefix):
    if value is None:
        raise SiteError('%s: selections is required: %s' % (prefix, _SELECTIONS_TEXT))
    if not _is_list(value) or not value:
        raise SiteError('%s: selections must be %s, not %s' % (prefix, _SELECTIONS_TEXT, _show(value)))
    for index, item in enumerate(value):
        if not _is_mapping(item) or not item:
            raise SiteError('%s: selections[%d] must be a non-empty dictionary of filters such as {department: Sales}, not %s'
                            % (prefix, index, _show(item)))
    return tuple(dict(item) for item in value)


def _check_keys(raw, allowed, prefix):
    unknown = sorted(str(key) for key in raw if key not in allowed)
    if unknown:
        raise SiteError('%s: unknown key%s %s; the accepted keys are %s'
                        % (prefix, 's' if len(unknown) > 1 else '', ', '.join(repr(key) for key in unknown), ', '.join(allowed)))


def _parse_defaults(defaults):
    """Validate the defaults on their own, so a bad default is reported once, as a default."""
    if defaults is None:
        return {}
    if not _is_mapping(defaults):
        raise SiteError('defaults must be a dictionary with any of %s, not %s' % (', '.join(DEFAULT_KEYS), _show(defaults)))
    _check_keys(defaults, DEFAULT_KEYS, 'defaults')
    parsed = {}
    if defaults.get('days') is not None:
        parsed['days'] = _parse_days(defaults['days'], 'defaults')
    for key in ('opens', 'closes'):
        if defaults.get(key) is not None:
            parsed[key] = _parse_clock(defaults[key], 'defaults', key)
    parsed['closed_dates'] = _parse_closed_dates(defaults.get('closed_dates') or [], 'defaults')
    return parsed


def _clock_text(value):
    return value.strftime('%H:%M')


def _check_order(opens, closes, prefix, key_prefix='', inherited=None):
    """Refuse overnight hours; ``inherited`` maps a key whose value came from elsewhere to where it came from."""
    if opens >= closes:
        inherited = inherited or {}
        shown = ['%s%s %s%s' % (key_prefix, key, _clock_text(value), ' (from %s)' % inherited[key] if key in inherited else '')
                 for key, value in (('opens', opens), ('closes', closes))]
        raise SiteError('%s: %s is not before %s; an office opens and closes on the same day (no overnight hours)'
                        % (prefix, shown[0], shown[1]))


def _parse_hours(value, days, opens, closes, prefix):
    if not _is_mapping(value):
        raise SiteError('%s: hours must be a dictionary of weekday: {opens: "HH:MM", closes: "HH:MM"}, not %s' % (prefix, _show(value)))
    weekly = dict((day, (opens, closes)) for day in days)
    seen = set()
    for key, hours in value.items():
        day = _parse_weekday(key, prefix, 'hours')
        name = WEEKDAYS[day]
        if day in seen:
            raise SiteError('%s: hours: %s is given twice' % (prefix, name))
        seen.add(day)
        if day not in days:
            raise SiteError('%s: hours.%s: %s is not an office day (days: %s); add it to days or remove its hours'
                            % (prefix, name, name, ', '.join(WEEKDAYS[d] for d in sorted(days))))
        if not _is_mapping(hours):
            raise SiteError('%s: hours.%s must be a dictionary with opens and/or closes ("HH:MM"), not %s' % (prefix, name, _show(hours)))
        _check_keys(hours, ('opens', 'closes'), '%s: hours.%s' % (prefix, name))
        day_opens = _parse_clock(hours['opens'], prefix, 'hours.%s.opens' % name) if hours.get('opens') is not None else opens
        day_closes = _parse_clock(hours['closes'], prefix, 'hours.%s.closes' % name) if hours.get('closes') is not None else closes
        inherited = dict((key, 'the site') for key in ('opens', 'closes') if hours.get(key) is None)
        _check_order(day_opens, day_closes, prefix, 'hours.%s.' % name, inherited)
        weekly[day] = (day_opens, day_closes)
    return weekly


def parse_site(raw, defaults=None, where='site'):
    """Validate one site (a dict in the role's format) and return a Site.

    A site key overrides the same key of ``defaults``, except ``closed_dates``: the site's closed dates are added to
    the defaults' (company-wide holidays plus site holidays). Without either: days mon..fri, opens 08:00, closes 18:00.
    ``where`` starts every message, e.g. ``sites[2]``; the site's name is added to it when it is valid.
    A Site is returned as it is (its defaults were applied when it was parsed).
    """
    if isinstance(raw, Site):
        return raw
    if not _is_mapping(raw):
        raise SiteError('%s: a site must be a dictionary with name, timezone and selections, not %s' % (where, _show(raw)))
    name = raw.get('name')
    if name is None:
        raise SiteError('%s: name is required: %s' % (where, _NAME_RULE))
    if not isinstance(name, str) or not _NAME.match(name):
        raise SiteError('%s: name %s is not valid: use %s' % (where, _show(name), _NAME_RULE))
    prefix = where if '(%s)' % name in where else '%s (%s)' % (where, name)
    _check_keys(raw, SITE_KEYS, prefix)
    zone = _parse_zone(raw.get('timezone'), prefix)
    selections = _parse_selections(raw.get('selections'), prefix)

    given = _parse_defaults(defaults)
    days = _parse_days(raw['days'], prefix) if raw.get('days') is not None else given.get('days', [0, 1, 2, 3, 4])
    opens = _parse_clock(raw['opens'], prefix, 'opens') if raw.get('opens') is not None else given.get('opens', time(8))
    closes = _parse_clock(raw['closes'], prefix, 'closes') if raw.get('closes') is not None else given.get('closes', time(18))
    _check_order(opens, closes, prefix, inherited=dict((key, 'defaults') for key in ('opens', 'closes') if raw.get(key) is None and key in given))
    if raw.get('hours') is not None:
        weekly = _parse_hours(raw['hours'], days, opens, closes, prefix)
    else:
        weekly = dict((day, (opens, closes)) for day in days)
    closed = _parse_closed_dates(raw['closed_dates'], prefix) if raw.get('closed_dates') is not None else []
    return Site(name=name, timezone=raw['timezone'], zone=zone, selections=selections,
                weekly=dict(sorted(weekly.items())), closed=_merge_ranges(given.get('closed_dates', []) + closed))


def parse_instant(value):
    """The instant to evaluate at, as an aware UTC datetime: now for None or '', else an aware datetime or an
    ISO 8601 string with an offset or Z. A naive time is refused: it means different instants in different zones."""
    if value is None or value == '':
        return datetime.now(timezone.utc)
    if isinstance(value, datetime):
        instant = value
    elif isinstance(value, str):
        match = _INSTANT.match(value.strip())
        if not match:
            naive = re.match(r'[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?\Z', value.strip())
            if naive:
                raise SiteError('at %r has no UTC offset, so it is ambiguous across time zones; add an offset such as Z or +01:00'
                                % value)
            raise SiteError('at %r is not an ISO 8601 date and time with an offset, such as 2026-11-23T19:05:00+01:00 or '
                            '2026-11-23T18:05Z' % value)
        day, clock, zulu, hours, minutes = match.groups()
        offset = '+00:00' if zulu else '%s:%s' % (hours, minutes)
        try:
            instant = datetime.fromisoformat('%sT%s%s' % (day, clock, offset))
        except ValueError:
            raise SiteError('at %r is not a valid date and time (ISO 8601 with an offset, such as 2026-11-23T19:05:00+01:00)'
                            % value) from None
    else:
        raise SiteError('at must be an ISO 8601 date and time with an offset (such as 2026-11-23T19:05:00+01:00) or an aware '
                        'datetime, not %s' % _show(value))
    if instant.utcoffset() is None:
        raise SiteError('at %s has no UTC offset, so it is ambiguous across time zones; add an offset such as Z or +01:00'
                        % instant.isoformat())
    return instant.astimezone(timezone.utc)


# --- the calendar -----------------------------------------------------------------------------------------------

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
        label = '%s %s-%s' % (DAY_LABELS[weekday], _clock_text(hours[0]), _clock_text(hours[1]))
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


# --- scheduling the transitions (the timers and AWX schedules) ----------------------------------------------------

# The first part of the name of every timer unit and AWX schedule: PREFIX-SITE-lock, PREFIX-SITE-unlock.
NAME_PREFIX = 'imagicle-phonelock'

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


def parse_sites(sites, defaults=None, limit=None):
    """Validate every site, also those ``limit`` leaves out, and return the Sites that ``limit`` names, in their given
    order. ``limit`` None or empty means every site; a name that is not a site's is an error."""
    if not _is_list(sites):
        raise SiteError('the sites must be a list, got %s' % type(sites).__name__)
    if defaults is not None and not isinstance(defaults, dict):
        raise SiteError('the defaults must be a dict, got %s' % type(defaults).__name__)
    parsed = []
    for index, raw in enumerate(sites):
        site = parse_site(raw, defaults, where='office_hours_sites[%d]' % index)
        if any(other.name == site.name for other in parsed):
            raise SiteError('office_hours_sites[%d]: the site name %r is used twice' % (index, site.name))
        parsed.append(site)
    if limit is None:
        return parsed
    if not _is_list(limit):
        raise SiteError('limit must be a list of site names, got %s' % type(limit).__name__)
    for name in limit:
        if not isinstance(name, str):
            raise SiteError('limit must be a list of site names, got the %s %r' % (type(name).__name__, name))
    names = [site.name for site in parsed]
    unknown = [name for name in limit if name not in names]
    if unknown:
        raise SiteError('limit names sites that are not in the sites: %s (the sites are: %s)'
                        % (', '.join(unknown), ', '.join(names) or 'none'))
    return [site for site in parsed if not limit or site.name in limit]


def group_by_time(times):
    """[(time, [weekdays])] for {weekday: time}: the days that share a time together, sorted, groups ordered by
    their first weekday."""
    by_time = {}
    for day, at in sorted(times.items()):
        by_time.setdefault(at, []).append(day)
    return sorted(by_time.items(), key=lambda item: item[1][0])
