# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Special days: dates (or inclusive ranges) with other hours than their weekday's, such as 24 December 08:00-13:00,
or open although the weekday is not an office day, the date is a holiday or a closed date (an inventory Saturday, a
regional holiday the company works). A special day is the most explicit word about its date, so it wins over the
weekday, the holidays and the closed dates.
"""

from __future__ import annotations

import bisect
from datetime import date

from ansible_collections.imagicle.phonelock.plugins.plugin_utils._values import SiteError, check_text, is_list, is_mapping, parse_clock, parse_date, show

SPECIAL_KEYS = ('date', 'opens', 'closes', 'reason')
_EXAMPLE = '{date: "2026-12-24", closes: "13:00", reason: Christmas Eve}'


def _dates(value, prefix, key):
    if isinstance(value, str) and '..' in value:
        first_text, dummy, last_text = value.partition('..')
        try:
            first, last = parse_date(first_text, prefix, key), parse_date(last_text, prefix, key)
        except SiteError:
            raise SiteError('%s: %s: %r is not a date (YYYY-MM-DD) or a range (YYYY-MM-DD..YYYY-MM-DD)' % (prefix, key, value)) from None
        if first > last:
            raise SiteError('%s: %s: the range %r ends before it starts; write the earlier date first' % (prefix, key, value))
        return first, last
    day = parse_date(value, prefix, key)
    return day, day


def parse_special_days(value, prefix, opens, closes, key='special_days'):
    """[(first, last, opens, closes, reason, key)] of a ``special_days`` list. A missing opens or closes is the site's
    (``opens``/``closes``, not the weekday's, so that a range has one set of hours). Two entries may not share a date."""
    if value is None:
        return []
    if not is_list(value):
        raise SiteError('%s: %s must be a list of special days such as %s, not %s' % (prefix, key, _EXAMPLE, show(value)))
    days = []
    for index, item in enumerate(value):
        where = '%s[%d]' % (key, index)
        if not is_mapping(item):
            raise SiteError('%s: %s must be a dictionary such as %s, not %s' % (prefix, where, _EXAMPLE, show(item)))
        unknown = sorted(str(name) for name in item if name not in SPECIAL_KEYS)
        if unknown:
            raise SiteError('%s: %s: unknown key %s; the accepted keys are %s'
                            % (prefix, where, ', '.join(repr(name) for name in unknown), ', '.join(SPECIAL_KEYS)))
        if item.get('date') is None:
            raise SiteError('%s: %s.date is required: a date (YYYY-MM-DD) or an inclusive range (YYYY-MM-DD..YYYY-MM-DD)' % (prefix, where))
        if item.get('opens') is None and item.get('closes') is None:
            raise SiteError('%s: %s: give opens and/or closes ("HH:MM"); a day that is closed belongs in closed_dates' % (prefix, where))
        first, last = _dates(item['date'], prefix, where + '.date')
        day_opens = parse_clock(item['opens'], prefix, where + '.opens') if item.get('opens') is not None else opens
        day_closes = parse_clock(item['closes'], prefix, where + '.closes') if item.get('closes') is not None else closes
        if day_opens >= day_closes:
            shown = ['%s.%s %s%s' % (where, name, at.strftime('%H:%M'), '' if item.get(name) is not None else ' (from the site)')
                     for name, at in (('opens', day_opens), ('closes', day_closes))]
            raise SiteError('%s: %s is not before %s; a special day opens and closes on the same day (no overnight hours)'
                            % (prefix, shown[0], shown[1]))
        reason = item.get('reason')
        if reason is not None and (not isinstance(reason, str) or not reason.strip()):
            raise SiteError('%s: %s.reason must be a non-empty string such as Christmas Eve, not %s' % (prefix, where, show(reason)))
        if reason is not None:
            check_text(reason, prefix, where + '.reason')
        days.append((first, last, day_opens, day_closes, reason.strip() if reason else 'special day', where))
    days.sort()
    for before, after in zip(days, days[1:]):
        if after[0] <= before[1]:
            raise SiteError('%s: %s (%s) and %s (%s) share the date %s; give each date one special day'
                            % (prefix, before[5], _text(before), after[5], _text(after), after[0].isoformat()))
    return days


def _text(day):
    return day[0].isoformat() if day[0] == day[1] else '%s..%s' % (day[0].isoformat(), day[1].isoformat())


def merge_special_days(defaults, own):
    """The defaults' special days with the site's own: a site's entry replaces every default entry it shares a date with."""
    kept = [day for day in defaults if not any(mine[0] <= day[1] and day[0] <= mine[1] for mine in own)]
    return tuple(sorted(kept + list(own)))


def special_on(special, day):
    """The special day (first, last, opens, closes, reason, key) that holds a local date, or None."""
    index = bisect.bisect_right(special, (day, date.max)) - 1
    if index >= 0 and special[index][0] <= day <= special[index][1]:
        return special[index]
    return None
