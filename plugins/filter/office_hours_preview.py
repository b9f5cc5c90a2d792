# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
name: office_hours_preview
short_description: Each office_hours site's next transitions, with their reasons
version_added: 1.1.0
author:
  - imagicle.phonelock contributors (@imagicle-phonelock)
description:
  - For each site of the C(imagicle.phonelock.office_hours) role, its state at O(at) and its next O(count) transitions
    (within 400 days), each with the reason for the state it enters, as the role's runs apply them, public holidays,
    special days and holds included.
  - The C(imagicle.phonelock.preview) playbook prints it.
  - Sites are judged as the role's runs judge them (the C(imagicle.phonelock.office_hours_plan) filter). A site with a
    problem of its own (a bad value, C(holidays) while the C(holidays) Python package is missing) is listed with its
    C(problems) and no transitions, also when O(limit) leaves it out, and the other sites are still shown. When a
    locked hold of such a site is in force, its C(state) is V(locked), as the runs lock its phones.
  - Bad O(defaults), sites that are not a list, and a O(limit) that names no site fail the filter.
positional: defaults, at, count, limit
extends_documentation_fragment:
  - imagicle.phonelock.office_hours_sites
  - imagicle.phonelock.office_hours_sites.limit
options:
  at:
    description: The instant to start from, an ISO 8601 date and time with an offset. Default now.
    type: str
  count:
    description: How many transitions of each site (1 to 1000).
    type: int
    default: 10
'''

EXAMPLES = r'''
- name: Show the next transitions of every site
  ansible.builtin.debug:
    msg: "{{ office_hours_sites | imagicle.phonelock.office_hours_preview(office_hours_defaults, count=5) }}"

- name: The problems of the sites that are not valid (empty when every site is valid)
  ansible.builtin.debug:
    msg: "{{ office_hours_sites | imagicle.phonelock.office_hours_preview(office_hours_defaults) | map(attribute='problems') | flatten }}"
'''

RETURN = r'''
_value:
  description:
    - One entry per site that O(limit) names, and one per site that is not valid, in the order of the sites.
  type: list
  elements: dict
  contains:
    name:
      description: The site's name.
      type: str
    timezone:
      description: The site's time zone; V(null) for a site that is not valid.
      type: str
    state:
      description:
        - The site's state at O(at).
        - V(null) for a site that is not valid, unless a locked hold of it is in force (V(locked)).
      type: str
    reason:
      description:
        - Why, at O(at); while locked, also what keeps the office days until the next opening closed.
        - For a site that is not valid, its problem (and its hold, when one is in force).
      type: str
      sample: "closed: Immacolata Concezione (IT public holiday)"
    problems:
      description: What is wrong with a site that is not valid, in its coordinates; empty for a valid site.
      type: list
      elements: str
      sample: []
    next:
      description:
        - The next transitions, each with C(at) (local ISO 8601), C(label), C(state), C(reason) and C(closed_days)
          (after a locking transition, the office days until the next opening that a holiday, a closed date or a hold
          keeps closed, also added to C(reason)).
      type: list
      elements: dict
    lines:
      description: The same as text lines, one per transition, for a summary; for a site that is not valid, its problem.
      type: list
      elements: str
      sample: ["Wed 2026-12-09 08:00 CET  unlocked  open (Wed 08:00-18:00)"]
'''

from datetime import datetime, timedelta

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_text

from ansible_collections.imagicle.phonelock.plugins.plugin_utils._calendar import parse_instant, status
from ansible_collections.imagicle.phonelock.plugins.plugin_utils._guard import covers
from ansible_collections.imagicle.phonelock.plugins.plugin_utils._instant import InstantError
from ansible_collections.imagicle.phonelock.plugins.plugin_utils._ics import closed_day, next_transitions, read
from ansible_collections.imagicle.phonelock.plugins.plugin_utils._site import SiteError
from ansible_collections.imagicle.phonelock.plugins.plugin_utils._sites import unforeseen


def _shown(site, now, upcoming, start):
    reason = now['reason']
    if now['state'] == 'locked' and upcoming:
        # What keeps the office closed until its next opening: a holiday tomorrow, a closed date.
        local, until = start.astimezone(site.zone).date(), datetime.fromisoformat(upcoming[0]['at']).date()
        reason += ''.join('; %s' % text for offset in range(1, (until - local).days) for text in closed_day(site, local + timedelta(days=offset)))
    return {'name': site.name, 'timezone': site.timezone, 'state': now['state'], 'reason': reason, 'next': upcoming,
            'lines': ['%s  %-8s  %s' % (item['label'], item['state'], item['reason']) for item in upcoming], 'problems': []}


def _invalid(entry, cover, chosen):
    """A site that is not valid, as the runs judge it: left out, unless a locked hold in force covers what can be read of
    it (then the runs lock its phones)."""
    if cover is not None and cover.lock and chosen:
        state, reason = 'locked', cover.why
        line = '%s: its hold still applies, so its phones are locked; the rest of the site is left out.' % cover.why
    else:
        state, reason = None, cover.why if cover is not None else 'not valid, left out: %s' % entry.problem
        line = reason
    return {'name': entry.name or entry.where, 'timezone': None, 'state': state, 'reason': reason, 'next': [], 'lines': [line],
            'problems': [entry.problem]}


def office_hours_preview(sites, defaults=None, at=None, count=10, limit=None):
    """Each site's next transitions with their reasons (see DOCUMENTATION)."""
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 1000:
        raise AnsibleFilterError('office_hours_preview: count must be a whole number from 1 to 1000, not %r' % (count,))
    try:
        start = parse_instant(at, 'at')
        entries, chosen = read(sites, defaults, limit)
    except (SiteError, InstantError) as exc:
        raise AnsibleFilterError('office_hours_preview: %s' % to_text(exc)) from None
    # Judged as the runs judge: every valid site at ``at`` (a held one binds the others), a site with a problem of its
    # own is that site's error, and no value of one site stops the preview of the others.
    judged, shown = {}, {}
    for number, entry in enumerate(entries):
        if entry.site is None:
            continue
        try:
            now = status(entry.site, start)
            if number in chosen:
                shown[number] = _shown(entry.site, now, next_transitions(entry.site, start, count), start)
            judged[number] = (entry.site, now)
        except Exception as exc:  # pylint: disable=broad-except
            entries[number] = entry._replace(site=None, problem=unforeseen(entry.where, entry.name, exc))
    found = dict((cover.number, cover) for cover in covers(entries, sites, defaults, judged, int(start.timestamp())))
    preview = []
    for number, entry in enumerate(entries):
        if number in shown:
            preview.append(shown[number])
        elif entry.site is None:
            # Named also outside the limit, as the runs name it.
            preview.append(_invalid(entry, found.get(number), number in chosen))
    return preview


class FilterModule(object):
    def filters(self):
        return {'office_hours_preview': office_hours_preview}
