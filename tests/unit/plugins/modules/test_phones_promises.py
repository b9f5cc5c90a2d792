# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The module's promises with several selections: one crash, one wrong password, 0 matched, missing credentials."""

from __future__ import annotations

from unittest import mock

import pytest
import requests

from ansible_collections.imagicle.phonelock.plugins.modules import phones

CONN = dict(url='https://ucx.example.com', username='svc', password='S3cret-Passw0rd')
API = 'https://ucx.example.com/fw/Apps/StoneLock/WebAPI/Phones/'
DEPARTMENTS = ['Sales', 'IT', 'Finance', 'Support', 'R%26D', 'Legal']


@pytest.fixture
def run(run_module, monkeypatch):
    for name in ('IMAGICLE_URL', 'IMAGICLE_USERNAME', 'IMAGICLE_PASSWORD'):
        monkeypatch.delenv(name, raising=False)

    def runner(args, check_mode=False, conn=None):
        return run_module(phones.main, dict(CONN if conn is None else conn, **args), check_mode)
    return runner


def selections():
    return [dict(department=name.replace('%26', '&')) for name in DEPARTMENTS]


@pytest.mark.parametrize('concurrency', [1, 3])
def test_an_exception_in_one_selection_leaves_the_others_reported(http, run, concurrency):
    for name in DEPARTMENTS:
        if name == 'Finance':
            # Not a requests error: something no handler expects, raised while this selection is being sent.
            http.fail(UnicodeError('bad things'), url=API + 'Lock?department=Finance')
        else:
            http.reply(200, {'matched': 2, 'changed': 2}, url=API + 'Lock?department=' + name)
    code, result, dummy = run(dict(state='locked', selections=selections(), concurrency=concurrency))
    assert code == 1
    assert [entry['failed'] for entry in result['results']] == [False, False, True, False, False, False]
    assert [entry.get('phones_changed') for entry in result['results']] == [2, 2, None, 2, 2, 2]
    assert result['results'][2]['msg'] == ('PUT %sLock?department=Finance failed: unexpected UnicodeError: bad things. Whether the '
                                           'server applied it is unknown; please report this as a bug of imagicle.phonelock.' % API)
    assert result['msg'].startswith('1 of 6 selections failed (the others were applied): selections[2]: ')


@pytest.mark.parametrize('concurrency, most_sent', [(1, 1), (4, 4)])
def test_a_wrong_password_is_tried_once_not_on_every_selection(http, run, concurrency, most_sent):
    for name in DEPARTMENTS:
        http.reply(401, '', url=API + 'Lock?department=' + name, delay=0.05)
    code, result, raw = run(dict(state='locked', selections=selections(), concurrency=concurrency, retries=3))
    assert code == 1
    sent = len(http.sent)
    assert 1 <= sent <= most_sent
    # What was never asked for stays in the script: drop it so the fixture does not count it as unused.
    http.routes.clear()
    not_sent = [entry for entry in result['results'] if 'not sent' in entry['msg']]
    assert len(not_sent) == 6 - sent
    assert not_sent[0]['msg'].endswith(": the server refused the credentials of user 'svc' (HTTP 401) in this task, and every further "
                                       "failed login could lock the account under a lockout policy. Check username and password.")
    assert 'S3cret-Passw0rd' not in raw


def test_zero_matched_warns_naming_the_filters(http, run):
    http.reply(200, {'matched': 0, 'changed': 0})
    # Spied on rather than read from result['warnings']: how ansible-core collects warnings differs by version and by
    # what else the test process imported.
    with mock.patch.object(phones.AnsibleModule, 'warn', autospec=True) as warn:
        code, result, dummy = run(dict(state='locked', department='Sales', custom_field1='Milan'))
    assert code == 0
    assert result['changed'] is False
    expected = ('the server matched 0 phones for department=Sales, customField1=Milan, so no phone was locked. Check the values: one '
                'may match no user (a typo, or a value of another site), and a Phone Lock "Manage Department User" account sees '
                'only its own department\'s users.')
    assert result['warning'] == expected
    assert [call.args[1] for call in warn.call_args_list] == [expected]


def test_zero_matched_fails_when_asked(http, run):
    http.reply(200, {'matched': 3, 'changed': 1}, url=API + 'Unlock?department=Sales')
    http.reply(200, {'matched': 0, 'changed': 0}, url=API + 'Unlock?department=Slaes')
    code, result, dummy = run(dict(state='unlocked', fail_on_no_match=True, selections=[dict(department='Sales'), dict(department='Slaes')]))
    assert code == 1
    assert [entry['failed'] for entry in result['results']] == [False, True]
    assert result['results'][1]['msg'] == (
        'PUT %sUnlock?department=Slaes: the server matched 0 phones for department=Slaes, so no phone was unlocked. Check the values: '
        'one may match no user (a typo, or a value of another site), and a Phone Lock "Manage Department User" account sees only '
        'its own department\'s users. (fail_on_no_match is true)' % API)


def test_missing_connection_options_say_where_they_come_from(http, run):
    code, result, dummy = run(dict(state='locked', department='Sales'), conn={})
    assert code == 1
    assert http.sent == []
    assert result['problems'][0] == (
        'url is not set: give the url option (or set it once with module_defaults for group/imagicle.phonelock.phonelock), set the '
        'IMAGICLE_URL environment variable, or in AWX / Automation Controller attach an "Imagicle Phone Lock" credential, which '
        'injects it.')
    assert [problem.split(' ')[0] for problem in result['problems']] == ['url', 'username', 'password']
    assert 'IMAGICLE_PASSWORD' in result['problems'][2]


def test_connection_from_the_environment(http, run, monkeypatch):
    monkeypatch.setenv('IMAGICLE_URL', 'https://env.example.com')
    monkeypatch.setenv('IMAGICLE_USERNAME', 'svc')
    monkeypatch.setenv('IMAGICLE_PASSWORD', 'from-env')
    http.reply(200, {'matched': 1, 'changed': 1})
    code, result, dummy = run(dict(state='locked', department='Sales'), conn={})
    assert code == 0
    assert http.sent[0]['url'] == 'https://env.example.com/fw/Apps/StoneLock/WebAPI/Phones/Lock?department=Sales'


@pytest.mark.parametrize('args, message', [
    (dict(timeout=float('inf')), 'timeout must be a number of seconds greater than 0 and at most 600'),
    (dict(timeout=float('nan')), 'timeout must be a number of seconds greater than 0 and at most 600'),
    (dict(timeout=601), 'timeout must be a number of seconds greater than 0 and at most 600'),
    (dict(retries=11), 'retries must be between 0 and 10.'),
])
def test_timeout_and_retries_are_bounded(http, run, args, message):
    code, result, dummy = run(dict(args, state='locked', department='Sales'))
    assert code == 1
    assert http.sent == []
    assert message in result['msg']


def test_the_basic_token_is_masked_in_results(http, run):
    token = __import__('base64').b64encode(b'svc:S3cret-Passw0rd').decode('ascii')
    http.fail(requests.exceptions.ConnectionError('peer said %s' % token))
    code, dummy, raw = run(dict(state='locked', department='Sales', retries=0))
    assert code == 1
    assert token not in raw and token[:12] not in raw
