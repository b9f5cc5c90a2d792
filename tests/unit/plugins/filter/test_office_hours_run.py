# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The filters of a role run: office_hours_limit, office_hours_requests, and office_hours_report over the looped task."""

from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.imagicle.phonelock.plugins.filter import office_hours_limit, office_hours_plan, office_hours_report, office_hours_requests

limit_filter = office_hours_limit.FilterModule().filters()['office_hours_limit']
plan_filter = office_hours_plan.FilterModule().filters()['office_hours_plan']
requests_filter = office_hours_requests.FilterModule().filters()['office_hours_requests']
report_filter = office_hours_report.FilterModule().filters()['office_hours_report']

MILANO = {'name': 'milano', 'timezone': 'Europe/Rome', 'closes': '19:00',
          'selections': [{'custom_field1': 'Milano', 'department': 'Sales'}, {'custom_field1': 'Milano', 'department': 'R&D'}]}
RECEPTION = {'name': 'reception', 'timezone': 'Europe/Rome', 'days': ['mon', 'tue', 'thu', 'fri'],
             'selections': [{'custom_field1': 'Milano', 'department': 'Sales', 'custom_field4': 'Reception'}]}
BARI = {'name': 'bari', 'timezone': 'Europe/Rome', 'selections': [{'customfield1': 'Bari'}]}
WEDNESDAY = '2026-11-25T08:30:00+01:00'


def sent(matched, changed):
    return {'filters': {}, 'request_url': 'https://ucx/x', 'changed': changed > 0, 'failed': False, 'status': 200, 'attempts': 1,
            'phones_matched': matched, 'phones_changed': changed}


def looped(*steps):
    """A registered loop result of the phones task over office_hours_requests: (item, module result) pairs."""
    return {'changed': True, 'msg': 'All items completed', 'results': [dict(result, item=item, ansible_loop_var='item') for item, result in steps]}


def test_office_hours_limit_reads_a_list_or_a_comma_separated_string():
    assert limit_filter('milano') == ['milano']
    assert limit_filter('milano, roma') == ['milano', 'roma']
    assert limit_filter(['milano']) == ['milano']
    assert limit_filter('') == [] and limit_filter(None) == []
    with pytest.raises(AnsibleFilterError) as error:
        limit_filter({'milano': 1})
    assert error.value.message == ("office_hours_limit must be a list of site names, or one comma-separated string "
                                   "of them, not {'milano': 1} (dict)")


def test_requests_are_ordered_and_name_the_site_of_each_selection():
    assert requests_filter(plan_filter([RECEPTION, BARI, MILANO], 'auto', WEDNESDAY)) == [
        {'state': 'unlocked', 'order': 0, 'sites': ['milano', 'milano'], 'selections': MILANO['selections']},
        {'state': 'locked', 'order': 1, 'sites': ['reception'], 'selections': RECEPTION['selections']},
    ]
    with pytest.raises(AnsibleFilterError) as error:
        requests_filter({'name': 'milano'})
    assert error.value.message == "office_hours_requests: the input must be the list office_hours_plan returned, not {'name': 'milano'}"


def test_report_of_the_looped_task_matches_each_result_to_its_site():
    plan = plan_filter([RECEPTION, BARI, MILANO], 'auto', WEDNESDAY)
    steps = requests_filter(plan)
    failed = {'filters': {}, 'request_url': 'https://ucx/x', 'changed': False, 'failed': True, 'status': 503, 'attempts': 4,
              'msg': 'PUT https://ucx/x failed: HTTP 503'}
    applied = looped((steps[0], {'changed': True, 'failed': True, 'results': [sent(40, 38), failed]}),
                     (steps[1], {'changed': True, 'results': [sent(2, 2)]}))
    report = report_filter(plan, applied=applied)
    assert [(line['name'], line['action'], line['outcome'], line['phones_matched'], line['errors']) for line in report] == [
        ('reception', 'locked', 'applied', 2, []),
        ('bari', 'invalid', 'invalid', None, [
            "office_hours_sites[1] (bari): selections[0].customfield1 is not a filter of imagicle.phonelock.phones (did you mean "
            "custom_field1?); the filters are department, custom_field1 ... custom_field10 (or customField1 ... customField10) and all_phones"]),
        ('milano', 'unlocked', 'failed', 40, ['PUT https://ucx/x failed: HTTP 503']),
    ]
    assert report[0]['line'] == ('reception  Wed 2026-11-25 08:30 CET  locked   1 selection, 2 phones matched, 2 changed; closed: '
                                 'Wed is not an office day')
    assert report[1]['line'].startswith('bari       ' + ' ' * len('Wed 2026-11-25 08:30 CET') + '  invalid  left out: office_hours_sites[1]')


def test_report_of_a_loop_that_refused_a_request_or_did_not_run():
    plan = plan_filter([MILANO], 'auto', WEDNESDAY)
    steps = requests_filter(plan)
    refused = report_filter(plan, applied=looped((steps[0], {'failed': True, 'msg': 'selections[0]: department is empty'})))
    assert (refused[0]['outcome'], refused[0]['errors']) == ('failed', ['selections[0]: department is empty'])
    assert '2 of 2 selections failed: selections[0]: department is empty;' in refused[0]['line']
    skipped = report_filter(plan, applied={'skipped': True, 'results': [], 'msg': 'No items in the list'})
    assert (skipped[0]['outcome'], skipped[0]['errors']) == ('not run', [])
    with pytest.raises(AnsibleFilterError) as error:
        report_filter(plan, applied=looped((dict(steps[0], sites=['milano']), {'results': [sent(1, 1)]})))
    assert error.value.message == 'office_hours_report: site milano has 1 result in applied but 2 selections in the plan'
