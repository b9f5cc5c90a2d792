# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The phones module with --diff (check mode and real runs), and the selections' label."""

from __future__ import annotations

import base64
import json
from unittest import mock
from urllib.parse import quote

import pytest

from ansible_collections.imagicle.phonelock.plugins.modules import phones

PASSWORD = 'Pässwörd:€42'
CONN = dict(url='https://ucx.example.com/ucx', username='phonelock-svc', password=PASSWORD)
API = 'https://ucx.example.com/ucx/fw/Apps/StoneLock/WebAPI/Phones/'
UNKNOWN = 'state unknown (the Phone Lock API cannot be read)'
SITES = [dict(label='milano', custom_field1='Milano'), dict(label='roma', custom_field1='Roma'),
         dict(department='R&D', customField1='New York')]


@pytest.fixture
def run(run_module, monkeypatch):
    for name in ('IMAGICLE_URL', 'IMAGICLE_USERNAME', 'IMAGICLE_PASSWORD'):
        monkeypatch.delenv(name, raising=False)

    def runner(args, check_mode=False, diff=True):
        return run_module(phones.main, dict(CONN, _ansible_diff=diff, **args), check_mode)
    return runner


def lines(diff):
    return diff['after'].splitlines()


def test_check_mode_diff_shows_each_request_and_sends_nothing(http, run):
    code, result, dummy = run(dict(state='locked', selections=SITES), check_mode=True)
    assert code == 0 and http.sent == []
    assert result['changed'] is True
    assert [(diff['before_header'], diff['after_header']) for diff in result['diff']] == [
        ('selections[0] (milano)',) * 2, ('selections[1] (roma)',) * 2, ('selections[2]',) * 2]
    assert [diff['before'] for diff in result['diff']] == [
        'phones matching customField1=Milano: %s\n' % UNKNOWN, 'phones matching customField1=Roma: %s\n' % UNKNOWN,
        'phones matching department=R&D, customField1=New York: %s\n' % UNKNOWN]
    assert [lines(diff) for diff in result['diff']] == [
        ['phones matching customField1=Milano: locked', 'request: PUT /ucx/fw/Apps/StoneLock/WebAPI/Phones/Lock?customField1=Milano',
         'not sent: check mode'],
        ['phones matching customField1=Roma: locked', 'request: PUT /ucx/fw/Apps/StoneLock/WebAPI/Phones/Lock?customField1=Roma',
         'not sent: check mode'],
        ['phones matching department=R&D, customField1=New York: locked',
         'request: PUT /ucx/fw/Apps/StoneLock/WebAPI/Phones/Lock?department=R%26D&customField1=New%20York', 'not sent: check mode'],
    ]
    # The label is returned with the results and never sent.
    assert [entry.get('label') for entry in result['results']] == ['milano', 'roma', None]
    assert all('label' not in entry['request_url'] for entry in result['results'])


def test_real_run_diff_has_the_servers_counts_and_the_failures(http, run):
    http.reply(200, {'matched': 90, 'changed': 88}, url=API + 'Unlock?customField1=Milano')
    http.reply(503, 'down for maintenance', url=API + 'Unlock?customField1=Roma')
    http.reply(204, '', url=API + 'Unlock?department=R%26D&customField1=New%20York')
    code, result, dummy = run(dict(state='unlocked', selections=SITES, retries=0))
    assert code == 1
    assert [lines(diff) for diff in result['diff']] == [
        ['phones matching customField1=Milano: unlocked', 'request: PUT /ucx/fw/Apps/StoneLock/WebAPI/Phones/Unlock?customField1=Milano',
         'sent: HTTP 200, 1 attempt', 'server: 90 phones matched, 88 changed'],
        ['phones matching customField1=Roma: state unknown, the request to unlock them failed',
         'request: PUT /ucx/fw/Apps/StoneLock/WebAPI/Phones/Unlock?customField1=Roma', 'sent: HTTP 503, 1 attempt',
         'failed: ' + result['results'][1]['msg']],
        ['phones matching department=R&D, customField1=New York: unlocked',
         'request: PUT /ucx/fw/Apps/StoneLock/WebAPI/Phones/Unlock?department=R%26D&customField1=New%20York',
         'sent: HTTP 204, 1 attempt', 'server: no counts in the reply, so whether any phone changed is unknown'],
    ]
    assert 'down for maintenance' in result['diff'][1]['after']
    # The label names the failed selection in the task's message too.
    assert result['msg'].startswith('1 of 3 selections failed (the others were applied): selections[1] (roma): PUT ' + API)


def test_a_request_not_sent_after_a_401_says_so(http, run):
    http.reply(401, '', url=API + 'Lock?customField1=Milano')
    code, result, dummy = run(dict(state='locked', selections=SITES[:2], concurrency=1))
    assert code == 1 and len(http.sent) == 1
    assert lines(result['diff'][0])[0] == 'phones matching customField1=Milano: state unknown, the request to lock them failed'
    assert lines(result['diff'][1])[0] == 'phones matching customField1=Roma: state unknown, the request to lock them was not sent'
    assert lines(result['diff'][1])[-1].startswith('failed: PUT %sLock?customField1=Roma not sent: the server refused' % API)


def test_top_level_filters_get_one_diff(http, run):
    http.reply(200, {'matched': 10, 'changed': 10})
    code, result, dummy = run(dict(state='unlocked', customField1='Milano', customField4='Reception'))
    assert code == 0
    diff, = result['diff']
    assert diff['before_header'] == 'phones matching customField1=Milano, customField4=Reception'
    assert diff['before'] == 'phones matching customField1=Milano, customField4=Reception: %s\n' % UNKNOWN
    assert lines(diff)[-1] == 'server: 10 phones matched, 10 changed'


def test_a_zero_match_warning_names_the_label(http, run):
    http.reply(200, {'matched': 0, 'changed': 0})
    # Spied on: how ansible-core collects warnings differs by version (test_phones_promises.py).
    with mock.patch.object(phones.AnsibleModule, 'warn', autospec=True) as warn:
        code, result, dummy = run(dict(state='locked', selections=[dict(label='typo', custom_field1='Milan')]))
    assert code == 0
    assert [call.args[1] for call in warn.call_args_list] == ['selections[0] (typo): ' + result['results'][0]['warning']]
    assert result['results'][0]['warning'].startswith('the server matched 0 phones for customField1=Milan')
    assert lines(result['diff'][0])[-1] == 'server: 0 phones matched, 0 changed'


@pytest.mark.parametrize('check_mode', [False, True])
def test_no_diff_without_diff_mode(http, run, check_mode):
    if not check_mode:
        http.reply(200, {'matched': 90, 'changed': 90})
    code, result, dummy = run(dict(state='locked', selections=SITES[:1]), check_mode=check_mode, diff=False)
    assert code == 0
    assert 'diff' not in result


def test_the_password_never_appears_in_the_diff(http, run):
    """The password as a filter value (sent percent-encoded), in a label, and echoed by the server, in several spellings."""
    encoded = quote(PASSWORD, safe='')
    token = base64.b64encode(('phonelock-svc:' + PASSWORD).encode('utf-8')).decode('ascii')
    http.reply(500, 'no such department: %s (%s, %s) Basic %s' % (PASSWORD, encoded, json.dumps(PASSWORD), token),
               url=API + 'Lock?department=' + encoded)
    http.reply(200, {'matched': 1, 'changed': 1}, url=API + 'Lock?customField1=Milano')
    code, result, dummy = run(dict(state='locked', retries=0,
                                   selections=[dict(label='office', department=PASSWORD),
                                               dict(label='x %s x' % PASSWORD[:9], custom_field1='Milano')]))
    assert code == 1
    shown = json.dumps(result['diff'], ensure_ascii=False)
    for spelling in (PASSWORD, encoded, encoded.lower(), json.dumps(PASSWORD)[1:-1], token, PASSWORD[:8], PASSWORD[-8:]):
        assert spelling not in shown
    assert '********' in result['diff'][0]['before'] and '********' in result['diff'][1]['before_header']
    assert 'request: PUT /ucx/fw/Apps/StoneLock/WebAPI/Phones/Lock?department=********' in result['diff'][0]['after']
    assert 'no such department: ********' in result['diff'][0]['after']


@pytest.mark.parametrize('selection, message', [
    (dict(label='milano'), 'selections[0]: no filter given: that would act on every phone the user can see.'),
    (dict(label=None), 'selections[0]: no filter given'),
    (dict(label='', custom_field1='Milano'), 'selections[0]: label is empty or blank: give the selection a name, or leave label out.'),
    (dict(label='  ', custom_field1='Milano'), 'selections[0]: label is empty or blank'),
    (dict(label='milano\n+phones matching x: locked', custom_field1='Milano'), 'selections[0]: label contains a control character'),
    (dict(label='milano\u2028roma', custom_field1='Milano'), 'selections[0]: label contains a control character, a line break'),
])
@pytest.mark.parametrize('check_mode', [False, True])
def test_a_label_is_no_filter_and_must_be_one_line(http, run, selection, message, check_mode):
    code, result, dummy = run(dict(state='locked', selections=[selection]), check_mode=check_mode)
    assert code == 1
    assert http.sent == []
    assert message in result['msg']
    assert 'diff' not in result


def test_a_null_label_is_no_label(http, run):
    http.reply(200, {'matched': 90, 'changed': 90})
    code, result, dummy = run(dict(state='locked', selections=[dict(label=None, custom_field1='Milano')]))
    assert code == 0
    assert [entry['url'] for entry in http.sent] == [API + 'Lock?customField1=Milano']
    assert 'label' not in result['results'][0]
    assert result['diff'][0]['before_header'] == 'selections[0]'


def test_a_label_is_a_string(http, run):
    http.reply(200, {'matched': 1, 'changed': 1})
    code, result, dummy = run(dict(state='locked', selections=[dict(label='Qualità & R&D', department='Qualità')]))
    assert code == 0
    assert result['results'][0]['label'] == 'Qualità & R&D'
    assert result['diff'][0]['before_header'] == 'selections[0] (Qualità & R&D)'
    assert [entry['url'] for entry in http.sent] == [API + 'Lock?department=Qualit%C3%A0']


def test_each_result_carries_its_selections_diff(http, run):
    code, result, dummy = run(dict(state='locked', selections=SITES), check_mode=True)
    assert code == 0
    assert [entry['diff'] for entry in result['results']] == result['diff']
    code, result, dummy = run(dict(state='locked', selections=SITES), check_mode=True, diff=False)
    assert all('diff' not in entry for entry in result['results'])


@pytest.mark.parametrize('check_mode', [False, True])
def test_the_password_as_a_filter_value_is_masked_in_the_results(http, run, check_mode):
    """Ansible masks the plain password in results; the request URL carries it percent-encoded, and messages repeat it."""
    encoded = quote(PASSWORD, safe='')
    if not check_mode:
        http.reply(500, 'busy', url=API + 'Lock?department=' + encoded)
    code, result, dummy = run(dict(state='locked', retries=0, selections=[dict(department=PASSWORD)]), check_mode=check_mode,
                              diff=False)
    entry = result['results'][0]
    shown = json.dumps([entry['request_url'], entry.get('msg', ''), result.get('msg', '')], ensure_ascii=False)
    for spelling in (encoded, encoded.lower(), PASSWORD, PASSWORD[:8]):
        assert spelling not in shown
    assert entry['request_url'] == API + 'Lock?department=********'
    assert code == (0 if check_mode else 1)


def test_messages_keep_their_own_words_when_the_password_shares_them(http, run):
    """Masking covers the URL and the server's text, not the module's words: a wrong password such as
    'not-the-password' must not turn 'Check username and password.' into 'Check username and ********.'."""
    http.reply(401, 'denied')
    code, result, dummy = run(dict(state='locked', department='IT', password='not-the-password'))
    assert code == 1
    assert result['msg'].endswith("Check username and password. No further request of this task is sent with these credentials.")


def test_one_entry_per_label_for_consecutive_selections(http, run):
    """The role's sites: a site with two selections is one diff, shown in a loop with the first of them that changed."""
    selections = [dict(label='new-york', custom_field1='New York', department='Sales'),
                  dict(label='new-york', custom_field1='New York', department='Support'),
                  dict(label='milano', custom_field1='Milano'), dict(custom_field1='Roma'), dict(custom_field1='Napoli')]
    http.reply(200, {'matched': 0, 'changed': 0}, url=API + 'Lock?department=Sales&customField1=New%20York')
    http.reply(200, {'matched': 7, 'changed': 7}, url=API + 'Lock?department=Support&customField1=New%20York')
    http.reply(200, {'matched': 90, 'changed': 90}, url=API + 'Lock?customField1=Milano')
    http.reply(200, {'matched': 5, 'changed': 5}, url=API + 'Lock?customField1=Roma')
    http.reply(200, {'matched': 3, 'changed': 3}, url=API + 'Lock?customField1=Napoli')
    code, result, dummy = run(dict(state='locked', selections=selections))
    assert code == 0
    assert [diff['before_header'] for diff in result['diff']] == [
        'selections[0], selections[1] (new-york)', 'selections[2] (milano)', 'selections[3]', 'selections[4]']
    assert result['diff'][0]['before'] == ('phones matching department=Sales, customField1=New York: %s\n'
                                           'phones matching department=Support, customField1=New York: %s\n' % (UNKNOWN, UNKNOWN))
    assert lines(result['diff'][0]) == [
        'phones matching department=Sales, customField1=New York: locked',
        'request: PUT /ucx/fw/Apps/StoneLock/WebAPI/Phones/Lock?department=Sales&customField1=New%20York',
        'sent: HTTP 200, 1 attempt', 'server: 0 phones matched, 0 changed',
        'phones matching department=Support, customField1=New York: locked',
        'request: PUT /ucx/fw/Apps/StoneLock/WebAPI/Phones/Lock?department=Support&customField1=New%20York',
        'sent: HTTP 200, 1 attempt', 'server: 7 phones matched, 7 changed']
    # New York's first selection changed nothing, so Ansible would not show a diff there: its second carries the entry.
    assert [entry.get('diff') for entry in result['results']] == [None] + result['diff']
