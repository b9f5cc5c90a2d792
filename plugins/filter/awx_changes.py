# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
name: awx_changes
short_description: What the awx_setup playbook must create, update or remove on AWX, from what it read there
version_added: 1.2.0
author:
  - imagicle.phonelock contributors (@imagicle-phonelock)
description:
  - Compares the objects that the C(imagicle.phonelock.awx_setup) playbook sets up on AWX / Automation Controller
    (the credential type, a credential and three job templates per UCX Suite server, the schedules of the sites) with
    the lists it read from the controller, field by field, and returns only those that are missing or differ. The
    playbook then calls a controller module for those only, so a run that changes nothing sends only the reads.
  - Compared are exactly the fields the playbook sets. A credential's password cannot be compared (the controller
    answers C($encrypted$)); with O(update_secrets) every credential is returned, to send its password.
  - A job template's instance groups are compared in order (the first is tried first), its credentials and
    notification templates as sets, as the controller modules compare them.
  - An instance group or execution environment name the controller does not have is reported in RV(_value.problems),
    naming the option it came from, so that the playbook can fail before any change.
  - Built for the playbook; its input shapes may change with it.
options:
  _input:
    description:
      - What the controller has, as read with the C(controller_api) lookup of C(awx.awx) or C(ansible.controller).
      - C(organization), the organization's id; C(credential_types), C(credentials), C(job_templates),
        C(schedules), C(projects), C(inventories), C(notification_templates), C(instance_groups) and
        C(execution_environments), lists of objects as the API answers them.
      - C(links), a job template's id to its association lists as read (C(instance_groups),
        C(notification_templates_error), C(notification_templates_success), C(notification_templates_started)).
        A job template whose lists were not read is returned as differing.
    type: dict
    required: true
  wanted:
    description:
      - What the playbook sets. C(marker), C(schedule_names) (a regular expression), C(project), C(inventory),
        C(organization_name), C(credential_type), C(credentials) (C(name), C(description), C(inputs) without the
        password, C(server)), C(job_templates) (C(name), C(description), C(playbook), C(limit), C(credential),
        C(ask_variables_on_launch), C(allow_simultaneous), C(notifications) or null, C(instance_groups),
        C(execution_environment)) and C(schedules) (C(name), C(template), C(description), C(rrule),
        C(extra_data), C(enabled)).
    type: dict
    required: true
  update_secrets:
    description: Whether the passwords are sent again (C(phonelock_awx_update_secrets)).
    type: bool
    default: false
'''

EXAMPLES = r'''
- name: Work out what differs, then create or update only that
  ansible.builtin.set_fact:
    phonelock_awx_plan: "{{ phonelock_awx_found | imagicle.phonelock.awx_changes(phonelock_awx_wanted) }}"

- name: Update only the job templates that differ
  awx.awx.job_template:
    name: "{{ item.name }}"
    organization: Default
    project: Phone Lock
    inventory: Phone Lock
    playbook: "{{ item.playbook }}"
    instance_groups: "{{ item.instance_group_ids }}"
    execution_environment: "{{ item.execution_environment_id | default(omit, true) }}"
  loop: "{{ phonelock_awx_plan.job_templates }}"
'''

RETURN = r'''
_value:
  description: What to change.
  type: dict
  contains:
    problems:
      description: What keeps the run from working (an unknown instance group, execution environment, project or inventory).
      type: list
      elements: str
      sample:
        - 'instance_groups of phonelock_awx_servers entry "ucx-apac" names "apac-nodes", which is not an instance group of the controller (it has: default)'
    credential_type:
      description: Whether the credential type is missing or differs.
      type: bool
    credentials:
      description: The wanted credentials to create or update, each with C(new) (none of that name yet).
      type: list
      elements: dict
    job_templates:
      description:
        - The wanted job templates to create or update, each with C(id) (null when new), C(new), C(unresolved) (a
          notification template name without an id yet, in check mode), C(instance_group_ids) and
          C(execution_environment_id) (strings, for the module), C(notification_ids) (by event, or null when not
          managed) and C(clear_execution_environment) (the controller's template has one and none is wanted).
      type: list
      elements: dict
    schedules:
      description: The wanted schedules to create or update, each with C(new).
      type: list
      elements: dict
    stale_schedules:
      description: The schedules named like the playbook's on its own job templates that no site needs any more.
      type: list
      elements: dict
    stale_templates:
      description: The marked job templates that the playbook no longer names.
      type: list
      elements: dict
    stale_credentials:
      description: The marked credentials of servers that were dropped.
      type: list
      elements: dict
    template_names:
      description: The ids of the marked job templates found, to their names.
      type: dict
    unchanged:
      description: How many wanted credentials, job templates and schedules already are as wanted.
      type: dict
      sample: {credentials: 100, job_templates: 300, schedules: 1000}
'''

from ansible.errors import AnsibleFilterError

from ansible_collections.imagicle.phonelock.plugins.plugin_utils._awx_changes import AwxChangesError, plan


def awx_changes(found, wanted, update_secrets=False):
    """The objects to create, update or remove on the controller."""
    try:
        return plan(found, wanted, update_secrets)
    except AwxChangesError as exc:
        raise AnsibleFilterError('awx_changes: %s' % exc) from None


class FilterModule:
    """The awx_changes filter."""

    def filters(self):
        return {'awx_changes': awx_changes}
