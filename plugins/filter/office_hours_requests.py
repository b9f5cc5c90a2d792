# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
name: office_hours_requests
short_description: The ordered phones tasks that carry out an office hours plan
version_added: 1.1.0
author:
  - imagicle.phonelock contributors (@imagicle-phonelock)
description:
  - Takes the plan of the C(imagicle.phonelock.office_hours_plan) filter and groups the selections of the sites it
    applies into M(imagicle.phonelock.phones) tasks, one per C(order) and state, in the order to run them.
  - Lower orders first, and each order's locks before its unlocks. Run them one after the other (a loop does); then the
    request of a broader site has finished before the request of a site nested in it is sent, and every phone ends in
    the state of the most specific site that holds it.
  - The C(imagicle.phonelock.office_hours) role loops its phones task over this list and passes the registered result
    to the C(imagicle.phonelock.office_hours_report) filter as O(imagicle.phonelock.office_hours_report#filter:applied).
options:
  _input:
    description: The list the C(imagicle.phonelock.office_hours_plan) filter returned.
    type: list
    elements: dict
    required: true
'''

EXAMPLES = r'''
- name: Run the plan, broader sites first
  imagicle.phonelock.phones:
    state: "{{ item.state }}"
    selections: "{{ item.selections }}"
  loop: "{{ office_hours_sites | imagicle.phonelock.office_hours_plan | imagicle.phonelock.office_hours_requests }}"
  loop_control:
    label: "{{ item.state }}: {{ item.sites | unique | join(', ') }}"
'''

RETURN = r'''
_value:
  description: One entry per phones task, in the order to run them; no entry for a state or order without selections.
  type: list
  elements: dict
  contains:
    state:
      description: The task's state, V(locked) or V(unlocked).
      type: str
      sample: locked
    order:
      description: The plan's C(order) of every selection of the task.
      type: int
      sample: 0
    sites:
      description: The site of each selection, in the order of C(selections).
      type: list
      elements: str
      sample: [milano, roma]
    selections:
      description: The selections, for the C(selections) option of M(imagicle.phonelock.phones).
      type: list
      elements: dict
      sample: [{"custom_field1": "Milano"}, {"custom_field1": "Roma"}]
'''

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

from ansible_collections.imagicle.phonelock.plugins.plugin_utils._plan import requests


def office_hours_requests(plan):
    """The phones tasks of a plan, in order (see DOCUMENTATION)."""
    if not isinstance(plan, (list, tuple)) or not all(isinstance(entry, Mapping) and 'action' in entry for entry in plan):
        raise AnsibleFilterError('office_hours_requests: the input must be the list office_hours_plan returned, not %r' % (plan,))
    return requests(plan)


class FilterModule:
    """The office_hours_requests filter."""

    def filters(self):
        return {'office_hours_requests': office_hours_requests}
