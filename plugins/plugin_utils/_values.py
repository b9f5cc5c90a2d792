# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Values that a site's keys share: dates, times of day, the error that names the site and the key."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, time

_CLOCK = re.compile(r'([01][0-9]|2[0-3]):([0-5][0-9])\Z')
_DATE = re.compile(r'[0-9]{4}-[0-9]{2}-[0-9]{2}\Z')


class SiteError(ValueError):
    """A site, the defaults, the site list or the limit is not valid; the message names the site and the key and says what is accepted."""


def show(value):
    return repr(value) if isinstance(value, str) else '%s (%s)' % (value, type(value).__name__)


def is_mapping(value):
    return hasattr(value, 'keys') and hasattr(value, '__getitem__')


def is_list(value):
    return isinstance(value, (list, tuple))


def parse_clock(value, prefix, key):
    if isinstance(value, time) and value.tzinfo is None:
        return value.replace(second=0, microsecond=0)
    if isinstance(value, str) and _CLOCK.match(value.strip()):
        hour, minute = _CLOCK.match(value.strip()).groups()
        return time(int(hour), int(minute))
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 1440:
        # YAML 1.1 reads an unquoted 18:00 as the base-60 number 1080.
        raise SiteError("%s: %s %d is a number, not a time of day: YAML reads an unquoted %02d:%02d as %d; quote it ('%02d:%02d')"
                        % (prefix, key, value, value // 60, value % 60, value, value // 60, value % 60))
    raise SiteError('%s: %s %s is not a time of day; use "HH:MM" in 24-hour form, 00:00 to 23:59' % (prefix, key, show(value)))


def parse_date(value, prefix, key):
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and _DATE.match(value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise SiteError('%s: %s: %s is not a date (YYYY-MM-DD) or a range (YYYY-MM-DD..YYYY-MM-DD)' % (prefix, key, show(value)))


# Control, format, line and paragraph separator characters: a reason is one line of text for summaries, terminals and
# the .ics file, where an ESC sequence would reach the terminal and a VT or U+2028 makes strict RFC 5545 readers refuse
# the whole file.
_UNPRINTABLE = ('Cc', 'Cf', 'Cs', 'Zl', 'Zp')


def check_text(value, prefix, key):
    """SiteError when a text value holds a character that is not printable on one line, naming it."""
    bad = next((char for char in value if unicodedata.category(char) in _UNPRINTABLE), None)
    if bad is not None:
        raise SiteError('%s: %s contains the control or line-break character U+%04X (%s); it is shown in run summaries, terminals '
                        'and the .ics file: write it on one line of printable text'
                        % (prefix, key, ord(bad), unicodedata.name(bad, 'unnamed')))
    return value
