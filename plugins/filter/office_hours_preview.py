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
  - Every site is validated as for the C(imagicle.phonelock.office_hours_plan) filter; any problem fails the filter.
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
'''

RETURN = r'''
_value:
  description: One entry per site, in the given order.
  type: list
  elements: dict
  contains:
    name:
      description: The site's name.
      type: str
    timezone:
      description: The site's time zone.
      type: str
    state:
      description: The site's state at O(at).
      type: str
    reason:
      description: Why, at O(at); while locked, also what keeps the office days until the next opening closed.
      type: str
      sample: "closed: Immacolata Concezione (IT public holiday)"
    next:
      description:
        - The next transitions, each with C(at) (local ISO 8601), C(label), C(state), C(reason) and C(closed_days)
          (after a locking transition, the office days until the next opening that a holiday, a closed date or a hold
          keeps closed, also added to C(reason)).
      type: list
      elements: dict
    lines:
      description: The same as text lines, one per transition, for a summary.
      type: list
      elements: str
      sample: ["Wed 2026-12-09 08:00 CET  unlocked  open (Wed 08:00-18:00)"]
'''

from datetime import datetime, timedelta

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_text

from ansible_collections.imagicle.phonelock.plugins.plugin_utils._calendar import parse_instant, status
from ansible_collections.imagicle.phonelock.plugins.plugin_utils._instant import InstantError
from ansible_collections.imagicle.phonelock.plugins.plugin_utils._ics import closed_day, next_transitions
from ansible_collections.imagicle.phonelock.plugins.plugin_utils._site import SiteError
from ansible_collections.imagicle.phonelock.plugins.plugin_utils._sites import parse_sites


def office_hours_preview(sites, defaults=None, at=None, count=10, limit=None):
    """Each site's next transitions with their reasons (see DOCUMENTATION)."""
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 1000:
        raise AnsibleFilterError('office_hours_preview: count must be a whole number from 1 to 1000, not %r' % (count,))
    try:
        start = parse_instant(at, 'at')
        selected = parse_sites(sites, defaults, limit)
    except (SiteError, InstantError) as exc:
        raise AnsibleFilterError('office_hours_preview: %s' % to_text(exc)) from None
    preview = []
    for site in selected:
        now = status(site, start)
        upcoming = next_transitions(site, start, count)
        reason = now['reason']
        if now['state'] == 'locked' and upcoming:
            # What keeps the office closed until its next opening: a holiday tomorrow, a closed date.
            local, until = start.astimezone(site.zone).date(), datetime.fromisoformat(upcoming[0]['at']).date()
            reason += ''.join('; %s' % text for offset in range(1, (until - local).days) for text in closed_day(site, local + timedelta(days=offset)))
        preview.append({'name': site.name, 'timezone': site.timezone, 'state': now['state'], 'reason': reason, 'next': upcoming,
                        'lines': ['%s  %-8s  %s' % (item['label'], item['state'], item['reason']) for item in upcoming]})
    return preview


class FilterModule(object):
    def filters(self):
        return {'office_hours_preview': office_hours_preview}
