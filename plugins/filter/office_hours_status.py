# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
name: office_hours_status
short_description: The status document of an office hours run, per site, for monitoring
version_added: 1.2.0
author:
  - imagicle.phonelock contributors (@imagicle-phonelock)
description:
  - Takes the report of the C(imagicle.phonelock.office_hours_report) filter and the plan it reports on, and returns
    one document that says when the run judged the calendars, on which server, and per site the state wanted and
    applied, why, the phones matched and changed, the errors, the holds in force and the next transition.
  - Carries over from the O(previous) document what one run cannot know alone. The last successful run of a site
    (C(last_success)) stays when this run failed. The last state applied (C(last_state_applied)) stays when this run
    applied none, since the Phone Lock API cannot be read back, and C(in_wanted_state) compares it with the state
    wanted now. C(failed_runs) counts the failed runs. The sites a limited run left out are kept as they were, with
    C(in_last_run=false), as long as O(sites) still has them.
  - A site succeeded when it has no errors and was applied or skipped (its calendar said to leave it alone). In check
    mode (O(check_mode=true)) nothing was applied, so nothing carried over is updated.
  - Every string of the document is masked (C(********)) where it holds the url userinfo, the username, the password
    or their HTTP Basic token of O(connection), in any spelling, so that the document can be readable by monitoring users.
  - The C(imagicle.phonelock.office_hours_metrics) filter renders the document as Prometheus metrics.
positional: plan, server
options:
  _input:
    description: The list the C(imagicle.phonelock.office_hours_report) filter returned.
    type: list
    elements: dict
    required: true
  plan:
    description: The list the C(imagicle.phonelock.office_hours_plan) filter returned, which that report reports on.
    type: list
    elements: dict
    required: true
  server:
    description: The UCX Suite server the run acted on, the inventory host (C(inventory_hostname)) in the role.
    type: str
    required: true
  playbook:
    description: What ran, for people; the role gives the play's name.
    type: str
  at:
    description:
      - The run's instant (ISO 8601 with an offset) when no plan entry has one; empty means now. The instant the plan
        judged wins.
    type: str
  previous:
    description:
      - The previous status document, as a dictionary or as its JSON text. Empty, another format or text that is not
        JSON carries nothing over (the latter with a warning).
    type: raw
  sites:
    description:
      - The run's sites (the role's C(office_hours_sites)); sites of O(previous) that are not among them are dropped.
        When not given, every site of O(previous) is kept.
    type: list
    elements: raw
  connection:
    description: The connection options whose credentials must never reach the document.
    type: dict
    suboptions:
      url:
        description: The server's base URL; the user and password written into it are masked.
        type: str
      username:
        description: The API user, masked wherever it appears whole.
        type: str
      password:
        description: The API password, masked whole and in fragments of 8 characters.
        type: str
  check_mode:
    description: The run was in check mode (C(ansible_check_mode)), so it applied nothing.
    type: bool
    default: false
'''

EXAMPLES = r'''
- name: The run's status, with what the previous status file knew
  ansible.builtin.set_fact:
    status: >-
      {{ office_hours_report | imagicle.phonelock.office_hours_status(plan=office_hours_plan, server=inventory_hostname,
           previous=previous_status_text, sites=office_hours_sites,
           connection={'url': office_hours_url, 'username': office_hours_username, 'password': office_hours_password}) }}

- name: Sites that are not in the state their calendar wants
  ansible.builtin.debug:
    msg: "{{ status.sites | rejectattr('in_wanted_state') | map(attribute='name') | list }}"
'''

RETURN = r'''
_value:
  description: The status document.
  type: dict
  contains:
    format:
      description: The version of this layout, V(1).
      type: int
      sample: 1
    time:
      description: The instant the run judged the calendars, UTC.
      type: str
      sample: "2026-11-23T18:05:00Z"
    playbook:
      description: O(playbook).
      type: str
      sample: Lock the phones of every site whose office is closed now
    server:
      description: O(server).
      type: str
      sample: ucx-milano
    check_mode:
      description: O(check_mode).
      type: bool
      sample: false
    succeeded:
      description: Every site of this run succeeded.
      type: bool
      sample: true
    sites:
      description: One entry per site of this run, in plan order, then the sites carried over from O(previous).
      type: list
      elements: dict
      contains:
        name:
          description: The site's name.
          type: str
          sample: milano
        in_last_run:
          description: The site was part of this run; V(false) for a site carried over as it was.
          type: bool
          sample: true
        last_run:
          description: The instant of the last run that included the site, UTC.
          type: str
          sample: "2026-11-23T18:05:00Z"
        timezone:
          description: The site's time zone.
          type: str
          sample: Europe/Rome
        local_time:
          description: The run's instant in the site's time zone, for people.
          type: str
          sample: Mon 2026-11-23 19:05 CET
        requested:
          description: What the run asked for, V(auto), V(locked) or V(unlocked).
          type: str
          sample: locked
        state_wanted:
          description: The state the site's calendar, or a hold in force, wanted; V(null) for a site that is not valid.
          type: str
          sample: locked
        action:
          description: The plan's action, V(locked), V(unlocked), V(skip), V(invalid) or V(withheld).
          type: str
          sample: locked
        outcome:
          description: The report's outcome, V(applied), V(failed), V(skipped), V(not run), V(invalid) or V(withheld).
          type: str
          sample: applied
        state_applied:
          description: The state this run applied to the site's phones; V(null) when it applied none.
          type: str
          sample: locked
        reason:
          description: The plan's sentence for the site.
          type: str
          sample: "locked as requested: the office is closed until Tue 08:00."
        phones_matched:
          description: The phones the server said matched; V(null) when unknown.
          type: int
          sample: 15
        phones_changed:
          description: The phones the server said changed state; V(null) when unknown.
          type: int
          sample: 15
        errors:
          description: The site's errors in this run.
          type: list
          elements: str
          sample: []
        succeeded:
          description: The site has no errors and was applied or skipped.
          type: bool
          sample: true
        holds:
          description: The hold in force on the site (none or one), as the C(hold) of the C(imagicle.phonelock.office_hours) filter.
          type: list
          elements: dict
          sample: []
        next_transition:
          description: When the site's state changes next, local ISO 8601; V(null) when not within 400 days.
          type: str
          sample: "2026-11-24T08:00:00+01:00"
        next_state:
          description: The state from C(next_transition) on.
          type: str
          sample: unlocked
        last_success:
          description: The instant of the last run in which the site succeeded, UTC; V(null) before the first.
          type: str
          sample: "2026-11-23T18:05:00Z"
        last_state_applied:
          description: The last state a run applied to the site's phones; V(null) before the first.
          type: str
          sample: locked
        last_state_applied_at:
          description: When that run judged the calendars, UTC.
          type: str
          sample: "2026-11-23T18:05:00Z"
        in_wanted_state:
          description: C(last_state_applied) is C(state_wanted); V(false) when either is unknown.
          type: bool
          sample: true
        failed_runs:
          description: The runs in which the site failed, counted since the first status document.
          type: int
          sample: 0
'''

import json
from collections.abc import Mapping

from ansible.errors import AnsibleFilterError
from ansible.utils.display import Display

from ansible_collections.imagicle.phonelock.plugins.plugin_utils._status import StatusError, status_document

display = Display()


def _previous(previous):
    if previous is None or previous == '' or isinstance(previous, Mapping):
        return previous or None
    if isinstance(previous, str):
        try:
            return json.loads(previous)
        except ValueError as exc:
            display.warning('office_hours_status: the previous status is not JSON (%s), so nothing is carried over from it: '
                            'the last successful runs and the failed runs start again' % exc)
            return None
    raise AnsibleFilterError('office_hours_status: previous must be the previous status document or its JSON text, not %s' % type(previous).__name__)


def office_hours_status(report, plan=None, server=None, playbook=None, at=None, previous=None, sites=None, connection=None, check_mode=False):
    """The run's status document, with what the previous one knew, and no credential of the connection."""
    if sites is not None and not isinstance(sites, (list, tuple)):
        raise AnsibleFilterError('office_hours_status: sites must be the list office_hours_sites, not %r' % (sites,))
    try:
        return status_document(report, plan, server, playbook=playbook, at=at, previous=_previous(previous), sites=sites,
                               connection=connection, check_mode=check_mode)
    except StatusError as exc:
        raise AnsibleFilterError('office_hours_status: %s' % exc) from None


class FilterModule:
    """The office_hours_status filter."""

    def filters(self):
        return {'office_hours_status': office_hours_status}
