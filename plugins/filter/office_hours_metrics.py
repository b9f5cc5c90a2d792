# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
name: office_hours_metrics
short_description: Prometheus metrics of an office hours status document, for node_exporter's textfile collector
version_added: 1.2.0
author:
  - imagicle.phonelock contributors (@imagicle-phonelock)
description:
  - Renders the document of the C(imagicle.phonelock.office_hours_status) filter in the Prometheus text exposition
    format (0.0.4), without timestamps, as node_exporter's textfile collector reads it from a C(.prom) file.
  - Every metric is named C(imagicle_phonelock_...) and has the labels C(server) and C(site); per-state metrics add
    C(state) (V(locked) or V(unlocked)).
  - C(last_run_timestamp_seconds), C(last_success_timestamp_seconds) (absent before the first success),
    C(last_run_success), C(wanted_state), C(applied_state) (absent before the first state applied), C(in_wanted_state),
    C(last_run_phones_matched) and C(last_run_phones_changed) (absent when the server gave no count, as in check mode),
    C(last_run_errors), C(failed_runs_total) (a counter), C(holds_active) and C(next_transition_timestamp_seconds).
  - Write it where node_exporter's C(--collector.textfile.directory) points, atomically (M(ansible.builtin.copy)
    writes a temporary file in the same folder and renames it), so that a scrape never reads half a file.
options:
  _input:
    description: The document the C(imagicle.phonelock.office_hours_status) filter returned.
    type: dict
    required: true
'''

EXAMPLES = r'''
- name: Write the metrics for node_exporter
  ansible.builtin.copy:
    content: "{{ status | imagicle.phonelock.office_hours_metrics }}"
    dest: /var/lib/prometheus/node-exporter/imagicle_phonelock.prom
    mode: "0644"
  # imagicle_phonelock_last_run_timestamp_seconds{server="localhost",site="milano"} 1795457100
  # imagicle_phonelock_in_wanted_state{server="localhost",site="milano"} 1
'''

RETURN = r'''
_value:
  description: The metrics, one C(# HELP) and one C(# TYPE) line per metric, then its samples, ending with a newline.
  type: str
  sample: |
    # HELP imagicle_phonelock_in_wanted_state 1 when the last state applied is the state wanted at the last run, else 0 (also when unknown).
    # TYPE imagicle_phonelock_in_wanted_state gauge
    imagicle_phonelock_in_wanted_state{server="localhost",site="milano"} 1
'''

from ansible.errors import AnsibleFilterError

from ansible_collections.imagicle.phonelock.plugins.plugin_utils._status import StatusError, metrics_text


def office_hours_metrics(document):
    """The Prometheus text of a status document."""
    try:
        return metrics_text(document)
    except StatusError as exc:
        raise AnsibleFilterError('office_hours_metrics: %s' % exc) from None


class FilterModule:
    """The office_hours_metrics filter."""

    def filters(self):
        return {'office_hours_metrics': office_hours_metrics}
