# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
name: office_hours_plan
short_description: What a lock, unlock or auto run should do at each site, by its office calendar
version_added: 1.0.0
author:
  - imagicle.phonelock contributors (@imagicle-phonelock)
description:
  - Judges every site at one instant with the C(imagicle.phonelock.office_hours) filter and decides, per site, whether
    a run locks its phones, unlocks them or leaves them alone, with one sentence that says why.
  - V(auto) applies the state the calendar demands (V(unlocked) while the office is open, V(locked) otherwise).
  - V(locked) and V(unlocked) apply where the calendar agrees and skip the other sites, so a scheduler that fires late
    or a run started by hand never locks an open office nor unlocks a closed one. O(force=true) applies them anyway.
  - Every site is validated, also those that O(limit) leaves out. A problem fails the filter with a message that names
    the site and the key.
  - The C(imagicle.phonelock.office_hours) role runs the plan's selections in one M(imagicle.phonelock.phones) task
    per state, then matches the results to the sites with the C(imagicle.phonelock.office_hours_report) filter.
positional: state, at, force, limit, defaults
options:
  _input:
    description:
      - The sites, in the format of the role variable C(office_hours_sites); see the C(imagicle.phonelock.office_hours)
        filter for the keys of a site. Site names must be unique, ignoring case.
    type: list
    elements: dict
    required: true
  state:
    description: What the run asks for.
    type: str
    choices: [auto, locked, unlocked]
    default: auto
  at:
    description:
      - The instant to judge every site at, as ISO 8601 with an offset (C(2026-11-23T19:05:00+01:00)).
      - Evaluated once for all sites. None or an empty string means now.
    type: str
  force:
    description: Apply V(locked) or V(unlocked) also where the calendar disagrees. Has no effect with V(auto).
    type: bool
    default: false
  limit:
    description:
      - Plan only the sites with these names (ignoring case), in the order of the sites. A string is read as a
        comma-separated list.
      - None or an empty list plans every site. A name that matches no site is an error.
    type: list
    elements: str
  defaults:
    description: Role-wide C(days), C(opens), C(closes) and C(closed_dates), as for the C(imagicle.phonelock.office_hours) filter.
    type: dict
'''

EXAMPLES = r'''
- name: Plan a nightly lock run; sites whose office is still open are skipped
  ansible.builtin.set_fact:
    plan: "{{ office_hours_sites | imagicle.phonelock.office_hours_plan(state='locked') }}"

- name: Show what each site will do, and why
  ansible.builtin.debug:
    msg: "{{ plan | map(attribute='why') | list }}"
  # - "locked as requested: the office is closed until Tue 08:00."
  # - "skipped: the office is open until 18:00 (Mon 08:00-18:00); a locked run never locks an open office.
  #    Set office_hours_force: true to lock anyway."

- name: The selections to lock, all sites together, for one phones task
  ansible.builtin.debug:
    msg: "{{ plan | selectattr('action', 'eq', 'locked') | map(attribute='selections') | flatten(levels=1) }}"
'''

RETURN = r'''
_value:
  description:
    - One entry per site, in the order of the sites (only the sites in O(limit) when it is given).
    - Each entry holds everything the C(imagicle.phonelock.office_hours) filter returns (C(name), C(timezone), C(at),
      C(local_time), C(local_label), C(open), C(state), C(reason), C(next_transition), C(next_state), C(next_label))
      and the keys below.
  type: list
  elements: dict
  contains:
    requested:
      description: The state the run asked for, O(state).
      type: str
      sample: locked
    action:
      description: What the run does at this site, V(locked), V(unlocked), or V(skip).
      type: str
      sample: skip
    why:
      description: One sentence for the run's summary.
      type: str
      sample: >-
        skipped: the office is open until 18:00 (Mon 08:00-18:00); a locked run never locks an open office.
        Set office_hours_force: true to lock anyway.
    selections:
      description: The site's selections, as given, for the C(selections) option of M(imagicle.phonelock.phones).
      type: list
      elements: dict
      sample: [{"department": "Sales", "custom_field1": "Milano"}]
'''

from datetime import date
from functools import lru_cache

from ansible.errors import AnsibleFilterError
from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.imagicle.phonelock.plugins.plugin_utils.office_hours import (
    HORIZON_DAYS,
    SiteError,
    parse_instant,
    parse_site,
    status,
)

STATES = ('auto', 'locked', 'unlocked')


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
    if next_transition is None:
        return 'the office is closed, with no opening in the next %d days' % HORIZON_DAYS
    return 'the office is closed until %s' % _until(local_date, next_transition, next_label)


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


def decide(entry, requested, force):
    """(action, why) for one site's status entry, a requested state (auto, locked, unlocked) and the force flag."""
    condition = _condition(entry['open'], entry['reason'], entry['local_time'][:10], entry['next_transition'], entry['next_label'])
    return _decision(entry['state'], condition, requested, force)


def _wanted(limit, names):
    """The lower-cased names to plan, or None for every site."""
    if limit is None or limit == '':
        return None
    if isinstance(limit, str):
        limit = [name.strip() for name in limit.split(',') if name.strip()]
    if not isinstance(limit, (list, tuple)) or not all(isinstance(name, str) for name in limit):
        raise AnsibleFilterError('office_hours_plan: limit must be a list of site names (or a comma-separated string), not %r' % (limit,))
    if not limit:
        return None
    known = set(name.lower() for name in names)
    unknown = [name for name in limit if name.lower() not in known]
    if unknown:
        raise AnsibleFilterError('office_hours_plan: limit names %s, which match%s no site; the sites are %s'
                                 % (', '.join(repr(name) for name in unknown), 'es' if len(unknown) == 1 else '', ', '.join(names)))
    return set(name.lower() for name in limit)


def office_hours_plan(sites, state='auto', at=None, force=False, limit=None, defaults=None):
    """One plan entry per site: its status at ``at``, the action for ``state`` and why."""
    if state not in STATES:
        raise AnsibleFilterError('office_hours_plan: state must be auto, locked or unlocked, not %r' % (state,))
    try:
        force = boolean(force, strict=True)
    except TypeError:
        raise AnsibleFilterError('office_hours_plan: force must be a boolean (true or false), not %r' % (force,)) from None
    if not isinstance(sites, (list, tuple)) or not sites:
        raise AnsibleFilterError('office_hours_plan: the sites must be a non-empty list of sites, not %r' % (sites,))
    try:
        instant = parse_instant(at)
        parsed = []
        seen = {}
        for index, raw in enumerate(sites):
            site = parse_site(raw, defaults, where='sites[%d]' % index)
            other = seen.setdefault(site.name.lower(), index)
            if other != index:
                raise SiteError('sites[%d] (%s): name is already used by sites[%d] (%s); site names must be unique, ignoring case'
                                % (index, site.name, other, parsed[other].name))
            parsed.append(site)
        wanted = _wanted(limit, [site.name for site in parsed])
        plan = []
        for site in parsed:
            if wanted is not None and site.name.lower() not in wanted:
                continue
            entry = status(site, instant)
            action, why = decide(entry, state, force)
            entry.update(requested=state, action=action, why=why, selections=[dict(item) for item in site.selections])
            plan.append(entry)
        return plan
    except SiteError as exc:
        raise AnsibleFilterError('office_hours_plan: %s' % exc) from None


class FilterModule:
    """The office_hours_plan filter."""

    def filters(self):
        return {'office_hours_plan': office_hours_plan}
