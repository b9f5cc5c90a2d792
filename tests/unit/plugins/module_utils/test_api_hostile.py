# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The client against a hostile or broken server: echoed secrets, garbage headers, slow and huge replies, 401s, proxies."""

from __future__ import annotations

import io
import json
import os
import threading
import time
from urllib.parse import quote

import pytest
import requests

from ansible_collections.imagicle.phonelock.plugins.module_utils import api

URL = 'https://ucx.example.com/fw/Apps/StoneLock/WebAPI/Phones/Lock?department=Sales'
PASSWORD = 'correct  horse/battery"staple'
TOKEN = api.basic_token('svc', PASSWORD)
PARAMS = dict(url='https://ucx.example.com', username='svc', password=PASSWORD, validate_certs=True, ca_path=None, timeout=5.0,
              retries=0, use_proxy=True)


def client(**overrides):
    return api.PhoneLockClient(dict(PARAMS, **overrides))


def failure(http, *replies, **overrides):
    for status, body, headers in replies:
        http.reply(status, body, headers)
    with pytest.raises(api.PhoneLockError) as info:
        client(**overrides).put(URL)
    return str(info.value)


def leaked(text):
    pieces = [PASSWORD[i:i + 8] for i in range(len(PASSWORD) - 7)] + [TOKEN[i:i + 12] for i in range(len(TOKEN) - 11)]
    return [piece for piece in pieces if piece in text]


@pytest.mark.parametrize('body', [
    'x' * 280 + ' ' + PASSWORD,                          # straddles the 300-character cut
    'y' * 290 + ' Basic ' + TOKEN,
    'Unauthorized ' + '   '.join(PASSWORD.split()),      # blanks widened
    json.dumps({'Message': 'bad password %s' % PASSWORD}),
    'user=svc&password=' + quote(PASSWORD, safe=''),
    '<p>' + PASSWORD.replace('"', '&quot;') + '</p>',
])
def test_a_body_that_echoes_the_credentials(http, body):
    message = failure(http, (400, body, {}))
    assert message.startswith('PUT %s failed: HTTP 400 Bad Request: the server refused the request. Server said: ' % URL)
    assert leaked(message) == []


def test_the_reason_phrase_and_the_location_are_masked(http):
    message = failure(http, (400, '', {'_reason': 'Bad password ' + PASSWORD}))
    assert message == 'PUT %s failed: HTTP 400 Bad password ********: the server refused the request.' % URL
    message = failure(http, (302, '', {'Location': 'https://evil.example.com/?auth=%s&pw=%s' % (TOKEN, quote(PASSWORD, safe=''))}))
    assert message == ('PUT %s failed: HTTP 302 Found: the server redirects to https://evil.example.com/?auth=********&pw=********. '
                       'Redirects are not followed (they could drop the PUT or send the credentials elsewhere): set url to the '
                       'final address.' % URL)


@pytest.mark.parametrize('value, wait', [
    ('²', 1.0), ('9' * 400, None), ('9' * 5000, None), ('0' * 5000 + '1', 1.0), ('-5', 1.0), ('1e3', 1.0), ('inf', 1.0), ('nan', 1.0), ('', 1.0), ('0x10', 1.0),
    ('Sun, 06 Nov 1994 08:49:37 GMT', 0.0), ('Sunday, 06-Nov-94 08:49:37 GMT', 0.0), ('Sun Nov  6 08:49:37 1994', 0.0),
])
def test_garbage_retry_after_never_crashes(http, value, wait):
    http.reply(503, '', {'Retry-After': value})
    if wait is None:
        message = failure(http, retries=1)
        assert message.endswith('the server asked to retry after 1000000000 s, longer than the 120 s this module waits. '
                                'Run the task again later.')
        return
    http.reply(200, {'changed': 1})
    assert client(retries=1).put(URL) == (200, {'changed': 1}, 2)
    assert http.sleeps == [wait]


@pytest.mark.parametrize('tz', ['UTC', 'America/New_York', 'Asia/Kathmandu', 'Pacific/Kiritimati'])
@pytest.mark.parametrize('form', ['%a, %d %b %Y %H:%M:%S GMT', '%A, %d-%b-%y %H:%M:%S GMT', '%a %b %d %H:%M:%S %Y',
                                  '%a, %d %b %Y %H:%M:%S -0000', '%a, %d %b %Y %H:%M:%S +0000'])
def test_http_dates_are_utc_whatever_the_host_time_zone(monkeypatch, tz, form):
    monkeypatch.setenv('TZ', tz)
    time.tzset()
    try:
        now = 1_800_000_000.0
        text = time.strftime(form, time.gmtime(now + 60))
        assert api._retry_after_seconds(text, now=now) == pytest.approx(60, abs=1)  # pylint: disable=protected-access
    finally:
        monkeypatch.undo()
        time.tzset()


class DrippingBody(io.BytesIO):
    """A reply body that arrives a byte every 0.2 s: no single read ever waits long."""

    def read(self, size=-1):
        threading.Event().wait(0.2)  # the http fixture replaces time.sleep
        return super().read(1)


@pytest.mark.parametrize('body, headers_late, text', [
    (b'{"changed": 1}', True, 'no reply within 0.3 s (timed out)'),
    (DrippingBody(b'{"changed": 1}' + b' ' * 50), False,
     'no complete reply within 0.3 s (the server kept the connection open without finishing its answer)'),
])
def test_timeout_bounds_the_whole_attempt(http, monkeypatch, body, headers_late, text):
    if isinstance(body, io.BytesIO):
        # The scripted adapter wraps the body in io.BytesIO: hand it the dripping one instead.
        monkeypatch.setattr(io, 'BytesIO', lambda content=b'', real=io.BytesIO: body if content == body.getvalue() else real(content))
        http.reply(200, body.getvalue())
    else:
        http.reply(200, body, delay=1.5 if headers_late else 0)
    started = time.monotonic()
    with pytest.raises(api.PhoneLockError) as info:
        client(timeout=0.3).put(URL)
    elapsed = time.monotonic() - started
    assert 0.25 <= elapsed < 1.0
    assert str(info.value) == 'PUT %s failed after 1 attempt(s): %s. Check the server, or raise timeout.' % (URL, text)


class CountingBody(io.BytesIO):
    """A reply body that counts how much of it was read."""

    def read(self, size=-1):
        data = super().read(size)
        self.taken = getattr(self, 'taken', 0) + len(data)
        return data


def test_no_more_than_a_mebibyte_of_a_body_is_read(http, monkeypatch):
    body = CountingBody(b'<error>' + b'z' * (50 * 1024 * 1024))
    made = []
    real = io.BytesIO

    def counting(content=b''):
        made.append(CountingBody(content) if len(content) > api.MAX_BODY else real(content))
        return made[-1]

    monkeypatch.setattr(io, 'BytesIO', counting)
    http.reply(500, body.getvalue())
    message = failure(http)
    assert message.startswith('PUT %s failed: HTTP 500 Internal Server Error after 1 attempt(s): the server reported an error. '
                              'Server said: <error>zzz' % URL)
    assert message.endswith('...')
    assert api.MAX_BODY < made[0].taken <= api.MAX_BODY + 64 * 1024


def test_an_interim_status_is_a_failure(http):
    assert failure(http, (103, '', {})) == ('PUT %s failed: HTTP 103 Early Hints: an interim (1xx) status as the final answer: the '
                                            'server or a proxy in between misbehaves.' % URL)


@pytest.mark.parametrize('body, headers, text', [
    ('<html><body>Please sign in</body></html>', {'Content-Type': 'text/html; charset=utf-8'},
     'HTTP 200, but with an HTML page instead of a Phone Lock reply'),
    ({'success': False, 'message': 'license expired'}, {}, 'HTTP 200, but the reply reports an error'),
    ({'error': 'Phone Lock service stopped'}, {}, 'HTTP 200, but the reply reports an error'),
])
def test_a_success_status_with_an_error_body_is_a_failure(http, body, headers, text):
    message = failure(http, (200, body, headers))
    assert message.startswith('PUT %s: %s' % (URL, text))


@pytest.mark.parametrize('body', ['[' * 100000, '{"changed": ' + '9' * 5000 + '}'])
def test_hostile_json_is_no_count(http, body):
    http.reply(200, body)
    assert client().put(URL) == (200, None, 1)


def test_after_a_401_nothing_more_is_sent(http):
    http.reply(401, '')
    made = client(retries=3)
    with pytest.raises(api.PhoneLockError):
        made.put(URL)
    with pytest.raises(api.PhoneLockError) as info:
        made.put(URL.replace('Sales', 'IT'))
    assert len(http.sent) == 1
    assert info.value.sent is False
    assert str(info.value) == ("PUT %s not sent: the server refused the credentials of user 'svc' (HTTP 401) in this task, and every "
                               "further failed login could lock the account under a lockout policy. Check username and password."
                               % URL.replace('Sales', 'IT'))


@pytest.fixture
def proxy_env(monkeypatch):
    for name in ('HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'ALL_PROXY', 'all_proxy', 'NO_PROXY', 'no_proxy'):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv('HTTPS_PROXY', 'http://proxyuser:Pr0xyPassw0rd!@proxy.example.com:3128')
    return monkeypatch


def test_a_refusing_proxy_is_named_and_its_password_masked(http, proxy_env):
    http.fail(requests.exceptions.ProxyError('Unable to connect to proxy: proxyuser:Pr0xyPassw0rd! refused'))
    message = failure(http)
    assert message == ('PUT %s (through the proxy http://proxy.example.com:3128) failed after 1 attempt(s): the proxy '
                       'http://proxy.example.com:3128 did not pass the request on (Unable to connect to proxy: proxyuser:******** '
                       'refused). Check the proxy (HTTPS_PROXY / HTTP_PROXY), exclude the server with NO_PROXY, or set use_proxy: '
                       'false.' % URL)


def test_no_proxy_and_use_proxy_false_go_direct(http, proxy_env):
    http.reply(200, {'changed': 1}).reply(200, {'changed': 1})
    made = client(use_proxy=False)
    assert made.proxy is None
    made.put(URL)
    assert http.sent[0]['proxies'] == {}
    proxy_env.setenv('NO_PROXY', 'ucx.example.com')
    assert client().proxy is None
    assert os.environ['HTTPS_PROXY']
    client().put(URL)


# The client reads the environment once (requests would read it twice per request): what it sends must be what
# requests itself would have taken from the same environment.
@pytest.mark.parametrize('ca_bundle_variable', ['REQUESTS_CA_BUNDLE', 'CURL_CA_BUNDLE'])
def test_the_environment_is_read_as_requests_reads_it(http, proxy_env, ca_bundle_variable):
    for name in ('REQUESTS_CA_BUNDLE', 'CURL_CA_BUNDLE'):
        proxy_env.delenv(name, raising=False)
    proxy_env.setenv(ca_bundle_variable, '/etc/pki/corporate.pem')
    http.reply(200, {'changed': 1}).reply(200, {'changed': 1}).reply(200, {'changed': 1}).reply(200, {'changed': 1})
    client().put(URL)
    client(ca_path='/srv/ucx-ca.pem').put(URL)
    client(validate_certs=False).put(URL)
    proxy_env.setenv('no_proxy', '.example.com')
    client().put(URL)
    proxy = 'http://proxyuser:Pr0xyPassw0rd!@proxy.example.com:3128'
    assert [(sent['verify'], (sent['proxies'] or {}).get('https')) for sent in http.sent] == [
        ('/etc/pki/corporate.pem', proxy), ('/srv/ucx-ca.pem', proxy), (False, proxy), ('/etc/pki/corporate.pem', None)]
    # Never ~/.netrc's credentials or a header of the environment: the one Authorization is the task's.
    assert all(sent['headers']['Authorization'] == 'Basic ' + TOKEN for sent in http.sent)
