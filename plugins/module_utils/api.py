# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""HTTP client for the Imagicle Phone Lock API: transport, retries and every error message."""

from __future__ import annotations

import base64
import email.utils
import os
import re
import time
import traceback
from urllib.parse import urlsplit

from ansible.module_utils.basic import env_fallback

REQUESTS_IMPORT_ERROR = None
try:
    import requests
except ImportError:
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = traceback.format_exc()
else:
    HAS_REQUESTS = True

API_PATH = '/fw/Apps/StoneLock/WebAPI/Phones/'

# Mirrored option by option in plugins/doc_fragments/connection.py.
CONNECTION_ARGUMENT_SPEC = dict(
    url=dict(type='str', required=True, fallback=(env_fallback, ['IMAGICLE_URL'])),
    username=dict(type='str', required=True, fallback=(env_fallback, ['IMAGICLE_USERNAME'])),
    password=dict(type='str', required=True, no_log=True, fallback=(env_fallback, ['IMAGICLE_PASSWORD'])),
    validate_certs=dict(type='bool', default=True, fallback=(env_fallback, ['IMAGICLE_VALIDATE_CERTS'])),
    ca_path=dict(type='path'),
    timeout=dict(type='float', default=30),
    retries=dict(type='int', default=3),
)

# Backoff between attempts: 1 s, 2 s, 4 s ... capped. A Retry-After longer than
# MAX_RETRY_AFTER ends the retries: a nightly job should fail loudly, not hang.
BACKOFF_BASE = 1.0
BACKOFF_CAP = 30.0
MAX_RETRY_AFTER = 120.0
BODY_SNIPPET = 300

PERMISSION_HINT = ('It needs one of the Phone Lock permissions: Imagicle Admin, Phone Lock "Complete Management", '
                   'or Phone Lock "Manage Department User" (own department only).')


class PhoneLockError(Exception):
    """A request that did not succeed; the message is ready to show to the user."""

    def __init__(self, message, status=None, attempts=None):
        super().__init__(message)
        self.status = status
        self.attempts = attempts


def connection_problems(params):
    """Return the messages for every invalid connection option (empty when all are fine)."""
    problems = []
    url = params['url']
    if _written_credentials(url) is not None:
        # Stop here: parsing such a url can fail on a piece of the password and put it in the message.
        return ["url must not contain credentials (user:password@); give them in username and password."]
    try:
        parts = urlsplit(url.strip())
        parts.port  # pylint: disable=pointless-statement  # raises on a bad port
    except ValueError as exc:
        return ["url is not a valid address (%s): give it like https://ucx.example.com." % exc]
    if parts.scheme.lower() not in ('http', 'https'):
        problems.append("url %r must start with https:// or http:// (for example https://ucx.example.com)." % url)
    elif not parts.hostname:
        problems.append("url %r has no host name (for example https://ucx.example.com)." % url)
    if parts.query or parts.fragment:
        problems.append("url must be the server base address without '?' query or '#' fragment; give filters as options.")
    if '/fw/apps/stonelock' in parts.path.lower():
        problems.append("url must be the UCX Suite base address (like https://ucx.example.com), not the Phone Lock API address: "
                        "remove /fw/Apps/StoneLock/... from it; the module adds the API path itself.")
    if not params['username'] or ':' in params['username']:
        problems.append("username must be a non-empty UCX Suite user name without ':' (HTTP Basic cannot carry it).")
    if not params['password']:
        problems.append("password must not be empty.")
    if not params['timeout'] > 0:
        problems.append("timeout must be a number of seconds greater than 0.")
    if params['retries'] < 0:
        problems.append("retries must be 0 or more.")
    ca_path = params.get('ca_path')
    if ca_path and not os.path.isfile(ca_path):
        problems.append("ca_path %s is not a file: give a PEM bundle of the CA that signed the server certificate." % ca_path)
    return problems


def _written_credentials(url):
    """The user:password part written into a url: everything between '://' and the last '@', or None.

    Not urlsplit's reading: a password holding '/', '?' or '#' ends its netloc early, so it would see no credentials
    (or a port made of part of the password). A base address has no other use for '@'.
    """
    text = url.strip()
    start = text.find('://') + 3 if '://' in text else 0
    end = text.rfind('@')
    return text[start:end] if end >= start else None


def url_secrets(url):
    """Credentials written into the url, so the module can mask them in everything it returns."""
    written = _written_credentials(url)
    return [secret for secret in (written, (written or '').partition(':')[2]) if secret]


def base_url(url):
    """The url option without surrounding blanks and trailing slashes; a path prefix is kept."""
    return url.strip().rstrip('/')


def _basic_header(username, password):
    # requests encodes Basic credentials as Latin-1 and fails on e.g. '€'; RFC 7617 says UTF-8.
    token = base64.b64encode(('%s:%s' % (username, password)).encode('utf-8')).decode('ascii')
    return 'Basic ' + token


def _retry_after_seconds(value):
    """Seconds asked for by a Retry-After header (delta-seconds or HTTP-date), None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _status_head(url, response):
    """The start of every HTTP error message: the request and the status line."""
    return ('PUT %s failed: HTTP %d %s' % (url, response.status_code, response.reason or '')).rstrip()


def _root_cause(exc):
    """The innermost reason of a requests/urllib3 exception chain, as short text."""
    seen = exc
    while True:
        inner = getattr(seen, 'reason', None) or seen.__context__ or seen.__cause__
        if inner is None or inner is seen or not isinstance(inner, BaseException):
            break
        seen = inner
    text = str(seen) or seen.__class__.__name__
    # urllib3 prefixes its messages with the object's repr, e.g. "<urllib3.connection...>: Failed ...".
    return re.sub(r'^<[^>]*>:\s*', '', text)


class PhoneLockClient:
    """Sends Phone Lock requests over one kept-alive session, with retries and error translation.

    ``put`` may be called from several threads at once: ``connections`` is the most that will be, and the
    session's connection pool keeps that many connections open, so none is thrown away and reopened.
    """

    def __init__(self, params, connections=1, sleep=None):
        self.base_url = base_url(params['url'])
        self.username = params['username']
        self.timeout = params['timeout']
        self.retries = params['retries']
        self._sleep = sleep or time.sleep
        self._authorization = _basic_header(params['username'], params['password'])
        # Never shown, even when a server echoes them back in an error page.
        self._secrets = [params['password'], self._authorization.split(' ', 1)[1]]
        self.session = requests.Session()
        # No retries at this level (put() does them, with its own backoff and messages), as requests' default adapter.
        adapter = requests.adapters.HTTPAdapter(pool_maxsize=max(1, connections))
        self.session.mount('https://', adapter)
        self.session.mount('http://', adapter)
        self.session.headers['Accept'] = '*/*'
        # An auth callable, not a default header: with no session auth, requests would take ~/.netrc's instead.
        self.session.auth = self._authorize
        # Passed on every request: requests lets REQUESTS_CA_BUNDLE override a Session's verify setting.
        self.verify = params.get('ca_path') or True if params['validate_certs'] else False

    def _authorize(self, request):
        request.headers['Authorization'] = self._authorization
        return request

    def url_for(self, action, query):
        """The full request URL for Lock/Unlock and an already encoded query string."""
        url = self.base_url + API_PATH + action
        return url + '?' + query if query else url

    def put(self, url):
        """PUT the url; return (status, parsed JSON body or None, attempts) or raise PhoneLockError."""
        attempts = 0
        while True:
            attempts += 1
            retry_wait = None
            try:
                # Redirects are not followed: requests would turn a 302 into a GET (a false success)
                # and may carry the credentials along.
                response = self.session.put(url, timeout=self.timeout, verify=self.verify, allow_redirects=False)
            except requests.exceptions.SSLError as exc:
                raise PhoneLockError(self._tls_message(url, exc), attempts=attempts)
            except requests.exceptions.Timeout as exc:
                failure = PhoneLockError('PUT %s failed after %d attempt(s): no reply within %s s (%s). '
                                         'Check the server, or raise timeout.' % (url, attempts, self.timeout, _root_cause(exc)),
                                         attempts=attempts)
            except requests.exceptions.ConnectionError as exc:
                failure = PhoneLockError('PUT %s failed after %d attempt(s): cannot reach the server (%s). '
                                         'Check url, DNS, proxy and firewall, and that the server is running.'
                                         % (url, attempts, self._redact(_root_cause(exc))), attempts=attempts)
            except requests.exceptions.RequestException as exc:
                raise PhoneLockError('PUT %s failed: %s' % (url, self._redact(_root_cause(exc))), attempts=attempts)
            else:
                if 200 <= response.status_code < 300:
                    return response.status_code, self._json_or_none(response), attempts
                retry_wait = _retry_after_seconds(response.headers.get('Retry-After'))
                if retry_wait is not None and retry_wait > MAX_RETRY_AFTER and (response.status_code == 429 or response.status_code >= 500):
                    # More retries would not help here, so the message must not suggest them.
                    raise PhoneLockError('%s: the server asked to retry after %d s, longer than the %d s this module waits. '
                                         'Run the task again later.' % (_status_head(url, response), retry_wait, MAX_RETRY_AFTER),
                                         status=response.status_code, attempts=attempts)
                failure = PhoneLockError(self._http_message(url, response, attempts), status=response.status_code, attempts=attempts)
                if not (response.status_code == 429 or response.status_code >= 500):
                    raise failure
            if attempts > self.retries:
                raise failure
            self._sleep(retry_wait if retry_wait is not None else min(BACKOFF_CAP, BACKOFF_BASE * 2 ** (attempts - 1)))

    @staticmethod
    def _json_or_none(response):
        try:
            body = response.json()
        except ValueError:
            return None
        return body if isinstance(body, dict) else None

    def _redact(self, text):
        for secret in self._secrets:
            text = text.replace(secret, '********')
        return text

    def _snippet(self, response):
        text = ' '.join((response.text or '').split())
        if len(text) > BODY_SNIPPET:
            text = text[:BODY_SNIPPET] + '...'
        return self._redact(text)

    def _tls_message(self, url, exc):
        return ('PUT %s failed: TLS certificate verification failed (%s). Give the PEM bundle of the CA that signed the '
                'server certificate in ca_path; validate_certs: false turns the check off (not recommended).'
                % (url, self._redact(_root_cause(exc))))

    def _http_message(self, url, response, attempts):
        status = response.status_code
        head = _status_head(url, response)
        if status == 401:
            return head + ': authentication failed for user %r. Check username and password.' % self.username
        if status == 403:
            return head + ': user %r may not use the Phone Lock API. %s' % (self.username, PERMISSION_HINT)
        if status == 404:
            return head + (': the Phone Lock API is not there. Check that url is the UCX Suite base address, that Phone Lock '
                           'is installed and licensed, and that the suite is 2020.Summer.1 or later.')
        if 300 <= status < 400:
            return head + (': the server redirects to %s. Redirects are not followed (they could drop the PUT or send the '
                           'credentials elsewhere): set url to the final address.' % response.headers.get('Location', '(no Location)'))
        snippet = self._snippet(response)
        detail = (' Server said: ' + snippet) if snippet else ''
        if status == 429:
            return head + ' after %d attempt(s): the server is rate-limiting. Retry later or raise retries.%s' % (attempts, detail)
        if status >= 500:
            return head + ' after %d attempt(s): the server reported an error.%s' % (attempts, detail)
        return head + ': the server refused the request.%s' % detail
