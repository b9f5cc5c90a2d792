# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""A site's time zone: an IANA Area/City name that follows the city's clock, daylight saving included.

Refused, with the name to use instead: fixed offsets (``Etc/GMT+5``, ``UTC``) and the legacy names without an area
(``EST``, ``CET``, ``PST8PDT``, ``Japan``), which either ignore daylight saving or only alias a city; misspelt names
get the nearest valid names; a host without a time zone database is told to install ``tzdata``.
"""

from __future__ import annotations

import difflib
import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

_ZONE = re.compile(r'[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*\Z')
# Valid for ZoneInfo on most systems, but not a place: the host's zone, tzdata internals.
_NOT_ZONES = ('localtime', 'posixrules', 'Factory')
_EXAMPLE = 'for example Europe/Rome'

# Legacy names without an area, and the city zone each stands for (tzdata's own links where there is one).
_LEGACY = {
    'EST5EDT': 'America/New_York', 'CST6CDT': 'America/Chicago',
    'MST7MDT': 'America/Denver', 'PST8PDT': 'America/Los_Angeles', 'Navajo': 'America/Denver',
    'CET': 'Europe/Paris', 'MET': 'Europe/Paris', 'EET': 'Europe/Athens', 'WET': 'Europe/Lisbon', 'GB': 'Europe/London',
    'GB-Eire': 'Europe/London', 'Eire': 'Europe/Dublin', 'Portugal': 'Europe/Lisbon', 'Poland': 'Europe/Warsaw',
    'Turkey': 'Europe/Istanbul', 'W-SU': 'Europe/Moscow', 'Iceland': 'Atlantic/Reykjavik', 'Egypt': 'Africa/Cairo',
    'Libya': 'Africa/Tripoli', 'Israel': 'Asia/Jerusalem', 'Iran': 'Asia/Tehran', 'PRC': 'Asia/Shanghai', 'ROC': 'Asia/Taipei',
    'ROK': 'Asia/Seoul', 'Japan': 'Asia/Tokyo', 'Singapore': 'Asia/Singapore', 'Hongkong': 'Asia/Hong_Kong',
    'NZ': 'Pacific/Auckland', 'NZ-CHAT': 'Pacific/Chatham', 'Kwajalein': 'Pacific/Kwajalein', 'Jamaica': 'America/Jamaica',
    'Cuba': 'America/Havana',
}
# Legacy names of fixed offsets: (hours from UTC, the city zone such a name usually stands for).
_FIXED = {'EST': (-5, 'America/New_York'), 'MST': (-7, 'America/Denver'), 'HST': (-10, 'Pacific/Honolulu')}
# Zones with no offset from UTC at all, ever.
_UTC_NAMES = ('UTC', 'UCT', 'GMT', 'GMT0', 'GMT+0', 'GMT-0', 'Greenwich', 'Universal', 'Zulu')
_ETC_OFFSET = re.compile(r'Etc/GMT([+-])([0-9]{1,2})\Z')
# One well-known city per whole-hour standard offset, to name in the message for Etc/GMT+N and Etc/GMT-N.
_CITY_AT_OFFSET = {
    -10: 'Pacific/Honolulu', -9: 'America/Anchorage', -8: 'America/Los_Angeles', -7: 'America/Denver', -6: 'America/Chicago',
    -5: 'America/New_York', -4: 'America/Halifax', -3: 'America/Sao_Paulo', 0: 'Europe/London', 1: 'Europe/Rome', 2: 'Europe/Athens',
    3: 'Europe/Moscow', 4: 'Asia/Dubai', 5: 'Asia/Karachi', 6: 'Asia/Dhaka', 7: 'Asia/Bangkok', 8: 'Asia/Singapore', 9: 'Asia/Tokyo',
    10: 'Australia/Sydney', 12: 'Pacific/Auckland',
}


class ZoneError(ValueError):
    """The value is not a time zone a site may use; the message says what to use instead (without naming the site)."""


def _fixed(value, what, city):
    return ('timezone %r is %s with no daylight saving time: an office in a city that changes its clocks would open and '
            'close an hour off for months. Use the zone of the office\'s city, for example %s' % (value, what, city))


def _refusal(value):
    """Why a name that zoneinfo may well accept is still not a site's zone, or None."""
    if value in _FIXED:
        hours, city = _FIXED[value]
        return _fixed(value, 'the fixed offset UTC%+03d:00' % hours, city)
    if value in _LEGACY:
        return ('timezone %r is a legacy zone name, kept in the time zone database only for old systems. Use the zone of the '
                'office\'s city, for example %s' % (value, _LEGACY[value]))
    if value in _UTC_NAMES or value.startswith('Etc/'):
        match = _ETC_OFFSET.match(value)
        if not match:
            return _fixed(value, 'UTC, a fixed offset', 'Europe/London')
        hours = int(match.group(2)) * (-1 if match.group(1) == '+' else 1)
        what = 'the fixed offset UTC%+03d:00 (POSIX signs are inverted: %s is %d hours %s UTC)' % (
            hours, value, abs(hours), 'behind' if hours < 0 else 'ahead of')
        return _fixed(value, what, _CITY_AT_OFFSET.get(hours, 'Europe/Rome, America/New_York or Asia/Tokyo'))
    return None


def _nearest(value):
    """The valid zone names closest to a misspelt one: same name in another case first, then difflib's nearest."""
    names = sorted(name for name in available_timezones() if '/' in name and not name.startswith(('Etc/', 'posix/', 'right/')))
    folded = [name for name in names if name.casefold() == value.casefold()]
    if folded:
        return folded
    # Compare the city part too, so 'Europe/Milan' finds the zones of nearby names, and 'Rome' finds 'Europe/Rome'.
    close = difflib.get_close_matches(value, names, n=3, cutoff=0.6)
    by_city = dict((name.rsplit('/', 1)[-1].casefold(), name) for name in names)
    close += [by_city[city] for city in difflib.get_close_matches(value.rsplit('/', 1)[-1].casefold(), list(by_city), n=3, cutoff=0.75)]
    return list(dict.fromkeys(close))[:3]


def parse_zone(value):
    """The ZoneInfo of a site's ``timezone``; ZoneError with what to use instead when it is not an Area/City zone."""
    if value is None:
        raise ZoneError('timezone is required: an IANA time zone name (%s)' % _EXAMPLE)
    if not isinstance(value, str) or not _ZONE.match(value) or value in _NOT_ZONES or value.split('/')[0] in ('posix', 'right'):
        shown = repr(value) if isinstance(value, str) else '%s (%s)' % (value, type(value).__name__)
        raise ZoneError('timezone %s is not an IANA time zone name (%s)' % (shown, _EXAMPLE))
    refusal = _refusal(value)
    if refusal:
        raise ZoneError(refusal)
    try:
        return ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        pass
    if not available_timezones():
        raise ZoneError('timezone %r cannot be read: this host has no time zone database (no /usr/share/zoneinfo, no tzdata '
                        'package). Install the Python package tzdata (pip install tzdata) where the role runs, or the '
                        'system package tzdata' % value) from None
    nearest = _nearest(value)
    hint = '; did you mean %s?' % ' or '.join(nearest) if nearest else ' (%s)' % _EXAMPLE
    raise ZoneError('timezone %r is not an IANA time zone name%s' % (value, hint)) from None


def is_repeated(local):
    """Whether an aware local datetime's wall-clock time occurs twice that day (the hour repeated when clocks go back)."""
    return local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset()


def is_second_occurrence(local):
    """Whether an aware local datetime is the second occurrence of a repeated wall-clock time: a rule in local time
    (systemd's OnCalendar, an rrule with a TZID as python-dateutil reads it) fires at the first one, an hour early."""
    return bool(local.fold) and is_repeated(local)
