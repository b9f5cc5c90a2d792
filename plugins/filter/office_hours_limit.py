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
  - With O(servers) and O(server), for a run on several UCX Suite servers (one inventory host each), returns the names
    of the sites of O(server) only, so that one limit can name sites of any server. A name that matches no site of any
    server fails, naming it and every server's sites. An empty result then means that the limit names none of this
    server's sites, which the C(imagicle.phonelock.office_hours) role reads as nothing to do on this server; an empty
    limit still returns an empty list (every site), so compare with the filter's result without O(servers).
  - With one server in O(servers), or O(server) not in it, the names come back unchanged.
options:
  _input:
    description: The value of C(office_hours_limit).
    type: raw
    required: true
  servers:
    description:
      - The run's servers, each inventory host's name to its C(office_hours_sites) (null for a host without).
      - Only the site names are read; the sites are checked where they are used.
    type: dict
  server:
    description: The inventory host whose sites the result is for, usually C(inventory_hostname).
    type: str
'''

EXAMPLES = r'''
- name: Loop over the sites of the limit, never over the characters of a string
  ansible.builtin.debug:
    msg: "{{ item }}"
  loop: "{{ office_hours_limit | imagicle.phonelock.office_hours_limit }}"

- name: The names of the limit that are this server's sites, in a play on several UCX Suite servers
  ansible.builtin.debug:
    msg: >-
      {{ office_hours_limit | imagicle.phonelock.office_hours_limit(servers=servers, server=inventory_hostname) }}
  vars:
    # The play's hosts that have sites.
    with_sites: "{{ ansible_play_hosts_all | map('extract', hostvars) | selectattr('office_hours_sites', 'defined') | list }}"
    servers: "{{ dict(with_sites | map(attribute='inventory_hostname') | zip(with_sites | map(attribute='office_hours_sites'))) }}"
'''

RETURN = r'''
_value:
  description: The names, in the order given (with O(servers), those of O(server)'s sites).
  type: list
  elements: str
  sample: [milano, roma]
'''

from ansible.errors import AnsibleFilterError

from ansible_collections.imagicle.phonelock.plugins.plugin_utils._site import SiteError
from ansible_collections.imagicle.phonelock.plugins.plugin_utils._sites import parse_limit, server_limit


def office_hours_limit(limit, servers=None, server=None):
    """office_hours_limit as a list of names; with servers, the names of this server's sites."""
    try:
        return parse_limit(limit) if servers is None else server_limit(limit, servers, server)
    except SiteError as exc:
        text = str(exc)
        # The messages about the option name it already.
        raise AnsibleFilterError(text if text.startswith('office_hours_limit ') else 'office_hours_limit: %s' % text) from None


class FilterModule:
    """The office_hours_limit filter."""

    def filters(self):
        return {'office_hours_limit': office_hours_limit}
