# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""HTTP client for the Imagicle Phone Lock API: transport, retries and every error message."""

from __future__ import annotations

import base64
import datetime
import email.utils
import json
import math
import os
import queue
import re
import threading
import time
import traceback
from urllib.parse import urlsplit

from ansible.module_utils.errors import AnsibleFallbackNotFound
from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.imagicle.phonelock.plugins.module_utils.redact import SecretMasker

REQUESTS_IMPORT_ERROR = None
try:
    import requests
    import requests.utils
except ImportError:
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = traceback.format_exc()
else:
    HAS_REQUESTS = True

API_PATH = '/fw/Apps/StoneLock/WebAPI/Phones/'

# The environment variable each connection option falls back to (documented with E() in the doc fragment).
_VARIABLES = dict(url='IMAGICLE_URL', username='IMAGICLE_USERNAME', password='IMAGICLE_PASSWORD',
                  validate_certs='IMAGICLE_VALIDATE_CERTS')
_OPTIONS = {variable: option for option, variable in _VARIABLES.items()}
# Where each required connection option can come from, for the message when none gave it.
_CONNECTION_SOURCES = tuple((option, _VARIABLES[option]) for option in ('url', 'username', 'password'))


class ConnectionEnvironment:
    """The IMAGICLE_* fallbacks of the connection options; they remember which options took their value from there.

    A value from the environment that is wrong must be fixed in the variable, but Ansible's messages name only the
    option: connection_problems names the variable (never the password's value). A variable that holds no boolean is
    not handed to Ansible's type check either, whose message would blame validate_certs.
    """

    def __init__(self):
        self.given = {}  # option: the variable its value came from
        self.not_boolean = {}  # option: (variable, value) for a boolean variable that holds no boolean

    def text(self, variable):
        """Fallback of a string option: the variable's value, as env_fallback gives it."""
        if variable not in os.environ:
            raise AnsibleFallbackNotFound
        self.given[_OPTIONS[variable]] = variable
        return os.environ[variable]

    def boolean(self, variable):
        """Fallback of a boolean option: the variable read as Ansible reads booleans; a bad value leaves the default."""
        value = self.text(variable)
        try:
            return boolean(value, strict=True)
        except TypeError:
            # The task fails in connection_problems, before any request; the default only fills the gap until then.
            del self.given[_OPTIONS[variable]]
            self.not_boolean[_OPTIONS[variable]] = (variable, value)
            raise AnsibleFallbackNotFound from None


def connection_argument_spec(environment):
    """The connection options, with their IMAGICLE_* fallbacks read through environment (a ConnectionEnvironment).

    Mirrored option by option in plugins/doc_fragments/connection.py. url, username and password are required, but
    not here: they may come from the environment, which ansible-lint cannot see, and a missing one deserves a message
    that says where it can come from (connection_problems).
    """
    return dict(
        url=dict(type='str', fallback=(environment.text, ['IMAGICLE_URL'])),
        username=dict(type='str', fallback=(environment.text, ['IMAGICLE_USERNAME'])),
        password=dict(type='str', no_log=True, fallback=(environment.text, ['IMAGICLE_PASSWORD'])),
        validate_certs=dict(type='bool', default=True, fallback=(environment.boolean, ['IMAGICLE_VALIDATE_CERTS'])),
        ca_path=dict(type='path'),
        use_proxy=dict(type='bool', default=True),
        timeout=dict(type='float', default=30),
        retries=dict(type='int', default=3),
    )


# Backoff between attempts: 1 s, 2 s, 4 s ... capped. A Retry-After longer than
# MAX_RETRY_AFTER ends the retries: a nightly job should fail loudly, not hang.
BACKOFF_BASE = 1.0
BACKOFF_CAP = 30.0
MAX_RETRY_AFTER = 120.0
# Upper bounds that keep one task's worst case finite: (retries + 1) attempts of at most timeout seconds each.
MAX_TIMEOUT = 600
MAX_RETRIES = 10
# No more of a reply body than this is ever read: the counts fit in a few bytes, an error page in a few KiB.
MAX_BODY = 1024 * 1024
BODY_SNIPPET = 300
# A reason phrase or a Location header is shown at most this long.
HEADER_SNIPPET = 200
# Fragments of this many characters of the password (of the Basic token) are masked like the whole secret.
PASSWORD_FRAGMENT = 8
TOKEN_FRAGMENT = 12

PERMISSION_HINT = ('It needs one of the Phone Lock permissions: Imagicle Admin, Phone Lock "Complete Management", '
                   'or Phone Lock "Manage Department User" (own department only).')


class PhoneLockError(Exception):
    """A request that did not succeed; the message is ready to show to the user.

    ``sent`` is false when no request went out at all (the credentials were already refused).
    """

    def __init__(self, message, status=None, attempts=None, sent=True):
        super().__init__(message)
        self.status = status
        self.attempts = attempts
        self.sent = sent


class _AttemptTimedOut(Exception):
    """An attempt (connect, headers and body together) outlasted timeout; ``answered``: the status line had arrived."""

    def __init__(self, answered):
        super().__init__()
        self.answered = answered


class _Helpers:
    """Daemon threads that run one attempt at a time each, reused: starting a thread per attempt costs about as much
    as a third of the Python of the exchange itself. An attempt given up at its deadline keeps its helper until the
    exchange ends (the next attempt gets another one), then the helper waits for more work, until the process ends."""

    def __init__(self):
        self._idle = []  # the inboxes of the helpers waiting for work
        self._lock = threading.Lock()

    def run(self, function, timeout):
        """Run function() in a helper; True when it returned within timeout seconds, False when it is still running."""
        with self._lock:
            inbox = self._idle.pop() if self._idle else None
        if inbox is None:
            inbox = queue.SimpleQueue()
            threading.Thread(target=self._serve, args=(inbox,), name='phonelock-put', daemon=True).start()
        done = threading.Event()
        inbox.put((function, done))
        return done.wait(timeout)

    def _serve(self, inbox):
        while True:
            function, done = inbox.get()
            try:
                function()  # catches Exception itself: it keeps the error for the caller
            except BaseException:
                # Only SystemExit or the like gets here: this helper ends, so it must never be handed work again.
                done.set()
                raise
            done.set()
            with self._lock:
                self._idle.append(inbox)


# How a boolean IMAGICLE_* variable may be written: what Ansible reads as true or false.
_BOOLEAN_SPELLINGS = 'true or false (Ansible also reads yes, on, 1, y, t and no, off, 0, n, f, in any case)'
# A bad value of a variable is quoted at most this long.
VALUE_SNIPPET = 40


def connection_problems(params, environment=None):
    """Return the messages for every invalid connection option (empty when all are fine).

    environment (the ConnectionEnvironment the options were read through) lets a problem in a value that came from an
    IMAGICLE_* variable name that variable.
    """
    missing = ["%s is not set: give the %s option (or set it once with module_defaults for group/imagicle.phonelock.phonelock), "
               "set the %s environment variable, or in AWX / Automation Controller attach an \"Imagicle Phone Lock\" "
               "credential, which injects it." % (option, option, variable)
               for option, variable in _CONNECTION_SOURCES if params.get(option) is None]
    problems = list(missing)
    given = environment.given if environment else {}
    not_boolean = environment.not_boolean if environment else {}
    for option, (variable, value) in sorted(not_boolean.items()):
        shown = value if len(value) <= VALUE_SNIPPET else value[:VALUE_SNIPPET] + '...'
        problems.append("the %s environment variable is %r, not a boolean: it stands in for the %s option, which the task does "
                        "not set. Set it to %s, or unset it for the option's default." % (variable, shown, option, _BOOLEAN_SPELLINGS))
    by_option = dict(url=[], username=[], password=[])
    url = params['url']
    if url is not None:
        by_option['url'] = _url_problems(url)
    if params['username'] is not None and (not params['username'] or ':' in params['username']):
        by_option['username'].append("username must be a non-empty UCX Suite user name without ':' (HTTP Basic cannot carry it).")
    if params['password'] is not None and not params['password']:
        by_option['password'].append("password must not be empty.")
    for option, found in by_option.items():
        problems += found
        if found and option in given:
            problems.append("%s comes from the %s environment variable (the task does not set the %s option): correct the "
                            "variable, or set the option." % (option, given[option], option))
    timeout = params['timeout']
    if not (math.isfinite(timeout) and 0 < timeout <= MAX_TIMEOUT):
        problems.append("timeout must be a number of seconds greater than 0 and at most %d (it bounds each attempt as a whole: "
                        "connect, reply and body)." % MAX_TIMEOUT)
    if not 0 <= params['retries'] <= MAX_RETRIES:
        problems.append("retries must be between 0 and %d." % MAX_RETRIES)
    ca_path = params.get('ca_path')
    if ca_path and not os.path.isfile(ca_path):
        problems.append("ca_path %s is not a file: give a PEM bundle of the CA that signed the server certificate." % ca_path)
    return problems


def _url_problems(url):
    if _written_credentials(url) is not None:
        # Stop here: parsing such a url can fail on a piece of the password and put it in the message.
        return ["url must not contain credentials (user:password@); give them in username and password."]
    try:
        parts = urlsplit(url.strip())
        parts.port  # pylint: disable=pointless-statement  # raises on a bad port
    except ValueError as exc:
        return ["url is not a valid address (%s): give it like https://ucx.example.com." % exc]
    problems = []
    if parts.scheme.lower() not in ('http', 'https'):
        problems.append("url %r must start with https:// or http:// (for example https://ucx.example.com)." % url)
    elif not parts.hostname:
        problems.append("url %r has no host name (for example https://ucx.example.com)." % url)
    if parts.query or parts.fragment:
        problems.append("url must be the server base address without '?' query or '#' fragment; give filters as options.")
    if '/fw/apps/stonelock' in parts.path.lower():
        problems.append("url must be the UCX Suite base address (like https://ucx.example.com), not the Phone Lock API address: "
                        "remove /fw/Apps/StoneLock/... from it; the module adds the API path itself.")
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


def clear_text_warning(url):
    """The warning for an http:// url (None for https://): HTTP Basic only encodes the credentials, it does not encrypt them.

    Call it once per module run, with a url that passed connection_problems (it holds no credentials): one warning per
    task however many selections, and the same text for every task to the same server, which Ansible shows once.
    """
    parts = urlsplit(url.strip())
    if parts.scheme.lower() != 'http':
        return None
    return ('url %s is plain HTTP: every request carries the username and password to %s unencrypted (HTTP Basic only '
            'encodes them), readable by anyone on the network path and by any proxy. Use an https:// url (with ca_path for an '
            'internal CA). No option turns this warning off.' % (base_url(url), parts.netloc))


def basic_token(username, password):
    """The HTTP Basic credentials as sent: base64 of user:password in UTF-8 (requests would use Latin-1 and fail on '€')."""
    return base64.b64encode(('%s:%s' % (username, password)).encode('utf-8')).decode('ascii')


# Retry-After as delta-seconds: ASCII digits only (str.isdigit() also takes '²', which float() refuses).
_DELTA_SECONDS = re.compile(r'[0-9]+\Z')
# The three HTTP-date forms of RFC 9110 section 5.6.7, for what email.utils cannot read; all are UTC.
_HTTP_DATE_FORMATS = ('%a, %d %b %Y %H:%M:%S GMT', '%A, %d-%b-%y %H:%M:%S GMT', '%a %b %d %H:%M:%S %Y')


def _retry_after_seconds(value, now=None):
    """Seconds asked for by a Retry-After header (delta-seconds or HTTP-date), None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if _DELTA_SECONDS.match(value):
        # 400 nines are a number too: cap it (anything over MAX_RETRY_AFTER ends the retries anyway) before float(),
        # and before int(), which refuses more than 4300 digits.
        digits = value.lstrip('0') or '0'
        return float(min(int(digits), 10 ** 9)) if len(digits) <= 12 else float(10 ** 9)
    when = _http_date(value)
    if when is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def _http_date(value):
    """An HTTP-date as an aware UTC datetime, or None. HTTP-dates are UTC whatever they say ('-0000', asctime)."""
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        when = None
    if when is None:
        for form in _HTTP_DATE_FORMATS:
            try:
                when = datetime.datetime.strptime(' '.join(value.split()), form)
            except ValueError:
                continue
            break
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.timezone.utc)
    return when


# What OpenSSL says when the first bytes that come back are no TLS record (an HTTP reply starts with "HTTP/"): the port
# speaks something else. OpenSSL up to 3.1 reports the record's version bytes; 3.2 and later a record layer failure.
_NOT_TLS = ('wrong_version_number', 'wrong version number', 'record_layer_failure', 'record layer failure')


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


def _without_credentials(address):
    """A proxy address without user:password@, to name it in messages."""
    parts = urlsplit(address)
    host = parts.hostname or ''
    if ':' in host:
        host = '[%s]' % host
    try:
        port = parts.port
    except ValueError:
        port = None
    return '%s://%s%s' % (parts.scheme or 'http', host, ':%d' % port if port else '')


class _Reply:
    """What one attempt received: the status line, the headers and at most MAX_BODY bytes of the body."""

    def __init__(self, response, body, truncated):
        self.status = response.status_code
        self.reason = response.reason or ''
        self.headers = response.headers
        self.body = body
        self.truncated = truncated

    def text(self):
        charset = requests.utils.get_encoding_from_headers(self.headers) or 'utf-8'
        try:
            return self.body.decode(charset, 'replace')
        except LookupError:
            return self.body.decode('utf-8', 'replace')

    def json(self):
        """The body as a JSON object, or None (no body, another format, cut short, or compressed although not asked to)."""
        if self.truncated or self.headers.get('Content-Encoding', 'identity').strip().lower() != 'identity':
            return None
        try:
            body = json.loads(self.body)
        except (ValueError, RecursionError):  # RecursionError: a hostile '[[[[...' nesting
            return None
        return body if isinstance(body, dict) else None

    def content_type(self):
        return self.headers.get('Content-Type', '').split(';')[0].strip().lower()


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
        token = basic_token(params['username'], params['password'])
        # The module adds it to Ansible's masking of results: computed once, here.
        self.token = token
        self._authorization = 'Basic ' + token
        # Set after an HTTP 401: no more requests with these credentials (a lockout policy counts every failed login).
        self._refused = threading.Event()
        self._helpers = _Helpers()
        self.session = requests.Session()
        # No retries at this level (put() does them, with its own backoff and messages), as requests' default adapter.
        adapter = requests.adapters.HTTPAdapter(pool_maxsize=max(1, connections))
        self.session.mount('https://', adapter)
        self.session.mount('http://', adapter)
        self.session.headers['Accept'] = '*/*'
        # Bodies are read raw and bounded: a compressed one could expand far past MAX_BODY.
        self.session.headers['Accept-Encoding'] = 'identity'
        # An auth callable, not a default header: with no session auth, requests would take ~/.netrc's instead.
        self.session.auth = self._authorize
        # The environment is read once, here, not by requests on every request: with trust_env on, requests scans the
        # whole environment twice per request for the proxy variables (a quarter of its CPU time per request). What it
        # read there is resolved the same way below, so the requests sent do not change.
        self.session.trust_env = False
        # As requests does with trust_env: REQUESTS_CA_BUNDLE (or CURL_CA_BUNDLE) stands in for the default trust store.
        verify = params.get('ca_path') or True if params['validate_certs'] else False
        self.verify = (os.environ.get('REQUESTS_CA_BUNDLE') or os.environ.get('CURL_CA_BUNDLE') or True) if verify is True else verify
        # HTTP(S)_PROXY / ALL_PROXY / NO_PROXY from the environment, for the one host every request goes to; none with
        # use_proxy: false.
        self.use_proxy = params.get('use_proxy', True)
        self._proxies = requests.utils.get_environ_proxies(self.base_url) if self.use_proxy else {}
        proxy = requests.utils.select_proxy(self.base_url, self._proxies) if self.use_proxy else None
        self.proxy = _without_credentials(proxy) if proxy else None
        proxy_password = urlsplit(proxy).password if proxy else None
        # Never shown, in any spelling, even when a server echoes them back in an error page.
        secrets = [(params['password'], PASSWORD_FRAGMENT), (token, TOKEN_FRAGMENT), (proxy_password, PASSWORD_FRAGMENT)]
        secrets += [(secret, PASSWORD_FRAGMENT) for secret in url_secrets(params['url'])]
        # http.client reads a status line and headers as Latin-1: a UTF-8 password echoed there comes back as mojibake.
        secrets += [(secret.encode('utf-8').decode('latin-1'), fragment) for secret, fragment in secrets if secret and not secret.isascii()]
        self._masker = SecretMasker(secrets)

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
            if self._refused.is_set():
                raise PhoneLockError(self._not_sent_message(url, attempts), attempts=attempts, sent=attempts > 0)
            attempts += 1
            retry_wait = None
            try:
                reply = self._attempt(url)
            except _AttemptTimedOut as exc:
                what = ('no complete reply within %s s (the server kept the connection open without finishing its answer)'
                        if exc.answered else 'no reply within %s s (timed out)') % self.timeout
                failure = PhoneLockError('%s failed after %d attempt(s): %s. Check the server, or raise timeout.'
                                         % (self._request(url), attempts, what), attempts=attempts)
            except requests.exceptions.SSLError as exc:
                raise PhoneLockError(self._tls_message(url, exc), attempts=attempts)
            except requests.exceptions.ProxyError as exc:
                failure = PhoneLockError('%s failed after %d attempt(s): the proxy %s did not pass the request on (%s). Check the '
                                         'proxy (HTTPS_PROXY / HTTP_PROXY), exclude the server with NO_PROXY, or set use_proxy: false.'
                                         % (self._request(url), attempts, self.proxy, self._mask(_root_cause(exc))), attempts=attempts)
            except requests.exceptions.Timeout as exc:
                failure = PhoneLockError('%s failed after %d attempt(s): no reply within %s s (%s). '
                                         'Check the server, or raise timeout.' % (self._request(url), attempts, self.timeout,
                                                                                  self._mask(_root_cause(exc))), attempts=attempts)
            except requests.exceptions.ConnectionError as exc:
                failure = PhoneLockError('%s failed after %d attempt(s): cannot reach the server (%s). '
                                         'Check url, DNS, proxy and firewall, and that the server is running.'
                                         % (self._request(url), attempts, self._mask(_root_cause(exc))), attempts=attempts)
            except requests.exceptions.RequestException as exc:
                raise PhoneLockError('%s failed: %s' % (self._request(url), self._mask(_root_cause(exc))), attempts=attempts)
            else:
                if 200 <= reply.status < 300:
                    problem = self._success_problem(url, reply)
                    if problem:
                        raise PhoneLockError(problem, status=reply.status, attempts=attempts)
                    return reply.status, reply.json(), attempts
                if reply.status == 401:
                    self._refused.set()
                retry_wait = _retry_after_seconds(reply.headers.get('Retry-After'))
                retryable = reply.status == 429 or reply.status >= 500
                if retry_wait is not None and retry_wait > MAX_RETRY_AFTER and retryable:
                    # More retries would not help here, so the message must not suggest them.
                    raise PhoneLockError('%s: the server asked to retry after %d s, longer than the %d s this module waits. '
                                         'Run the task again later.' % (self._status_head(url, reply), retry_wait, MAX_RETRY_AFTER),
                                         status=reply.status, attempts=attempts)
                failure = PhoneLockError(self._http_message(url, reply, attempts), status=reply.status, attempts=attempts)
                if not retryable:
                    raise failure
            if attempts > self.retries:
                raise failure
            self._sleep(retry_wait if retry_wait is not None else min(BACKOFF_CAP, BACKOFF_BASE * 2 ** (attempts - 1)))

    def _attempt(self, url):
        """One PUT, bounded as a whole by timeout: connect, headers and body.

        requests' timeout bounds each socket operation, so a server that sends a byte a second never trips it. The
        exchange runs in a daemon helper thread and is given up at the deadline; the helper stops reading at its next
        chunk and dies with the process at the latest.
        """
        outcome = {}
        abandoned, answered = threading.Event(), threading.Event()

        def exchange():
            try:
                outcome['reply'] = self._exchange(url, abandoned, answered)
            except Exception as exc:  # pylint: disable=broad-except  # raised again in the caller's thread
                outcome['error'] = exc

        if not self._helpers.run(exchange, self.timeout):
            abandoned.set()
            raise _AttemptTimedOut(answered.is_set())
        if 'error' in outcome:
            raise outcome['error']
        return outcome['reply']

    def _exchange(self, url, abandoned, answered):
        # Redirects are not followed: requests would turn a 302 into a GET (a false success) and may carry the
        # credentials along.
        response = self.session.put(url, timeout=self.timeout, verify=self.verify, allow_redirects=False, stream=True,
                                    proxies=self._proxies)
        answered.set()
        chunks, size, complete = [], 0, False
        try:
            for chunk in response.raw.stream(64 * 1024, decode_content=False):
                chunks.append(chunk)
                size += len(chunk)
                if size > MAX_BODY or abandoned.is_set():
                    break
            else:
                complete = True
        finally:
            if complete:
                # Read to the end: the connection goes back to the pool for the next request.
                response.raw.release_conn()
            else:
                response.close()
        return _Reply(response, b''.join(chunks)[:MAX_BODY], truncated=not complete)

    def _request(self, url):
        """How messages name a request: the method, the URL and the proxy it went through, if any."""
        return 'PUT %s (through the proxy %s)' % (url, self.proxy) if self.proxy else 'PUT %s' % url

    def _status_head(self, url, reply):
        """The start of every HTTP error message: the request and the status line."""
        reason = self._masker.snippet(reply.reason, HEADER_SNIPPET)
        return ('%s failed: HTTP %d %s' % (self._request(url), reply.status, reason)).rstrip()

    def _mask(self, text):
        return self._masker.snippet(text, BODY_SNIPPET)

    def _body_snippet(self, reply):
        return self._masker.snippet(reply.text(), BODY_SNIPPET, truncated=reply.truncated)

    def _not_sent_message(self, url, attempts):
        what = 'not retried after %d attempt(s)' % attempts if attempts else 'not sent'
        return ('%s %s: the server refused the credentials of user %r (HTTP 401) in this task, and every further failed '
                'login could lock the account under a lockout policy. Check username and password.'
                % (self._request(url), what, self.username))

    def mask(self, text):
        """Any text for a message, with the credentials masked in every spelling and cut to a readable length."""
        return self._mask(text)

    def redact(self, text):
        """Any text for a result that must be kept whole (a diff), with the credentials masked in every spelling."""
        return self._masker.mask(text)

    def _success_problem(self, url, reply):
        """Why a 2xx answer is not a Phone Lock success after all, or None."""
        if reply.content_type() in ('text/html', 'application/xhtml+xml'):
            snippet = self._body_snippet(reply)
            return ('%s: HTTP %d, but with an HTML page instead of a Phone Lock reply: a proxy, load balancer or sign-on page '
                    'may have answered for the server, so the phones may not have changed. Check url.%s'
                    % (self._request(url), reply.status, (' Server said: ' + snippet) if snippet else ''))
        body = reply.json()
        if body and (body.get('success') is False or body.get('error') or body.get('errors')):
            return ('%s: HTTP %d, but the reply reports an error, so the phones may not have changed. Server said: %s'
                    % (self._request(url), reply.status, self._body_snippet(reply)))
        return None

    def _tls_message(self, url, exc):
        cause = self._mask(_root_cause(exc))
        if any(marker in cause.lower() for marker in _NOT_TLS):
            parts = urlsplit(url)
            plain = 'http://' + self.base_url.split('://', 1)[1]
            return ('%s failed: the server did not answer TLS on port %d (%s), so something else, most likely plain HTTP, listens '
                    'there. If the server serves plain HTTP on that port, give url as %s (the password then travels unencrypted); '
                    'otherwise give url the port the server serves HTTPS on. ca_path and validate_certs do not change this.'
                    % (self._request(url), parts.port or 443, cause, plain))
        if self.verify is False:
            # No certificate is checked, so the advice below would not help.
            return ('%s failed: the TLS handshake failed (%s), with certificate checks off (validate_certs: false). Check that url '
                    'names the port the server serves HTTPS on, and that the server offers a TLS version this host accepts.'
                    % (self._request(url), cause))
        return ('%s failed: TLS certificate verification failed (%s). Give the PEM bundle of the CA that signed the '
                'server certificate in ca_path; validate_certs: false turns the check off (not recommended).'
                % (self._request(url), cause))

    def _http_message(self, url, reply, attempts):
        status = reply.status
        head = self._status_head(url, reply)
        if status == 401:
            return head + (': authentication failed for user %r. Check username and password. No further request of this task '
                           'is sent with these credentials.' % self.username)
        if status == 403:
            return head + ': user %r may not use the Phone Lock API. %s' % (self.username, PERMISSION_HINT)
        if status == 404:
            return head + (': the Phone Lock API is not there. Check that url is the UCX Suite base address, that Phone Lock '
                           'is installed and licensed, and that the suite is 2020.Summer.1 or later.')
        if status == 407 and self.proxy:
            return head + (': the proxy %s wants credentials. Put them in the proxy variable (http://user:password@proxy:port), '
                           'exclude the server with NO_PROXY, or set use_proxy: false.' % self.proxy)
        if 300 <= status < 400:
            location = self._masker.snippet(reply.headers.get('Location', ''), HEADER_SNIPPET) or '(no Location)'
            return head + (': the server redirects to %s. Redirects are not followed (they could drop the PUT or send the '
                           'credentials elsewhere): set url to the final address.' % location)
        snippet = self._body_snippet(reply)
        detail = (' Server said: ' + snippet) if snippet else ''
        if status < 200:
            return head + ': an interim (1xx) status as the final answer: the server or a proxy in between misbehaves.%s' % detail
        if status == 429:
            return head + ' after %d attempt(s): the server is rate-limiting. Retry later or raise retries.%s' % (attempts, detail)
        if status >= 500:
            return head + ' after %d attempt(s): the server reported an error.%s' % (attempts, detail)
        return head + ': the server refused the request.%s' % detail
