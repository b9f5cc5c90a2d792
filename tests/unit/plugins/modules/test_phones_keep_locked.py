# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""keep_locked: a held selection inside an unlocked one is locked right after it, and the unlock undone if that fails."""

from __future__ import annotations

import pytest

from ansible_collections.imagicle.phonelock.plugins.modules import phones

CONN = dict(url='https://ucx.example.com', username='svc', password='S3cret-Passw0rd')
API = 'https://ucx.example.com/fw/Apps/StoneLock/WebAPI/Phones/'
MILANO = dict(custom_field1='Milano', label='milano', keep_locked=[dict(custom_field1='Milano', department='Sales', label='milano-sales')])


@pytest.fixture
def run(run_module, monkeypatch):
    for name in ('IMAGICLE_URL', 'IMAGICLE_USERNAME', 'IMAGICLE_PASSWORD'):
        monkeypatch.delenv(name, raising=False)

    def runner(args, check_mode=False):
        return run_module(phones.main, dict(CONN, **args), check_mode)
    return runner


def test_the_held_lock_is_the_next_request_after_the_unlock(http, run):
    http.reply(200, {'matched': 5, 'changed': 5}, url=API + 'Unlock?customField1=Milano')
    http.reply(200, {'matched': 2, 'changed': 2}, url=API + 'Lock?department=Sales&customField1=Milano')
    http.reply(200, {'matched': 1, 'changed': 0}, url=API + 'Unlock?customField1=Roma')
    code, result, dummy = run(dict(state='unlocked', concurrency=1, selections=[MILANO, dict(custom_field1='Roma')]))
    assert code == 0
    assert [request['url'] for request in http.sent] == [
        API + 'Unlock?customField1=Milano', API + 'Lock?department=Sales&customField1=Milano', API + 'Unlock?customField1=Roma']
    first = result['results'][0]
    assert (first['failed'], first['relocked'], [item['phones_changed'] for item in first['keep_locked']]) == (False, False, [2])


def test_a_held_lock_that_fails_undoes_the_unlock(http, run):
    http.reply(200, {'matched': 5, 'changed': 5}, url=API + 'Unlock?customField1=Milano')
    http.reply(400, 'bad request', url=API + 'Lock?department=Sales&customField1=Milano')
    http.reply(200, {'matched': 5, 'changed': 5}, url=API + 'Lock?customField1=Milano')
    code, result, dummy = run(dict(state='unlocked', selections=[MILANO]))
    assert code == 1
    assert [request['url'] for request in http.sent] == [
        API + 'Unlock?customField1=Milano', API + 'Lock?department=Sales&customField1=Milano', API + 'Lock?customField1=Milano']
    first = result['results'][0]
    assert first['failed'] is True and first['relocked'] is True
    assert first['msg'].startswith('PUT %sUnlock?customField1=Milano was sent, but a held selection inside it could not be locked again '
                                   '(milano-sales: PUT %sLock?department=Sales&customField1=Milano failed: HTTP 400' % (API, API))
    assert first['msg'].endswith('so this selection was locked again (%sLock?customField1=Milano): its held phones stay locked, and so '
                                 'do the others.' % API)


def test_when_the_undo_fails_too_the_message_says_so_loudly(http, run):
    http.reply(200, {'matched': 5, 'changed': 5}, url=API + 'Unlock?customField1=Milano')
    http.reply(400, 'bad request', url=API + 'Lock?department=Sales&customField1=Milano')
    http.reply(400, 'bad request', url=API + 'Lock?customField1=Milano')
    code, result, dummy = run(dict(state='unlocked', selections=[MILANO]))
    assert code == 1
    assert 'ITS PHONES MAY BE UNLOCKED, held ones included. Lock them by hand now.' in result['results'][0]['msg']


def test_a_refused_unlock_needs_no_held_lock(http, run):
    http.reply(401, '', url=API + 'Unlock?customField1=Milano')
    code, result, dummy = run(dict(state='unlocked', selections=[MILANO]))
    assert code == 1
    assert len(http.sent) == 1
    assert (result['results'][0]['keep_locked'], result['results'][0]['relocked']) == ([], False)


@pytest.mark.parametrize('state, keep, message', [
    ('locked', [dict(custom_field1='Milano', department='Sales')],
     'selections[0].keep_locked is only for state: unlocked (it locks held phones again right after their selection is unlocked).'),
    ('unlocked', [dict(department='Sales')],
     'selections[0].keep_locked[0]: it must refine its selection (have all of its filters, with the same values, and more), so that it '
     'locks only phones the unlock reached; it has department.'),
    ('unlocked', [dict(custom_field1='MILANO')],
     'selections[0].keep_locked[0]: it must refine its selection (have all of its filters, with the same values, and more), so that it '
     'locks only phones the unlock reached; it has custom_field1.'),
    ('unlocked', [dict(custom_field1='Milano', department=' ')],
     'selections[0].keep_locked[0]: department is empty or blank: give a value, or leave the option out.'),
])
def test_keep_locked_is_checked_before_any_request(http, run, state, keep, message):
    code, result, dummy = run(dict(state=state, selections=[dict(custom_field1='Milano', keep_locked=keep)]))
    assert code == 1
    assert result['msg'] == message
    assert http.sent == []


def test_nothing_else_is_in_flight_between_a_guarded_unlock_and_its_held_lock(http, run):
    # With concurrency 4 the other unlocks could land between the two; the guarded one goes first, alone.
    http.reply(200, {'matched': 5, 'changed': 5}, url=API + 'Unlock?customField1=Milano', delay=0.05)
    http.reply(200, {'matched': 2, 'changed': 2}, url=API + 'Lock?department=Sales&customField1=Milano', delay=0.05)
    for field in ('Roma', 'Napoli', 'Torino'):
        http.reply(200, {'matched': 1, 'changed': 1}, url=API + 'Unlock?customField1=' + field)
    others = [dict(custom_field1=field) for field in ('Roma', 'Napoli', 'Torino')]
    code, result, dummy = run(dict(state='unlocked', concurrency=4, selections=others[:1] + [MILANO] + others[1:]))
    assert code == 0
    sent = [request['url'] for request in http.sent]
    assert sent[:2] == [API + 'Unlock?customField1=Milano', API + 'Lock?department=Sales&customField1=Milano']
    assert sorted(sent[2:]) == sorted(API + 'Unlock?customField1=' + field for field in ('Roma', 'Napoli', 'Torino'))
    assert [entry['filters'] for entry in result['results']] == [
        {'customField1': 'Roma'}, {'customField1': 'Milano'}, {'customField1': 'Napoli'}, {'customField1': 'Torino'}]
