# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Hold coverage: the phones that a locked hold in force covers now, and the unlock requests that would reach them.

A hold is a promise to whoever set it (a security team during toll fraud), so it binds whatever else the site list
says: for every site, valid or not, in the run's limit or not (I1, I4 of the role's README).

* A valid site covers its selections while its hold in force is locked (its own, inherited or company-wide).
* A site that is not valid still covers what can be read of it: its selections while a hold of its own or of
  office_hours_defaults is locked now; its selections whatever the time when its holds cannot be read; and every
  phone when its selections cannot be read but it has holds, or a company-wide lock is in force.
* An unlock selection *reaches* a covered selection unless the two give different values for one filter (the only
  way to be sure no phone matches both); equal filters, ignoring case, are the same phones. The one unlock that may
  reach covered phones is a broader selection whose held nested site this run locks right after it (``contains``).
"""

from __future__ import annotations

from collections import namedtuple

from ansible_collections.imagicle.phonelock.plugins.plugin_utils._holds import hold_at, instant_text, parse_holds
from ansible_collections.imagicle.phonelock.plugins.plugin_utils._nesting import describe, nests
from ansible_collections.imagicle.phonelock.plugins.plugin_utils._site import parse_defaults, read_selections
from ansible_collections.imagicle.phonelock.plugins.plugin_utils._values import is_mapping

# number: the site's position in office_hours_sites; name: its name (or position) for messages; filters: its selections'
# filters, or None for every phone; why: 'held locked until ...: reason (holds[0])' for the summary; lock: the selections
# to lock for a site that is not valid but whose selections and locked hold can be read (its holds still apply), else None.
Cover = namedtuple('Cover', 'number name filters why lock')


def _hold_text(hold, name):
    until = 'with no end' if hold.end is None else 'until %s' % instant_text(hold.end)
    return 'held locked %s: %s (%s%s)' % (until, hold.reason, hold.where, '' if hold.owner in (None, name) else ' of site %s' % hold.owner)


def covers(read, raw_sites, defaults, judged, ts):
    """The Covers of every site at epoch second ts: read is the ReadSites, raw_sites the sites as given, judged maps the
    number of each valid site to (Site, its status entry)."""
    found = []
    for number, entry in enumerate(read):
        if entry.site is not None:
            # Every valid site is judged (plan() made the one whose judging failed invalid).
            hold = judged[number][1].get('hold')
            if hold and hold['state'] == 'locked':
                found.append(Cover(number, entry.site.name, entry.site.filters, judged[number][1]['reason'], None))
            continue
        cover = _salvage(number, entry, raw_sites[number] if number < len(raw_sites) else None, defaults, ts)
        if cover:
            found.append(cover)
    return found


def _salvage(number, entry, raw, defaults, ts):
    """What a site that is not valid still covers (I4), or None."""
    name = entry.name or entry.where
    raw_holds = raw.get('holds') if is_mapping(raw) else None
    # Whatever cannot be read, for any reason, is read as the safe side: holds as held locked, selections as every phone.
    try:
        own = parse_holds(raw_holds, entry.where, name)
    except Exception:  # pylint: disable=broad-except
        own = None
    try:
        selections = raw.get('selections') if is_mapping(raw) else None
        filters = read_selections(selections, entry.where)
    except Exception:  # pylint: disable=broad-except
        filters = None
    if own is None:
        why = 'not valid, and its holds cannot be read (%s), so it is treated as held locked' % entry.problem
        return Cover(number, name, filters, why, None)
    hold = hold_at(tuple(own) + tuple(parse_defaults(defaults).get('holds', ())), ts)
    if hold is None or hold.state != 'locked':
        return None
    why = _hold_text(hold, name) + ', although the site is not valid (%s)' % entry.problem
    return Cover(number, name, filters, why, [dict(item) for item in selections] if filters is not None else None)


def reach(unlock, covered):
    """How the unlock selection's filters reach the covered selection's: 'same', 'inside' (the unlock is narrower),
    'contains' (broader), 'overlap', or None when a filter differs, so that no phone can match both."""
    one, other = dict(unlock), dict(covered)
    if any(one[key] != other[key] for key in one.keys() & other.keys()):
        return None
    if unlock == covered:
        return 'same'
    if nests(unlock, covered):
        return 'inside'
    if nests(covered, unlock):
        return 'contains'
    return 'overlap'


def withheld(number, filters, found, relocked):
    """(why, kept) for the unlock selections of site ``number`` (their filters): why they must not be sent, or None; and
    kept, the held selections inside them to lock right after each, as (selection index, covering site number, index of
    its selection). ``relocked`` is the set of valid, held sites this run locks after a broader unlock."""
    kept = []
    for cover in found:
        if cover.number == number:
            continue
        if cover.filters is None:
            return ('withheld: site %s is %s; its selections cannot be read, so no unlock can be known to miss its phones. '
                    'Fix site %s, or end its hold, then run again.' % (cover.name, cover.why, cover.name)), []
        for index, mine in enumerate(filters):
            for inner, theirs in enumerate(cover.filters):
                how = reach(mine, theirs)
                if how is None:
                    continue
                if how == 'contains' and cover.number in relocked:
                    kept.append((index, cover.number, inner))
                    continue
                return ('withheld: its selection %s could unlock phones of site %s (selection %s), which is %s. A hold wins: '
                        'to unlock these phones, end the hold, or give the sites selections that differ in one filter value.'
                        % (describe(mine), cover.name, describe(theirs), cover.why)), []
    return None, kept


def unlocked_holds_overridden(filters, holds_in_force):
    """The names and reasons of the sites held unlocked now, ``holds_in_force`` as (name, filters, reason), whose phones a
    lock of these filters reaches: the lock is sent (locking is the safe side), and the summary says which it overrode."""
    names = []
    for name, site_filters, reason in holds_in_force:
        if any(reach(mine, theirs) in ('same', 'inside', 'overlap') for mine in filters for theirs in site_filters):
            names.append('%s (%s)' % (name, reason))
    return names
