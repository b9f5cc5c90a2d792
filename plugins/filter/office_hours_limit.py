# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
name: office_hours_limit
short_description: The site names of an office_hours_limit value, however it was written
version_added: 1.1.0
author:
  - imagicle.phonelock contributors (@imagicle-phonelock)
description:
  - Reads the role variable C(office_hours_limit) as every filter of the collection reads it, and returns the list of
    names. A list of names, or one comma-separated string (C(-e office_hours_limit=milano,roma) on a command line).
  - Blank names are dropped; an empty result means every site. Whether each name matches a site (ignoring case) is
    checked where the sites are read, by the C(imagicle.phonelock.office_hours_plan), C(imagicle.phonelock.office_hours_timers)
    and C(imagicle.phonelock.office_hours_rrules) filters.
  - Anything else (a number, a dictionary, a list with a non-string) fails with a message that names C(office_hours_limit).
options:
  _input:
    description: The value of C(office_hours_limit).
    type: raw
    required: true
'''

EXAMPLES = r'''
- name: Loop over the sites of the limit, never over the characters of a string
  ansible.builtin.debug:
    msg: "{{ item }}"
  loop: "{{ office_hours_limit | imagicle.phonelock.office_hours_limit }}"
'''

RETURN = r'''
_value:
  description: The names, in the order given.
  type: list
  elements: str
  sample: [milano, roma]
'''

from ansible.errors import AnsibleFilterError

from ansible_collections.imagicle.phonelock.plugins.plugin_utils._site import SiteError
from ansible_collections.imagicle.phonelock.plugins.plugin_utils._sites import parse_limit


def office_hours_limit(limit):
    """office_hours_limit as a list of names."""
    try:
        return parse_limit(limit)
    except SiteError as exc:
        raise AnsibleFilterError('office_hours_limit: %s' % exc) from None


class FilterModule:
    """The office_hours_limit filter."""

    def filters(self):
        return {'office_hours_limit': office_hours_limit}
