# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Messages that name the real cause: https:// to a plain HTTP port, an http:// url, IMAGICLE_* variables that are wrong."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
import re
import urllib.request

import pytest
import requests

from ansible_collections.imagicle.phonelock.plugins.module_utils import api

URL = 'https://ucx.example.com/fw/Apps/StoneLock/WebAPI/Phones/Lock?department=R%26D'
PARAMS = dict(url='https://ucx.example.com', username='svc', password='S3cret!', validate_certs=True, ca_path=None, timeout=5.0, retries=2)
STANDIN = Path(__file__).resolve().parents[3] / 'standin'


def not_tls(request, port, cause, base):
    return ('PUT %s failed: the server did not answer TLS on port %d (%s), so something else, most likely plain HTTP, listens '
            'there. If the server serves plain HTTP on that port, give url as %s (the password then travels unencrypted); '
            'otherwise give url the port the server serves HTTPS on. ca_path and validate_certs do not change this.'
            % (request, port, cause, base))


def failure(http, exc, **params):
    http.fail(requests.exceptions.SSLError(exc))
    with pytest.raises(api.PhoneLockError) as info:
        api.PhoneLockClient(dict(PARAMS, **params)).put(URL)
    # Not retried: the same port would answer the same way.
    assert (info.value.attempts, len(http.sent), http.sleeps) == (1, 1, [])
    return str(info.value)


# OpenSSL up to 3.1 says "wrong version number" when an HTTP reply comes back to its ClientHello, 3.2 and later
# "record layer failure"; either way, with certificate checks on or off, no CA would help.
@pytest.mark.parametrize('cause', ['[SSL: WRONG_VERSION_NUMBER] wrong version number (_ssl.c:1006)',
                                   '[SSL: RECORD_LAYER_FAILURE] record layer failure (_ssl.c:1029)'])
@pytest.mark.parametrize('validate_certs', [True, False])
def test_https_to_a_plain_http_port_says_so(http, cause, validate_certs):
    assert failure(http, cause, validate_certs=validate_certs) == not_tls(URL, 443, cause, 'http://ucx.example.com')


def test_the_port_and_the_path_prefix_are_kept_in_the_advice(http):
    http.fail(requests.exceptions.SSLError('wrong version number'))
    url = 'https://gw.example.com:8443/imagicle/fw/Apps/StoneLock/WebAPI/Phones/Lock'
    with pytest.raises(api.PhoneLockError) as info:
        api.PhoneLockClient(dict(PARAMS, url='HTTPS://gw.example.com:8443/imagicle/')).put(url)
    assert str(info.value) == not_tls(url, 8443, 'wrong version number', 'http://gw.example.com:8443/imagicle')


def test_a_certificate_failure_still_points_at_ca_path(http):
    cause = '[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get local issuer certificate (_ssl.c:1006)'
    assert failure(http, cause) == ('PUT %s failed: TLS certificate verification failed (%s). Give the PEM bundle of the CA that '
                                    'signed the server certificate in ca_path; validate_certs: false turns the check off (not '
                                    'recommended).' % (URL, cause))


def test_with_certificate_checks_off_a_handshake_failure_is_no_certificate_problem(http):
    cause = '[SSL: SSLV3_ALERT_HANDSHAKE_FAILURE] sslv3 alert handshake failure (_ssl.c:1006)'
    assert failure(http, cause, validate_certs=False) == (
        'PUT %s failed: the TLS handshake failed (%s), with certificate checks off (validate_certs: false). Check that url names '
        'the port the server serves HTTPS on, and that the server offers a TLS version this host accepts.' % (URL, cause))


@pytest.fixture
def standin(tmp_path):
    """The bundled stand-in server, plain HTTP, on a free port of 127.0.0.1. One per test: ansible-test's units workers
    may end without a module fixture's teardown, which left the server running."""
    pytest.importorskip('werkzeug', reason='the stand-in server (tests/standin) needs werkzeug')
    spec = importlib.util.spec_from_file_location('standin_launch', STANDIN / 'launch.py')
    launch = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(launch)
    process, port = launch.start(tmp_path / 'standin')
    try:
        yield port
    finally:
        launch.stop(process)


@pytest.mark.parametrize('validate_certs', [True, False])
def test_https_to_the_plain_http_standin(standin, validate_certs):
    base = 'https://127.0.0.1:%d' % standin
    client = api.PhoneLockClient(dict(PARAMS, url=base, username='api-admin', password='Adm1n:Pässwörd€2020',
                                      validate_certs=validate_certs))
    url = client.url_for('Lock', 'department=Sales')
    with pytest.raises(api.PhoneLockError) as info:
        client.put(url)
    message = str(info.value)
    # The cause is OpenSSL's own text, which differs by version: the rest is exact.
    cause = re.search(r'on port \d+ \((.*?)\), so something else', message).group(1)
    assert re.search('wrong version number|record layer failure', cause, re.I)
    assert message == not_tls(url, standin, cause, 'http://127.0.0.1:%d' % standin)
    assert info.value.attempts == 1
    # The stand-in got no Phone Lock request: the ClientHello was no HTTP request to it.
    with urllib.request.urlopen('http://127.0.0.1:%d/_standin/requests' % standin, timeout=10) as reply:
        assert json.load(reply) == {'requests': []}


def test_an_http_url_gets_one_warning_naming_its_host():
    assert api.clear_text_warning(' http://ucx.example.com:8080/imagicle/ ') == (
        'url http://ucx.example.com:8080/imagicle is plain HTTP: every request carries the username and password to '
        'ucx.example.com:8080 unencrypted (HTTP Basic only encodes them), readable by anyone on the network path and by any proxy. '
        'Use an https:// url (with ca_path for an internal CA). No option turns this warning off.')
    assert api.clear_text_warning('HTTPS://ucx.example.com') is None


def environment(monkeypatch, options, **variables):
    """Read the connection options as Ansible does, given these options and only these IMAGICLE_* variables.

    Return the params and the ConnectionEnvironment that recorded where they came from.
    """
    for name in ('IMAGICLE_URL', 'IMAGICLE_USERNAME', 'IMAGICLE_PASSWORD', 'IMAGICLE_VALIDATE_CERTS'):
        monkeypatch.delenv(name, raising=False)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    record = api.ConnectionEnvironment()
    params = dict(PARAMS)
    for option, entry in api.connection_argument_spec(record).items():
        if 'fallback' in entry and option not in options:
            strategy, args = entry['fallback']
            try:
                params[option] = strategy(*args)
            except api.AnsibleFallbackNotFound:
                params[option] = entry.get('default')
    params.update(options)
    return params, record


@pytest.mark.parametrize('value', ['maybe', '', 'true please'])
def test_a_boolean_variable_that_is_not_a_boolean_is_named(monkeypatch, value):
    params, record = environment(monkeypatch, {}, IMAGICLE_URL='https://ucx.example.com', IMAGICLE_USERNAME='svc',
                                 IMAGICLE_PASSWORD='S3cret!', IMAGICLE_VALIDATE_CERTS=value)
    assert api.connection_problems(params, record) == [
        "the IMAGICLE_VALIDATE_CERTS environment variable is %r, not a boolean: it stands in for the validate_certs option, which "
        "the task does not set. Set it to true or false (Ansible also reads yes, on, 1, y, t and no, off, 0, n, f, in any case), "
        "or unset it for the option's default." % value]


@pytest.mark.parametrize('value, expected', [('no', False), (' FALSE ', False), ('Yes', True), ('1', True)])
def test_a_boolean_variable_is_read_as_ansible_reads_booleans(monkeypatch, value, expected):
    params, record = environment(monkeypatch, dict(url='https://ucx.example.com', username='svc', password='S3cret!'),
                                 IMAGICLE_VALIDATE_CERTS=value)
    assert params['validate_certs'] is expected
    assert (record.given, record.not_boolean, api.connection_problems(params, record)) == ({'validate_certs': 'IMAGICLE_VALIDATE_CERTS'}, {}, [])


def test_a_bad_value_from_the_environment_names_its_variable_never_the_password(monkeypatch):
    params, record = environment(monkeypatch, {}, IMAGICLE_URL='ucx.example.com', IMAGICLE_USERNAME='corp:svc', IMAGICLE_PASSWORD='')
    assert api.connection_problems(params, record) == [
        "url 'ucx.example.com' must start with https:// or http:// (for example https://ucx.example.com).",
        'url comes from the IMAGICLE_URL environment variable (the task does not set the url option): correct the variable, or set '
        'the option.',
        "username must be a non-empty UCX Suite user name without ':' (HTTP Basic cannot carry it).",
        'username comes from the IMAGICLE_USERNAME environment variable (the task does not set the username option): correct the '
        'variable, or set the option.',
        'password must not be empty.',
        'password comes from the IMAGICLE_PASSWORD environment variable (the task does not set the password option): correct the '
        'variable, or set the option.',
    ]


def test_a_bad_option_is_not_blamed_on_the_environment(monkeypatch):
    # The same bad url in the option and in IMAGICLE_URL: the option is what counts, and what the message blames.
    params, record = environment(monkeypatch, dict(url='ucx.example.com', username='svc'), IMAGICLE_URL='ucx.example.com',
                                 IMAGICLE_PASSWORD='S3cret!')
    assert api.connection_problems(params, record) == [
        "url 'ucx.example.com' must start with https:// or http:// (for example https://ucx.example.com)."]
