# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The HTTP client: which outcomes are retried, and the exact message for each failure."""

from __future__ import annotations

import email.utils
import time

import pytest
import requests

from ansible_collections.imagicle.phonelock.plugins.module_utils import api

URL = 'https://ucx.example.com/fw/Apps/StoneLock/WebAPI/Phones/Lock?department=R%26D'
PARAMS = dict(url='https://ucx.example.com', username='svc', password='S3cret!', validate_certs=True, ca_path=None, timeout=5.0, retries=2)
PERM = ('It needs one of the Phone Lock permissions: Imagicle Admin, Phone Lock "Complete Management", '
        'or Phone Lock "Manage Department User" (own department only).')


def client(**overrides):
    return api.PhoneLockClient(dict(PARAMS, **overrides))


@pytest.mark.parametrize('status, body, headers, message', [
    (401, '', {}, "PUT %s failed: HTTP 401 Unauthorized: authentication failed for user 'svc'. Check username and password. "
                  "No further request of this task is sent with these credentials." % URL),
    (403, '', {}, "PUT %s failed: HTTP 403 Forbidden: user 'svc' may not use the Phone Lock API. %s" % (URL, PERM)),
    (404, '<html>x</html>', {}, 'PUT %s failed: HTTP 404 Not Found: the Phone Lock API is not there. Check that url is the UCX Suite '
                                'base address, that Phone Lock is installed and licensed, and that the suite is 2020.Summer.1 or later.' % URL),
    (405, '', {}, 'PUT %s failed: HTTP 405 Method Not Allowed: the server refused the request.' % URL),
    (400, 'unknown parameter foo', {}, 'PUT %s failed: HTTP 400 Bad Request: the server refused the request. Server said: unknown parameter foo' % URL),
    (302, '', {'Location': 'https://other.example.com/x'},
     'PUT %s failed: HTTP 302 Found: the server redirects to https://other.example.com/x. Redirects are not followed (they could drop '
     'the PUT or send the credentials elsewhere): set url to the final address.' % URL),
    (307, '', {}, 'PUT %s failed: HTTP 307 Temporary Redirect: the server redirects to (no Location). Redirects are not followed '
                  '(they could drop the PUT or send the credentials elsewhere): set url to the final address.' % URL),
])
def test_not_retried_outcomes(http, status, body, headers, message):
    http.reply(status, body, headers)
    with pytest.raises(api.PhoneLockError) as info:
        client().put(URL)
    assert str(info.value) == message
    assert (info.value.status, info.value.attempts, len(http.sent), http.sleeps) == (status, 1, 1, [])


@pytest.mark.parametrize('status, reason', [(500, 'Internal Server Error'), (502, 'Bad Gateway'), (503, 'Service Unavailable'),
                                            (504, 'Gateway Timeout')])
def test_5xx_retried_then_reported(http, status, reason):
    for dummy in range(3):
        http.reply(status, '  server\n  trouble ')
    with pytest.raises(api.PhoneLockError) as info:
        client().put(URL)
    assert str(info.value) == 'PUT %s failed: HTTP %d %s after 3 attempt(s): the server reported an error. Server said: server trouble' % (URL, status, reason)
    assert (info.value.attempts, len(http.sent), http.sleeps) == (3, 3, [1.0, 2.0])


def test_429_without_retry_after_uses_backoff(http):
    http.reply(429, '').reply(429, '').reply(429, '')
    with pytest.raises(api.PhoneLockError) as info:
        client().put(URL)
    assert str(info.value) == ('PUT %s failed: HTTP 429 Too Many Requests after 3 attempt(s): the server is rate-limiting. '
                               'Retry later or raise retries.' % URL)
    assert http.sleeps == [1.0, 2.0]


def test_retry_after_http_date(http):
    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    http.reply(503, '', {'Retry-After': when}).reply(200, {'changed': 1})
    assert client().put(URL) == (200, {'changed': 1}, 2)
    assert 25 <= http.sleeps[0] <= 31


def test_retry_after_too_long_stops_retrying(http):
    http.reply(503, '', {'Retry-After': '3600'})
    with pytest.raises(api.PhoneLockError) as info:
        client().put(URL)
    assert str(info.value) == ('PUT %s failed: HTTP 503 Service Unavailable: the server asked to retry after 3600 s, longer than the '
                               '120 s this module waits. Run the task again later.' % URL)
    assert (len(http.sent), http.sleeps) == (1, [])


@pytest.mark.parametrize('exc, text', [
    (requests.exceptions.ConnectionError(ConnectionResetError(104, 'Connection reset by peer')), 'cannot reach the server'),
    (requests.exceptions.ConnectionError('Remote end closed connection without response'), 'cannot reach the server'),
    (requests.exceptions.ReadTimeout('Read timed out. (read timeout=5.0)'), 'no reply within 5.0 s'),
    (requests.exceptions.ConnectTimeout('connect timed out'), 'no reply within 5.0 s'),
])
def test_transport_errors_retried(http, exc, text):
    http.fail(exc).fail(exc).reply(200, {'matched': 4, 'changed': 4})
    assert client().put(URL) == (200, {'matched': 4, 'changed': 4}, 3)
    http.fail(exc).fail(exc).fail(exc)
    with pytest.raises(api.PhoneLockError) as info:
        client().put(URL)
    assert str(info.value).startswith('PUT %s failed after 3 attempt(s): %s' % (URL, text))
    assert info.value.status is None


def test_tls_failure_not_retried_and_explained(http):
    http.fail(requests.exceptions.SSLError('certificate verify failed: unable to get local issuer certificate'))
    with pytest.raises(api.PhoneLockError) as info:
        client().put(URL)
    assert str(info.value) == ('PUT %s failed: TLS certificate verification failed (certificate verify failed: unable to get local issuer '
                               'certificate). Give the PEM bundle of the CA that signed the server certificate in ca_path; '
                               'validate_certs: false turns the check off (not recommended).' % URL)
    assert len(http.sent) == 1


def test_retries_zero_means_one_attempt(http):
    http.reply(503, '')
    with pytest.raises(api.PhoneLockError):
        client(retries=0).put(URL)
    assert len(http.sent) == 1


def test_server_echoing_secrets_is_redacted(http):
    header = 'Basic ' + api.basic_token('svc', 'S3cret!')
    http.reply(400, 'bad request from svc:S3cret! with %s' % header)
    with pytest.raises(api.PhoneLockError) as info:
        client().put(URL)
    assert 'S3cret!' not in str(info.value)
    assert header.split()[1] not in str(info.value)


@pytest.mark.parametrize('body, parsed', [('{"matched": 1}', {'matched': 1}), ('[1, 2]', None), ('ok', None), ('', None)])
def test_reply_body(http, body, parsed):
    http.reply(204 if not body else 200, body)
    assert client().put(URL)[1] == parsed


def test_basic_token_is_utf8():
    assert api.basic_token('a', 'é€') == 'YTrDqeKCrA=='


@pytest.mark.parametrize('url, secrets', [
    ('https://ucx.example.com', []),
    ('https://admin:pw@ucx.example.com', ['admin:pw', 'pw']),
    ('https://token@ucx.example.com', ['token']),
    ('https://admin:p/w?x#y@ucx.example.com', ['admin:p/w?x#y', 'p/w?x#y']),
    ('admin:pw@ucx.example.com', ['admin:pw', 'pw']),
    ('https://[::1', []),
])
def test_url_secrets(url, secrets):
    assert api.url_secrets(url) == secrets


@pytest.mark.parametrize('url, base', [
    ('https://ucx.example.com/', 'https://ucx.example.com'),
    (' https://gw.example.com/imagicle// ', 'https://gw.example.com/imagicle'),
])
def test_base_url(url, base):
    assert api.base_url(url) == base


@pytest.mark.parametrize('url, problem', [
    ('https://ucx.example.com:8443', None),
    ('http://10.0.0.5/prefix', None),
    ('https://ucx.example.com:port', 'url is not a valid address'),
    ('https:///nohost', "url 'https:///nohost' has no host name"),
    ('HTTPS://UCX/FW/APPS/STONELOCK', 'not the Phone Lock API address'),
    ('https://ucx/#x', "without '?' query or '#' fragment"),
])
def test_url_problems(url, problem):
    problems = api.connection_problems(dict(PARAMS, url=url))
    if problem is None:
        assert problems == []
    else:
        assert len(problems) == 1 and problem in problems[0]


@pytest.mark.parametrize('connections, pool', [(None, 1), (1, 1), (16, 16)])
def test_one_session_with_a_connection_for_every_request_in_flight(http, connections, pool):
    made = api.PhoneLockClient(PARAMS) if connections is None else api.PhoneLockClient(PARAMS, connections=connections)
    assert http.pools == [dict(pool_maxsize=pool)]
    assert made.session.get_adapter('https://ucx.example.com/') is http
    assert made.session.get_adapter('http://ucx.example.com/') is http
