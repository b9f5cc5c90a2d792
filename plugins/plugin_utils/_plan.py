# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What a run does at each site: the role's plan, and the requests that carry it out, in a safe order.

* Every site is judged at one instant. ``auto`` applies the state its calendar demands; ``locked`` and ``unlocked``
  apply where the calendar agrees and skip the other sites, unless forced.
* A site with a problem of its own is left out (action ``invalid``) and the others are planned.
* Nested sites (see ``_nesting``): when a run applies a site, every site nested in it is applied after it too, also
  when the run is limited to the outer site or would skip the inner one, so its phones end in its own state.
* Selections that may overlap without nesting, of sites that demand different states now, are a problem of both.
* A locked hold binds whatever else the site list says (``_guard``): an unlock that could reach phones it covers is
  withheld (action ``withheld``, a problem of the site), a site that is not valid still locks what its hold covers, and
  no value of one site stops the plan of the others.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache

from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.imagicle.phonelock.plugins.plugin_utils._calendar import HORIZON_DAYS, parse_instant, status
from ansible_collections.imagicle.phonelock.plugins.plugin_utils._guard import covers, unlocked_holds_overridden, withheld
from ansible_collections.imagicle.phonelock.plugins.plugin_utils._holidays import HOLIDAY_SUFFIX
from ansible_collections.imagicle.phonelock.plugins.plugin_utils._nesting import describe, may_overlap, nests, orders
from ansible_collections.imagicle.phonelock.plugins.plugin_utils._site import Site, SiteError
from ansible_collections.imagicle.phonelock.plugins.plugin_utils._sites import read_sites, select, unforeseen

STATES = ('auto', 'locked', 'unlocked')
_APPLIED = ('locked', 'unlocked')


def _until(local_time, next_transition, next_label):
    """When the state changes, as short as is clear: '18:00' today, 'Tue 08:00' this week, else with the date."""
    # next_label is e.g. 'Tue 2026-11-24 08:00 CET'
    if next_transition[:10] == local_time[:10]:
        return next_label[15:20]
    if (date.fromisoformat(next_transition[:10]) - date.fromisoformat(local_time[:10])).days < 7:
        return '%s %s' % (next_label[:3], next_label[15:20])
    return next_label[:20]


# Memoised: a plan, and every minute of the same stretch of a day, ask the same questions.
@lru_cache(maxsize=4096)
def _condition(is_open, reason, local_date, next_transition, next_label):
    if is_open:
        hours = reason[len('open '):]
        if next_transition is None:
            return 'the office is open %s, with no closing in the next %d days' % (hours, HORIZON_DAYS)
        return 'the office is open until %s %s' % (_until(local_date, next_transition, next_label), hours)
    # A public holiday is named: 'the office is closed for Immacolata Concezione (IT public holiday) until Wed 08:00'.
    closed = 'closed for %s' % reason[len('closed: '):] if reason.endswith(HOLIDAY_SUFFIX) else 'closed'
    if next_transition is None:
        return 'the office is %s, with no opening in the next %d days' % (closed, HORIZON_DAYS)
    return 'the office is %s until %s' % (closed, _until(local_date, next_transition, next_label))


@lru_cache(maxsize=4096)
def _decision(calendar, condition, requested, force):
    if requested == 'auto':
        return calendar, 'auto: %s, so its phones are %s.' % (condition, calendar)
    if requested == calendar:
        return calendar, '%s as requested: %s.' % (requested, condition)
    if force:
        return requested, 'forced: %s although %s, because office_hours_force is true.' % (requested, condition)
    verb, office = ('lock', 'an open office') if requested == 'locked' else ('unlock', 'a closed office')
    return 'skip', 'skipped: %s; %s %s run never %ss %s. Set office_hours_force: true to %s anyway.' % (
        condition, 'a' if requested == 'locked' else 'an', requested, verb, office, verb)


def condition(entry):
    """The calendar's sentence for a status entry: 'the office is closed until Tue 08:00'."""
    return _condition(entry['open'], entry['reason'], entry['local_time'][:10], entry['next_transition'], entry['next_label'])


def decide(entry, requested, force):
    """(action, why) for one site's status entry, a requested state (auto, locked, unlocked) and the force flag.
    A hold wins over every run, forced ones included: to end a hold, the hold is changed."""
    if entry.get('hold'):
        return _held(entry, requested, force)
    return _decision(entry['state'], condition(entry), requested, force)


def _held(entry, requested, force):
    held = 'the site is %s' % entry['reason']
    if requested in ('auto', entry['state']):
        said = 'auto' if requested == 'auto' else '%s as requested' % requested
        return entry['state'], '%s: %s, so its phones are %s.' % (said, held, entry['state'])
    return 'skip', ('skipped: %s; a hold wins over %s runs%s. To %s the phones, change or end the hold (%s).'
                    % (held, requested, ', office_hours_force included' if force else '', 'lock' if requested == 'locked' else 'unlock',
                       entry['hold']['where']))


def _invalid(read, at, cover=None, chosen=False):
    """The entry of a site that is not valid: left out, unless a locked hold in force covers selections that can be read
    (I4: invalid never means unheld): then its phones are locked, and the run still fails naming the problem."""
    entry = {'name': read.name or read.where, 'timezone': None, 'at': at, 'local_time': None, 'local_label': '', 'open': None,
             'state': None, 'reason': '', 'next_transition': None, 'next_state': None, 'next_label': None,
             'action': 'invalid', 'why': 'not valid, left out: %s' % read.problem, 'selections': [], 'order': [],
             'nested_in': [], 'problems': [read.problem], 'hold': None}
    if cover is not None and cover.lock and chosen:
        entry.update(action='locked', state='locked', selections=cover.lock, reason=cover.why,
                     why='%s: its hold still applies, so its phones are locked; the rest of the site is left out.' % cover.why)
    return entry


@lru_cache(maxsize=256)
def _relations(filters):
    """For the sites' selection filters (a tuple per site): which sites each site nests in, and for each pair of sites
    the first pair of their selections that may overlap without nesting. Memoised: every run of a site list asks the same."""
    nested_in = dict((number, frozenset(other for other, theirs in enumerate(filters) if other != number and any(
        nests(inner, outer) for inner in mine for outer in theirs))) for number, mine in enumerate(filters))
    overlaps = {}
    for number, mine in enumerate(filters):
        for other, theirs in enumerate(filters):
            pair = next(((one, two) for one in mine for two in theirs if may_overlap(one, two)), None) if other != number else None
            if pair:
                overlaps.setdefault(number, []).append((other, pair))
    return nested_in, overlaps


@lru_cache(maxsize=1024)
def _orders(owned):
    return orders(owned)


def _reassert(entry, outers, requested, force):
    """Apply a nested site after the sites it nests in, which this run sets: its own state, or the forced one."""
    names = ', '.join('%s (%s)' % (outer['name'], outer['action']) for outer in outers)
    if entry.get('hold'):
        return entry['state'], 'nested: this run sets %s, which it nests in, and it is %s, so its phones are %s.' % (
            names, entry['reason'], entry['state'])
    if force and requested != 'auto':
        return requested, 'forced: %s, with %s, which it nests in: it is part of them, and office_hours_force is true.' % (requested, names)
    return entry['state'], ('nested: this run sets %s, which it nests in, so its own state follows: %s, so its phones are %s.'
                            % (names, condition(entry), entry['state']))


def _conflicts(planned, judged, overlaps):
    """A problem of each applied site whose selections may share phones, without nesting, with a site that demands
    another state now: no order of the two requests is safe. A withheld site sends nothing, so it conflicts with none."""
    for number, entry in planned.items():
        if entry['action'] not in _APPLIED or number not in judged:
            continue
        site, own = judged[number]
        for other, pair in overlaps.get(number, ()):
            if other not in judged or planned.get(other, {}).get('action') == 'withheld':
                continue
            other_site, theirs = judged[other]
            if theirs['state'] != own['state']:
                entry['problems'].append(
                    'its selection %s and the selection %s of site %s may hold the same phones, and neither nests in the other; '
                    'now %s demands %s and %s %s, so those phones get whichever request runs last. Make one selection refine '
                    'the other (add the other\'s filters to it), or give the shared phones a site of their own whose selection '
                    'has both sets of filters.'
                    % (describe(pair[0]), describe(pair[1]), other_site.name, site.name, own['state'], other_site.name, theirs['state']))


def plan(sites, state='auto', at=None, force=False, limit=None, defaults=None):
    """One plan entry per site the run acts on (see the office_hours_plan filter), in the order of the sites."""
    if state not in STATES:
        raise SiteError('office_hours_state must be auto, locked or unlocked, not %r' % (state,))
    try:
        force = boolean(force, strict=True)
    except TypeError:
        raise SiteError('office_hours_force must be a boolean (true or false), not %r' % (force,)) from None
    if not isinstance(sites, (list, tuple)) or not sites:
        raise SiteError('office_hours_sites must be a non-empty list of sites, not %s' % (
            'an empty list' if isinstance(sites, (list, tuple)) else type(sites).__name__))
    instant = parse_instant(at)
    read, nested_in, overlaps = _reading(sites, defaults)
    read = list(read)
    chosen = set(id(entry) for entry in select(read, limit))
    chosen = set(number for number, entry in enumerate(read) if id(entry) in chosen)
    # Every valid site is judged, also outside the limit: a site nested in a limited one is applied with it, and a held
    # site binds every run.
    judged = {}
    for number, entry in enumerate(read):
        if entry.site is None:
            continue
        try:
            judged[number] = (entry.site, status(entry.site, instant))
        except Exception as exc:  # pylint: disable=broad-except  # a value no check foresaw: this site's problem (I5)
            read[number] = entry._replace(site=None, problem=unforeseen(entry.where, entry.name, exc))
    found = covers(read, sites, defaults, judged, int(instant.timestamp()))
    at_text = judged[next(iter(judged))][1]['at'] if judged else instant.isoformat(timespec='seconds')[:19] + 'Z'
    planned = {}
    for number, entry in enumerate(read):
        if entry.site is None:
            # Reported also outside the limit: every site is checked, and the run fails at the end naming it.
            planned[number] = _invalid(entry, at_text, next((cover for cover in found if cover.number == number), None),
                                       number in chosen)
            continue
        if number not in chosen:
            continue
        planned[number] = dict(judged[number][1], requested=state, selections=[dict(item) for item in entry.site.selections],
                               nested_in=[], problems=[])
        planned[number]['action'], planned[number]['why'] = decide(judged[number][1], state, force)
    _include_nested(planned, judged, nested_in, state, force)
    _withhold(planned, judged, found)
    _conflicts(planned, judged, overlaps)
    numbers = sorted(planned)
    applied = set(number for number in numbers if planned[number]['action'] in _APPLIED)
    for number in applied:
        planned[number]['nested_in'] = [planned[other]['name'] for other in sorted(nested_in.get(number, frozenset()) & applied)]
    filters = dict((cover.number, cover.filters) for cover in found if cover.lock)
    filters.update((number, site.filters) for number, (site, dummy) in judged.items())
    owned = tuple((number, selection) for number in numbers if planned[number]['action'] in _APPLIED for selection in filters[number])
    sequence = iter(_orders(owned))
    for number in numbers:
        entry = planned[number]
        entry['order'] = [next(sequence) for dummy in entry['selections']] if entry['action'] in _APPLIED else []
    return [planned[number] for number in numbers]


def _withhold(planned, judged, found):
    """I1: withhold every unlock that could reach phones a locked hold covers; the only exception is a broader unlock
    whose held nested site the run locks right after it. A lock is never withheld: it notes the unlocked holds it
    overrides."""
    relocked = set(number for number, entry in planned.items()
                   if entry['action'] == 'locked' and number in judged and (entry.get('hold') or {}).get('state') == 'locked')
    unlocked_holds = [(site.name, site.filters, entry['reason']) for number, (site, entry) in judged.items()
                      if (entry.get('hold') or {}).get('state') == 'unlocked']
    for number, entry in planned.items():
        if number not in judged:
            continue
        site = judged[number][0]
        if entry['action'] == 'unlocked':
            why, kept = withheld(number, site.filters, found, relocked)
            if why:
                entry['action'], entry['why'] = 'withheld', why
                entry['problems'].append(why)
            for index, other, inner in kept:
                # I3: the held site's lock follows this unlock at once, and the unlock is undone if that lock fails.
                held = dict(judged[other][0].selections[inner], label=judged[other][0].name)
                entry['selections'][index].setdefault('keep_locked', []).append(held)
        elif entry['action'] == 'locked':
            overridden = unlocked_holds_overridden(site.filters, [hold for hold in unlocked_holds if hold[0] != site.name])
            if overridden:
                entry['why'] += ' The lock overrides the unlocked hold of %s: locking is the safe side.' % ', '.join(overridden)


def _reading(sites, defaults):
    """The sites as read, which sites each nests in, and which selections overlap without nesting (by site number)."""
    if not defaults and all(isinstance(site, Site) for site in sites):
        # Sites already parsed (the year simulation judges the same list at every minute): read them once.
        return _read_parsed(tuple(sites))
    read = read_sites(sites, defaults)
    return (read,) + _relations(tuple(entry.site.filters if entry.site else () for entry in read))


@lru_cache(maxsize=16)
def _read_parsed(sites):
    read = read_sites(list(sites))
    return (read,) + _relations(tuple(entry.site.filters if entry.site else () for entry in read))


def _include_nested(planned, judged, nested_in, state, force):
    """Apply every site nested in an applied one after it, until no more are found."""
    changed = True
    while changed:
        changed = False
        applied = set(number for number in planned if planned[number]['action'] in _APPLIED)
        for number, (site, entry) in judged.items():
            outers = sorted(nested_in.get(number, frozenset()) & applied)
            if not outers or number in applied:
                continue
            if number not in planned:
                planned[number] = dict(entry, requested=state, selections=[dict(item) for item in site.selections], problems=[])
            planned[number]['action'], planned[number]['why'] = _reassert(entry, [planned[other] for other in outers], state, force)
            changed = True


def requests(entries):
    """The phones tasks that carry out a plan, in order: [{state, order, sites, selections}], one per order and state
    that has selections; ``sites`` names the site of each selection. Lower orders first, each order's locks before its
    unlocks; one task finishes before the next starts."""
    steps = {}
    for entry in entries:
        if entry.get('action') not in _APPLIED:
            continue
        for order, selection in zip(entry['order'], entry['selections']):
            step = steps.setdefault((order, entry['action']), {'state': entry['action'], 'order': order, 'sites': [], 'selections': []})
            step['sites'].append(entry['name'])
            step['selections'].append(selection)
    return [steps[key] for key in sorted(steps, key=lambda key: (key[0], _APPLIED.index(key[1])))]
