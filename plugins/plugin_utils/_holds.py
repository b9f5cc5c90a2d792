# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Holds: a state a person imposes on a site (``locked`` during an incident, ``unlocked`` for a night inventory)
from an instant until an instant, either end open, with a reason. A hold wins over the calendar and over explicit
runs, office_hours_force included: to end a hold, change the hold.

Instants carry a UTC offset (as office_hours_now does), so a hold means the same instant on every host, and are whole
minutes, so the schedulers can fire at them.

Holds combine; they never make a site invalid. A site's own holds, the holds it inherits from a site it nests in and the
company-wide holds of office_hours_defaults may overlap: at each instant a locked hold in force beats an unlocked one
(fail closed), so an emergency lock with no end locks at once whatever holds were planned.
"""

from __future__ import annotations

from collections import namedtuple
from datetime import datetime, timezone

from ansible_collections.imagicle.phonelock.plugins.plugin_utils._instant import InstantError, parse_instant
from ansible_collections.imagicle.phonelock.plugins.plugin_utils._values import SiteError, check_text, is_list, is_mapping, show

HOLD_KEYS = ('state', 'from', 'until', 'reason')
_EXAMPLE = '{state: locked, from: "2026-12-01T10:30:00+01:00", until: "2026-12-03T08:00:00+01:00", reason: "toll fraud INC-4711"}'

# start and end are epoch seconds (None: open-ended), start inclusive, end exclusive; where names it for messages
# ('holds[0]', or 'holds[0] of site milano' when inherited); owner is the site that holds it.
Hold = namedtuple('Hold', 'start end state reason where owner')


# Instants a hold may name: far enough for any real hold, near enough that a year of transitions after it stays a date.
_EARLIEST, _LATEST = datetime(1970, 1, 2, tzinfo=timezone.utc), datetime(9000, 1, 1, tzinfo=timezone.utc)


def _instant(value, prefix, key):
    if value is None:
        return None
    try:
        instant = parse_instant(value, key)
    except InstantError as exc:
        raise SiteError('%s: %s' % (prefix, exc)) from None
    except (OverflowError, ValueError):
        # 9999-12-31T23:00:00-14:00 is a valid string, but its UTC instant is past the last date Python can hold.
        instant = None
    if instant is None or not _EARLIEST <= instant < _LATEST:
        raise SiteError('%s: %s %s is out of range: give an instant between 1970-01-02 and 8999-12-31 (leave %s out for %s)'
                        % (prefix, key, value, key.rpartition('.')[2], 'a hold with no end' if key.endswith('until') else 'a hold in force from now'))
    if instant.second or instant.microsecond:
        raise SiteError('%s: %s %s is not a whole minute; the schedulers fire at whole minutes, so give HH:MM:00' % (prefix, key, value))
    return int(instant.timestamp())


def instant_text(ts):
    """A hold's instant (epoch seconds) for messages, in UTC to the minute: 2026-12-09T06:00Z."""
    return datetime.fromtimestamp(ts, timezone.utc).isoformat()[:16] + 'Z'


def parse_holds(value, prefix, owner, key='holds'):
    """The Holds of a ``holds`` list, sorted by start (an open start first); SiteError naming the key."""
    if value is None:
        return []
    if not is_list(value):
        raise SiteError('%s: %s must be a list of holds such as %s, not %s' % (prefix, key, _EXAMPLE, show(value)))
    holds = []
    for index, item in enumerate(value):
        where = '%s[%d]' % (key, index)
        if not is_mapping(item):
            raise SiteError('%s: %s must be a dictionary such as %s, not %s' % (prefix, where, _EXAMPLE, show(item)))
        unknown = sorted(str(name) for name in item if name not in HOLD_KEYS)
        if unknown:
            raise SiteError('%s: %s: unknown key %s; the accepted keys are %s'
                            % (prefix, where, ', '.join(repr(name) for name in unknown), ', '.join(HOLD_KEYS)))
        if item.get('state') not in ('locked', 'unlocked'):
            raise SiteError('%s: %s.state must be locked or unlocked, not %s' % (prefix, where, show(item.get('state'))))
        reason = item.get('reason')
        if reason is None or isinstance(reason, str) and not reason.strip():
            # Whoever finds the phones held sees only this text: the runs' output and summary, the preview, the .ics.
            raise SiteError('%s: %s: reason is required: say why the phones are held, for example the incident number ("toll fraud '
                            'INC-4711"); the run\'s output and summary, the preview and the .ics show it, so whoever sees the hold knows why'
                            % (prefix, where))
        if not isinstance(reason, str):
            raise SiteError('%s: %s.reason must be text such as "toll fraud INC-4711", not %s' % (prefix, where, show(reason)))
        start = _instant(item.get('from'), prefix, where + '.from')
        end = _instant(item.get('until'), prefix, where + '.until')
        if start is not None and end is not None and end <= start:
            raise SiteError('%s: %s.until %s is not after %s.from %s; a hold ends after it starts (leave until out for a hold with no end)'
                            % (prefix, where, item['until'], where, item['from']))
        check_text(reason, prefix, where + '.reason')
        holds.append(Hold(start, end, item['state'], reason.strip(), where, owner))
    return combine(holds)


def combine(holds):
    """Holds from anywhere (a site's, inherited, office_hours_defaults'), sorted by start (an open start first), duplicates
    dropped. Overlaps are allowed: hold_at decides between the holds in force."""
    return tuple(sorted(set(holds), key=lambda hold: (-2 ** 62 if hold.start is None else hold.start, hold.where)))


def _ends(hold):
    return 2 ** 62 if hold.end is None else hold.end


def hold_at(holds, ts):
    """The hold that decides the state at epoch second ts, or None when none is in force. A locked hold beats an unlocked
    one (fail closed); among holds of one state, the one that lasts longest (its end is the earliest the state may change)."""
    in_force = [hold for hold in holds if (hold.start is None or hold.start <= ts) and (hold.end is None or ts < hold.end)]
    if not in_force:
        return None
    return max(in_force, key=lambda hold: (hold.state == 'locked', _ends(hold)))


def boundaries(holds):
    """Every instant at which a hold starts or ends, sorted."""
    return sorted(set(ts for hold in holds for ts in (hold.start, hold.end) if ts is not None))
