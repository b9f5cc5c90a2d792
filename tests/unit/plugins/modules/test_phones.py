# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The phones module, end to end over a scripted HTTP conversation."""

from __future__ import annotations

import base64

import pytest

from ansible_collections.imagicle.phonelock.plugins.modules import phones

PASSWORD = 'Pässwörd:€42'
CONN = dict(url='https://ucx.example.com', username='phonelock-svc', password=PASSWORD)
API = 'https://ucx.example.com/fw/Apps/StoneLock/WebAPI/Phones/'
BASIC = 'Basic ' + base64.b64encode(('phonelock-svc:' + PASSWORD).encode('utf-8')).decode('ascii')


@pytest.fixture
def run(run_module):
    def runner(args, check_mode=False):
        return run_module(phones.main, dict(CONN, **args), check_mode)
    return runner


def assert_no_secret(raw):
    assert PASSWORD not in raw
    assert BASIC.split()[1] not in raw


def test_lock_department_sends_one_exact_request(http, run, monkeypatch):
    # With verify=True requests takes the CA bundle from these, as curl does: keep the assertion exact.
    monkeypatch.delenv('REQUESTS_CA_BUNDLE', raising=False)
    monkeypatch.delenv('CURL_CA_BUNDLE', raising=False)
    http.reply(200, {'action': 'Lock', 'matched': 12, 'changed': 9})
    code, result, raw = run(dict(state='locked', department='R&D'))
    assert code == 0
    assert len(http.sent) == 1
    sent = http.sent[0]
    assert sent['method'] == 'PUT'
    assert sent['url'] == API + 'Lock?department=R%26D'
    assert sent['headers']['Authorization'] == BASIC
    assert sent['headers']['Accept'] == '*/*'
    assert sent['timeout'] == 30
    assert sent['verify'] is True
    assert sent.get('body') is None
    assert result['changed'] is True
    assert result['request_url'] == API + 'Lock?department=R%26D'
    assert result['filters'] == {'department': 'R&D'}
    assert (result['status'], result['attempts'], result['phones_matched'], result['phones_changed']) == (200, 1, 12, 9)
    assert_no_secret(raw)


def test_unlock_with_alias_prefix_and_every_filter_in_api_order(http, run):
    http.reply(200, {'action': 'Unlock', 'matched': 1, 'changed': 0})
    args = dict(url='https://gw.example.com/imagicle/', state='unlocked', department='Qualità', customField10='ten')
    args.update(('custom_field%d' % i, 'v %d/#+=?' % i) for i in range(1, 10))
    code, result, dummy = run(args)
    assert code == 0
    expected = ('https://gw.example.com/imagicle/fw/Apps/StoneLock/WebAPI/Phones/Unlock?department=Qualit%C3%A0&'
                + '&'.join('customField%d=v%%20%d%%2F%%23%%2B%%3D%%3F' % (i, i) for i in range(1, 10)) + '&customField10=ten')
    assert [s['url'] for s in http.sent] == [expected]
    assert result['changed'] is False
    assert result['filters']['customField10'] == 'ten'


def test_all_phones_sends_no_query(http, run):
    http.reply(200, '')
    code, result, dummy = run(dict(state='locked', all_phones=True))
    assert code == 0
    assert [s['url'] for s in http.sent] == [API + 'Lock']
    # No count in the reply: the module cannot know, so it reports a change.
    assert result['changed'] is True
    assert 'phones_changed' not in result


def test_check_mode_sends_nothing_and_reports_change(http, run):
    code, result, dummy = run(dict(state='locked', department='Sales'), check_mode=True)
    assert code == 0
    assert http.sent == []
    assert result['changed'] is True
    assert result['request_url'] == API + 'Lock?department=Sales'


@pytest.mark.parametrize('check_mode', [False, True])
@pytest.mark.parametrize('args, message', [
    (dict(), 'no filter given: that would act on every phone the user can see. Give at least one of department, custom_field1 '
             '... custom_field10, or set all_phones: true to mean every phone.'),
    (dict(department=''), 'department is empty or blank: give a value, or leave the option out.'),
    (dict(department='  \t'), 'department is empty or blank: give a value, or leave the option out.'),
    (dict(custom_field3='\u00a0'), 'custom_field3 is empty or blank: give a value, or leave the option out.'),
    (dict(department='R&D\n'), 'department contains a control character or an unpaired surrogate: no Imagicle user field holds '
                               'those; check the value.'),
    (dict(department='Sales', all_phones=True), 'all_phones: true cannot be combined with filters (department): use one or the other.'),
    (dict(department='Sales', url='ucx.example.com'), "url 'ucx.example.com' must start with https:// or http:// "
                                                      "(for example https://ucx.example.com)."),
    (dict(department='Sales', url='https://ucx/fw/Apps/StoneLock/WebAPI/Phones/Lock'),
     'url must be the UCX Suite base address (like https://ucx.example.com), not the Phone Lock API address: remove '
     '/fw/Apps/StoneLock/... from it; the module adds the API path itself.'),
    (dict(department='Sales', url='https://ucx.example.com/?department=All'),
     "url must be the server base address without '?' query or '#' fragment; give filters as options."),
    (dict(department='Sales', timeout=0), 'timeout must be a number of seconds greater than 0 and at most 600'),
    (dict(department='Sales', retries=-1), 'retries must be between 0 and 10.'),
    (dict(department='Sales', username='a:b'), "username must be a non-empty UCX Suite user name without ':' (HTTP Basic cannot carry it)."),
    (dict(department='Sales', ca_path='/nonexistent/ca.pem'),
     'ca_path /nonexistent/ca.pem is not a file: give a PEM bundle of the CA that signed the server certificate.'),
    (dict(department='x' * 2100), 'the encoded filters (department) are 2111 characters long'),
    (dict(department='é' * 400, custom_field2='B'),
     'the encoded filters (department, custom_field2) are 2426 characters long; servers on IIS refuse query strings over 2048 by '
     'default. Use shorter filter values.'),
    (dict(department=['Sales', 'IT']), 'department must be a string, not a list ([\'Sales\', \'IT\']): quote the value in YAML'),
    (dict(department=True), 'department must be a string, not a boolean (True): quote the value in YAML (for example "100" or '
                            '"yes") so that it is sent exactly as written.'),
    (dict(custom_field3=100), 'custom_field3 must be a string, not a number (100)'),
    (dict(selections=[dict(department={'a': 'b'})]), "selections[0]: department must be a string, not a dictionary ({'a': 'b'})"),
])
def test_bad_input_is_refused_before_any_request(http, run, args, message, check_mode):
    code, result, dummy = run(dict(args, state='locked'), check_mode=check_mode)
    assert code == 1
    assert http.sent == []
    assert message in result['msg']


@pytest.mark.parametrize('url', [
    'https://admin:TopSecret9@ucx.example.com',
    'https://admin:Top/Secret9@ucx.example.com',  # urlsplit ends the netloc at '/': a "port" of 'Top' before the fix
    'https://admin:2020/TopSecret9@ucx.example.com',  # ... or a valid port 2020 and host 'admin'
    'https://admin:Top?Secret9#x@ucx.example.com',
    'admin:TopSecret9@ucx.example.com',
])
def test_credentials_in_url_are_refused_without_echoing_them(http, run, url):
    code, result, raw = run(dict(state='locked', department='Sales', url=url))
    assert code == 1
    assert http.sent == []
    assert result['msg'] == 'url must not contain credentials (user:password@); give them in username and password.'
    for piece in ('TopSecret9', 'Secret9', 'Top'):
        assert piece not in raw


def test_every_problem_is_reported_at_once(http, run):
    code, result, dummy = run(dict(state='locked', url='ftp://x', selections=[dict(department='A'), dict(), dict(custom_field1=' ')]))
    assert code == 1
    assert http.sent == []
    assert result['problems'] == [
        "url 'ftp://x' must start with https:// or http:// (for example https://ucx.example.com).",
        'selections[1]: no filter given: that would act on every phone the user can see. Give at least one of department, '
        'custom_field1 ... custom_field10, or set all_phones: true to mean every phone.',
        'selections[2]: custom_field1 is empty or blank: give a value, or leave the option out.',
    ]


@pytest.mark.parametrize('args, message', [
    (dict(selections=[dict(department='A')], department='B'), 'parameters are mutually exclusive: selections|department'),
    (dict(selections=[dict(department='A')], all_phones=True), 'parameters are mutually exclusive: selections|all_phones'),
    (dict(selections=[]), 'selections is empty: give at least one selection, or use the top-level filters.'),
    (dict(selections=[dict(department='A', site='Roma')]), 'site'),
    (dict(department='A', dept='B'), 'Unsupported parameters'),
    (dict(department='A', state='locking'), 'value of state must be one of: locked, unlocked, got: locking'),
])
def test_option_errors_name_the_option(http, run, args, message):
    code, result, dummy = run(dict(dict(state='locked'), **args))
    assert code == 1
    assert http.sent == []
    assert message in result['msg']


def test_selections_each_attempted_failure_reported_others_applied(http, run):
    # concurrency 1: one after the other, so the requests go out in the order of the selections.
    http.reply(200, {'matched': 3, 'changed': 3}).reply(403, 'Forbidden').reply(200, {'matched': 2, 'changed': 0})
    code, result, raw = run(dict(state='locked', concurrency=1, selections=[
        dict(department='Sales', customField1='Roma'), dict(department='Finance'), dict(all_phones=True)]))
    assert code == 1
    assert [s['url'] for s in http.sent] == [API + 'Lock?department=Sales&customField1=Roma', API + 'Lock?department=Finance', API + 'Lock']
    assert len({id(s['headers']) for s in http.sent}) == 3
    first, second, third = result['results']
    assert (first['failed'], first['changed'], first['status'], first['phones_changed']) == (False, True, 200, 3)
    assert first['filters'] == {'department': 'Sales', 'customField1': 'Roma'}
    assert (second['failed'], second['changed'], second['status'], second['attempts']) == (True, False, 403, 1)
    assert (third['failed'], third['changed'], third['filters']) == (False, False, {})
    assert result['changed'] is True
    assert result['msg'].startswith('1 of 3 selections failed (the others were applied): selections[1]: PUT '
                                    + API + 'Lock?department=Finance failed: HTTP 403 Forbidden')
    assert_no_secret(raw)


def test_selections_check_mode_sends_nothing(http, run):
    code, result, dummy = run(dict(state='unlocked', selections=[dict(department='A'), dict(custom_field2='B')]), check_mode=True)
    assert code == 0
    assert http.sent == []
    assert [r['request_url'] for r in result['results']] == [API + 'Unlock?department=A', API + 'Unlock?customField2=B']


def test_retries_5xx_then_succeeds_with_backoff(http, run):
    http.reply(503, 'busy').reply(502, '').reply(200, {'matched': 1, 'changed': 1})
    code, result, dummy = run(dict(state='locked', department='IT'))
    assert code == 0
    assert len(http.sent) == 3
    assert http.sleeps == [1.0, 2.0]
    assert result['attempts'] == 3


def test_retry_after_is_honoured(http, run):
    http.reply(429, '', {'Retry-After': '7'}).reply(200, {'matched': 1, 'changed': 1})
    code, dummy, dummy2 = run(dict(state='locked', department='IT'))
    assert code == 0
    assert http.sleeps == [7.0]


def test_gives_up_after_retries_with_clear_message(http, run):
    for dummy in range(3):
        http.reply(503, '<html>Service Unavailable</html>')
    code, result, raw = run(dict(state='locked', department='IT', retries=2))
    assert code == 1
    assert len(http.sent) == 3
    assert result['msg'] == ('PUT ' + API + 'Lock?department=IT failed: HTTP 503 Service Unavailable after 3 attempt(s): '
                             'the server reported an error. Server said: <html>Service Unavailable</html>')
    assert (result['status'], result['attempts'], result['changed']) == (503, 3, False)
    assert_no_secret(raw)


def test_not_retried_4xx(http, run):
    http.reply(400, {'error': 'unknown parameter'})
    code, result, dummy = run(dict(state='locked', department='IT'))
    assert code == 1
    assert len(http.sent) == 1
    assert result['msg'] == ('PUT ' + API + 'Lock?department=IT failed: HTTP 400 Bad Request: the server refused the request. '
                             'Server said: {"error": "unknown parameter"}')


def test_validate_certs_and_ca_path_reach_the_transport(http, run, tmp_path):
    ca = tmp_path / 'ca.pem'
    ca.write_text('-----BEGIN CERTIFICATE-----\n')
    http.reply(200, '').reply(200, '')
    run(dict(state='locked', department='IT', ca_path=str(ca), timeout=2.5))
    run(dict(state='locked', department='IT', validate_certs=False))
    assert [(s['verify'], s['timeout']) for s in http.sent] == [(str(ca), 2.5), (False, 30)]


def test_connection_from_environment(http, run_module, monkeypatch):
    monkeypatch.setenv('IMAGICLE_URL', 'http://env.example.com:8080')
    monkeypatch.setenv('IMAGICLE_USERNAME', 'env-user')
    monkeypatch.setenv('IMAGICLE_PASSWORD', 'env-pass')
    monkeypatch.setenv('IMAGICLE_VALIDATE_CERTS', 'no')
    http.reply(200, '')
    code, dummy, raw = run_module(phones.main, dict(state='unlocked', department='IT'))
    assert code == 0
    sent = http.sent[0]
    assert sent['url'] == 'http://env.example.com:8080/fw/Apps/StoneLock/WebAPI/Phones/Unlock?department=IT'
    assert sent['headers']['Authorization'] == 'Basic ' + base64.b64encode(b'env-user:env-pass').decode()
    assert sent['verify'] is False
    assert 'env-pass' not in raw


def test_netrc_does_not_replace_the_credentials(http, run, monkeypatch, tmp_path):
    netrc = tmp_path / 'netrc'
    netrc.write_text('machine ucx.example.com login intruder password other\n')
    netrc.chmod(0o600)
    monkeypatch.setenv('NETRC', str(netrc))
    http.reply(200, '')
    run(dict(state='locked', department='IT'))
    assert http.sent[0]['headers']['Authorization'] == BASIC
