# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""An instant the user gives (office_hours_now, a hold's from and until): an aware date and time, never a naive one."""

from __future__ import annotations

import re
from datetime import datetime, timezone

_INSTANT = re.compile(r'([0-9]{4}-[0-9]{2}-[0-9]{2})[Tt ]([0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?)'
                      r'(?:([Zz])|([+-][0-9]{2}):?([0-9]{2}))\Z')
_NAIVE = re.compile(r'[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?\Z')


class InstantError(ValueError):
    """The instant to judge at is not an aware date and time; the message names the variable and shows the form."""


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
