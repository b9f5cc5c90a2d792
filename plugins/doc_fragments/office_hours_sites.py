# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    # The site list and its defaults, as the filters that read every site (schedulers, preview, .ics) take them.
    DOCUMENTATION = r'''
options:
  _input:
    description: The sites, in the format of the role variable C(office_hours_sites).
    type: list
    elements: dict
    required: true
  defaults:
    description: The role-wide site defaults, in the format of the role variable C(office_hours_defaults).
    type: dict
'''

    # office_hours_limit as those filters read it (plugin_utils._sites.select).
    LIMIT = r'''
options:
  limit:
    description:
      - Only these sites. An empty list or no value is every site.
      - Names match ignoring case. A string is read as a comma-separated list (C(milano,roma)).
      - Naming a site that is not among the sites is an error.
    type: list
    elements: str
'''
