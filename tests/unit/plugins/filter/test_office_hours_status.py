# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The office_hours_status and office_hours_metrics filters: what the role passes them, and clear errors."""

from __future__ import annotations

import json
from unittest import mock

import pytest
from ansible.errors import AnsibleFilterError
from prometheus_client.parser import text_string_to_metric_families

from ansible_collections.imagicle.phonelock.plugins.filter import office_hours_status as status_filter
from ansible_collections.imagicle.phonelock.plugins.filter.office_hours_metrics import FilterModule as MetricsFilters
from ansible_collections.imagicle.phonelock.plugins.filter.office_hours_plan import office_hours_plan
from ansible_collections.imagicle.phonelock.plugins.filter.office_hours_report import office_hours_report

SITES = [{'name': 'milano', 'timezone': 'Europe/Rome', 'selections': [{'custom_field1': 'Milano'}]}]
PLAN = office_hours_plan(SITES, state='locked', at='2026-11-23T19:05:00+01:00')
APPLIED = {'results': [{'item': {'state': 'locked', 'sites': ['milano']}, 'results': [{'phones_matched': 90, 'phones_changed': 90, 'attempts': 1}]}]}
REPORT = office_hours_report(PLAN, applied=APPLIED)
status = status_filter.FilterModule().filters()['office_hours_status']
metrics = MetricsFilters().filters()['office_hours_metrics']


def test_previous_as_the_json_text_the_role_reads():
    first = status(REPORT, plan=PLAN, server='localhost')
    failed = office_hours_report(PLAN, applied={'results': [{'item': {'state': 'locked', 'sites': ['milano']}, 'failed': True, 'msg': 'boom'}]})
    later = status(failed, plan=PLAN, server='localhost', previous=json.dumps(first), sites=SITES)
    assert (later['sites'][0]['last_success'], later['sites'][0]['failed_runs']) == ('2026-11-23T18:05:00Z', 1)
    # No previous file: the role passes ''.
    assert status(REPORT, plan=PLAN, server='localhost', previous='')['sites'][0]['failed_runs'] == 0


def test_previous_text_that_is_not_json_carries_nothing_with_a_warning():
    with mock.patch.object(status_filter, 'display') as display:
        document = status(REPORT, plan=PLAN, server='localhost', previous='{"format": 1, "sit')
    assert document['sites'][0]['failed_runs'] == 0
    warning = display.warning.call_args[0][0]
    assert warning.startswith('office_hours_status: the previous status is not JSON (')
    assert warning.endswith('so nothing is carried over from it: the last successful runs and the failed runs start again')


@pytest.mark.parametrize('kwargs, message', [
    ({'server': 'localhost', 'previous': 3}, 'office_hours_status: previous must be the previous status document or its JSON text, not int'),
    ({'server': 'localhost', 'sites': 'milano'}, "office_hours_status: sites must be the list office_hours_sites, not 'milano'"),
    ({'server': None}, 'office_hours_status: server must name the UCX Suite server (the inventory host), not None'),
    ({'server': 'localhost', 'plan': []},
     'office_hours_status: the input must be the office_hours_report list and plan the office_hours_plan list of the same run'),
])
def test_wrong_arguments_are_named(kwargs, message):
    kwargs.setdefault('plan', PLAN)
    with pytest.raises(AnsibleFilterError) as caught:
        status(REPORT, **kwargs)
    assert str(caught.value) == message


def test_metrics_filter_renders_the_document():
    families = {family.name: family for family in text_string_to_metric_families(metrics(status(REPORT, plan=PLAN, server='localhost')))}
    sample = families['imagicle_phonelock_last_run_phones_changed'].samples[0]
    assert (sample.labels, sample.value) == ({'server': 'localhost', 'site': 'milano'}, 90)


def test_metrics_filter_names_a_wrong_input():
    with pytest.raises(AnsibleFilterError) as caught:
        metrics(REPORT)
    assert str(caught.value) == ('office_hours_metrics: the input must be a status document of format 1 '
                                 '(the office_hours_status filter returns one)')
