# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Holds: a state a person imposes on a site (``locked`` during an incident, ``unlocked`` for a night inventory)
from an instant until an instant, either end open, with a reason. A hold wins over the calendar and over explicit
runs, office_hours_force included: to end a hold, change the hold.

Instants carry a UTC offset (as office_hours_now does), so a hold means the same instant on every host, and are whole
minutes, so the schedulers can fire at them. A site's holds may not overlap, also with the holds it inherits from a
site it nests in: two holds at one instant would leave the state to their order.
"""

from __future__ import annotations

from collections import namedtuple
from datetime import datetime, timezone

from ansible_collections.imagicle.phonelock.plugins.plugin_utils._instant import InstantError, parse_instant
from ansible_collections.imagicle.phonelock.plugins.plugin_utils._values import SiteError, is_list, is_mapping, show

HOLD_KEYS = ('state', 'from', 'until', 'reason')
_EXAMPLE = '{state: locked, from: "2026-12-01T10:30:00+01:00", until: "2026-12-03T08:00:00+01:00", reason: "toll fraud INC-4711"}'

# start and end are epoch seconds (None: open-ended), start inclusive, end exclusive; where names it for messages
# ('holds[0]', or 'holds[0] of site milano' when inherited); owner is the site that holds it.
Hold = namedtuple('Hold', 'start end state reason where owner')


def _instant(value, prefix, key):
    if value is None:
        return None
    try:
        instant = parse_instant(value, key)
    except InstantError as exc:
        raise SiteError('%s: %s' % (prefix, exc)) from None
    if instant.second or instant.microsecond:
        raise SiteError('%s: %s %s is not a whole minute; the schedulers fire at whole minutes, so give HH:MM:00' % (prefix, key, value))
    return int(instant.timestamp())


def _text(ts):
    return 'ever' if ts is None else datetime.fromtimestamp(ts, timezone.utc).isoformat()[:16] + 'Z'


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
        if not isinstance(reason, str) or not reason.strip():
            raise SiteError('%s: %s.reason is required: say why, for the run summary (for example "toll fraud incident INC-4711"), not %s'
                            % (prefix, where, show(reason)))
        start = _instant(item.get('from'), prefix, where + '.from')
        end = _instant(item.get('until'), prefix, where + '.until')
        if start is not None and end is not None and end <= start:
            raise SiteError('%s: %s.until %s is not after %s.from %s; a hold ends after it starts (leave until out for a hold with no end)'
                            % (prefix, where, item['until'], where, item['from']))
        holds.append(Hold(start, end, item['state'], reason.strip(), where, owner))
    return check_overlaps(holds, prefix)


def check_overlaps(holds, prefix):
    """The holds sorted by start, or SiteError naming the first two that overlap."""
    ordered = sorted(holds, key=lambda hold: -2 ** 62 if hold.start is None else hold.start)
    for before, after in zip(ordered, ordered[1:]):
        if before.end is None or (after.start is not None and after.start < before.end) or after.start is None:
            raise SiteError('%s: %s (%s from %s until %s) and %s (%s from %s until %s) overlap; a site is held one way at a time: '
                            'end one before the other starts' % (prefix, before.where, before.state, _text(before.start), _text(before.end),
                                                                 after.where, after.state, _text(after.start), _text(after.end)))
    return tuple(ordered)


def hold_at(holds, ts):
    """The hold in force at epoch second ts, or None."""
    for hold in holds:
        if (hold.start is None or hold.start <= ts) and (hold.end is None or ts < hold.end):
            return hold
    return None


def boundaries(holds):
    """Every instant at which a hold starts or ends, sorted."""
    return sorted(set(ts for hold in holds for ts in (hold.start, hold.end) if ts is not None))
