# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The phones module with selections sent concurrently: order, the bound, failures, check mode and the option's checks.

The scripted transport answers by URL here, because concurrent requests reach it in no fixed order.
"""

from __future__ import annotations

import pytest
import requests

from ansible_collections.imagicle.phonelock.plugins.modules import phones

CONN = dict(url='https://ucx.example.com', username='phonelock-svc', password='S3cret!')
API = 'https://ucx.example.com/fw/Apps/StoneLock/WebAPI/Phones/'


@pytest.fixture
def run(run_module):
    def runner(args, check_mode=False):
        return run_module(phones.main, dict(CONN, **args), check_mode)
    return runner


def departments(count):
    return [dict(department='D%02d' % number) for number in range(count)]


def lock_url(selection):
    return API + 'Lock?department=' + selection['department']


def test_results_keep_the_order_of_selections_when_answers_come_back_out_of_order(http, run):
    selections = departments(3)
    # The first selection answers last and the last first.
    for number, delay in enumerate([0.3, 0.15, 0.0]):
        http.reply(200, {'matched': 10 + number, 'changed': number}, url=lock_url(selections[number]), delay=delay)
    code, result, dummy = run(dict(state='locked', selections=selections, concurrency=3))
    assert code == 0
    assert http.completed == [lock_url(selection) for selection in reversed(selections)]
    assert [r['request_url'] for r in result['results']] == [lock_url(selection) for selection in selections]
    assert [r['filters'] for r in result['results']] == [{'department': 'D00'}, {'department': 'D01'}, {'department': 'D02'}]
    assert [(r['phones_matched'], r['phones_changed'], r['changed']) for r in result['results']] == [
        (10, 0, False), (11, 1, True), (12, 2, True)]
    assert result['changed'] is True


@pytest.mark.parametrize('concurrency, in_flight', [(1, 1), (3, 3), (None, 4), (50, 12)])
def test_never_more_requests_in_flight_than_concurrency(http, run, concurrency, in_flight):
    selections = departments(12)
    for selection in selections:
        http.reply(200, {'matched': 1, 'changed': 1}, url=lock_url(selection), delay=0.05)
    args = dict(state='locked', selections=selections)
    if concurrency is not None:
        args['concurrency'] = concurrency
    code, result, dummy = run(args)
    assert code == 0
    # Each selection sent exactly once, and as many at once as allowed (12 selections cannot fill 50).
    assert sorted(s['url'] for s in http.sent) == sorted(lock_url(selection) for selection in selections)
    assert http.max_in_flight == in_flight
    # One session, whose pool keeps a connection for every request that may be in flight.
    assert http.pools == [dict(pool_maxsize=concurrency or 4)]
    assert [r['request_url'] for r in result['results']] == [lock_url(selection) for selection in selections]


def scripted_trouble(http, selections):
    """Selection 1: reset then 200. Selection 2: 503 until retries run out. Selection 4: 403. Others 200, some slow."""
    urls = [lock_url(selection) for selection in selections]
    for number, url in enumerate(urls):
        if number == 1:
            http.fail(requests.exceptions.ConnectionError(ConnectionResetError(104, 'Connection reset by peer')), url=url)
            http.reply(200, {'matched': 5, 'changed': 5}, url=url)
        elif number == 2:
            for dummy in range(3):
                http.reply(503, 'busy', url=url, delay=0.02)
        elif number == 4:
            http.reply(403, '', url=url)
        else:
            http.reply(200, {'matched': number, 'changed': number}, url=url, delay=0.1 if number % 2 else 0.0)
    return urls


def test_a_failed_selection_leaves_the_others_applied_and_results_ordered(http, run):
    selections = departments(6)
    urls = scripted_trouble(http, selections)
    code, result, raw = run(dict(state='locked', selections=selections, concurrency=4, retries=2))
    assert code == 1
    results = result['results']
    assert [r['request_url'] for r in results] == urls
    assert [r['failed'] for r in results] == [False, False, True, False, True, False]
    assert [r.get('status') for r in results] == [200, 200, 503, 200, 403, 200]
    assert [r['attempts'] for r in results] == [1, 2, 3, 1, 1, 1]
    assert [r['changed'] for r in results] == [False, True, False, True, False, True]
    # Every selection was attempted; the failing one as often as retries allow.
    assert sorted(s['url'] for s in http.sent) == sorted(urls + [urls[1]] + [urls[2]] * 2)
    assert sorted(http.sleeps) == [1.0, 1.0, 2.0]
    assert result['changed'] is True
    assert result['msg'].startswith('2 of 6 selections failed (the others were applied): selections[2]: PUT ' + urls[2]
                                    + ' failed: HTTP 503 Service Unavailable after 3 attempt(s)')
    assert ' | selections[4]: PUT ' + urls[4] + ' failed: HTTP 403 Forbidden' in result['msg']
    assert 'S3cret!' not in raw


def test_concurrent_outcomes_are_exactly_the_sequential_ones(http, run):
    selections = departments(6)
    scripted_trouble(http, selections)
    dummy, sequential, dummy2 = run(dict(state='locked', selections=selections, concurrency=1, retries=2))
    scripted_trouble(http, selections)
    dummy, concurrent, dummy2 = run(dict(state='locked', selections=selections, concurrency=6, retries=2))
    # Everything but the echoed arguments (which differ in concurrency; ansible-core 2.21 echoes none) is the same.
    # Warnings too are left out: ansible-core before 2.19 keeps them process-wide, so the second run repeats the first's.
    for result in (sequential, concurrent):
        result.pop('invocation', None)
        result.pop('warnings', None)
    assert concurrent == sequential


def test_check_mode_sends_nothing_at_any_concurrency(http, run):
    selections = departments(20)
    code, result, dummy = run(dict(state='unlocked', selections=selections, concurrency=8), check_mode=True)
    assert code == 0
    assert http.sent == []
    assert [r['request_url'] for r in result['results']] == [API + 'Unlock?department=D%02d' % n for n in range(20)]
    assert all(r['changed'] and not r['failed'] for r in result['results'])


@pytest.mark.parametrize('check_mode', [False, True])
@pytest.mark.parametrize('concurrency', [0, -2])
def test_concurrency_below_one_is_refused_before_any_request(http, run, concurrency, check_mode):
    code, result, dummy = run(dict(state='locked', selections=departments(2), concurrency=concurrency), check_mode=check_mode)
    assert code == 1
    assert http.sent == []
    assert result['msg'] == 'concurrency must be 1 or more: it is how many selections may be sent at the same time.'


def test_concurrency_must_be_a_number(http, run):
    code, result, dummy = run(dict(state='locked', selections=departments(2), concurrency='many'))
    assert code == 1
    assert http.sent == []
    assert 'concurrency' in result['msg'] and 'int' in result['msg']
