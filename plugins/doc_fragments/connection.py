# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    # Mirrors connection_argument_spec() in plugins/module_utils/api.py option by option.
    DOCUMENTATION = r'''
options:
  url:
    description:
      - Base address of the Imagicle UCX Suite server, with its scheme, for example V(https://ucx.example.com).
      - It may carry a path prefix (V(https://gw.example.com/imagicle)); a trailing slash is ignored.
      - Give the server address only. An address that already contains C(/fw/Apps/StoneLock) is refused,
        because the module adds the API path itself. Credentials, a query or a fragment in the address are refused too;
        any C(@) in it is taken for C(user:password@), since a password may hold C(/), C(?) or C(#).
      - If not set, the value of the E(IMAGICLE_URL) environment variable is used.
      - Required, from one of these places (an AWX / Automation Controller "Imagicle Phone Lock" credential injects
        E(IMAGICLE_URL)). A missing url fails the task before any request, naming the three places.
      - A wrong value taken from E(IMAGICLE_URL) fails the task before any request, and the message names the variable.
      - With an V(http://) address, every request carries the username and password unencrypted (HTTP Basic only encodes them).
        The task then warns once, however many O(selections), naming the server's host; no option turns that warning off. Use V(https://).
      - An V(https://) address whose port answers in plain HTTP fails with a message that says so, not as a certificate problem.
    type: str
  username:
    description:
      - UCX Suite user to authenticate as, with HTTP Basic authentication.
      - The user needs one of the Phone Lock permissions Imagicle Admin, Phone Lock C(Complete Management),
        or Phone Lock C(Manage Department User). The last one only ever acts on the phones of the user's own department.
      - If not set, the value of the E(IMAGICLE_USERNAME) environment variable is used.
      - Required, from the option or from E(IMAGICLE_USERNAME). A wrong value taken from the variable fails the task before any
        request, and the message names the variable.
    type: str
  password:
    description:
      - Password of O(username). It is sent on the first request (no challenge round trip), encoded as UTF-8.
      - It never appears in the module's output, results or error messages, nor does its HTTP Basic token, in any spelling a
        server may echo (JSON-escaped, percent-encoded, HTML entities, blanks collapsed), nor any fragment of 8 characters
        or more of it (12 or more of the token).
      - If not set, the value of the E(IMAGICLE_PASSWORD) environment variable is used.
      - Required, from the option or from E(IMAGICLE_PASSWORD). An empty value taken from the variable fails the task before any
        request, and the message names the variable (never a value).
      - A password given as an option travels in the module's arguments, which C(ANSIBLE_DEBUG=1) prints on the
        controller. Prefer E(IMAGICLE_PASSWORD) (what the AWX credential injects), which stays out of the arguments.
    type: str
  validate_certs:
    description:
      - Whether to verify the server's TLS certificate for V(https://) addresses.
      - Turn it off only for tests; to trust an internal CA, use O(ca_path) instead.
      - If not set, the value of the E(IMAGICLE_VALIDATE_CERTS) environment variable is used (Ansible booleans such as V(false), V(no)).
        A value that Ansible does not read as a boolean fails the task before any request, with a message that names the variable,
        its value and the accepted values.
    type: bool
    default: true
  ca_path:
    description:
      - A PEM file with the CA certificate(s) that signed the server certificate, for servers behind an internal CA.
        Only the CAs in this file are trusted.
      - Without it, the module trusts the CA bundle of the Python C(requests) library on the host that runs the module
        (not the system's trust store as such). That is the file that the E(REQUESTS_CA_BUNDLE) (else E(CURL_CA_BUNDLE))
        environment variable names, else the bundle of the C(certifi) package. Installed from PyPI (as in a virtual environment),
        that bundle is Mozilla's list of public CAs; the C(requests) and C(certifi) packages of Debian, Ubuntu, Fedora and RHEL
        are patched to give the system's store instead. E(SSL_CERT_FILE) has no effect.
      - To trust the system's store, give its bundle file, such as V(/etc/ssl/certs/ca-certificates.crt) on Debian and Ubuntu
        or V(/etc/pki/tls/certs/ca-bundle.crt) on RHEL and Fedora.
    type: path
  use_proxy:
    description:
      - Whether to send the requests through the proxy named by the E(HTTPS_PROXY) / E(HTTP_PROXY) / E(ALL_PROXY)
        environment variables (lower case too), unless E(NO_PROXY) excludes the server.
      - Error messages name the proxy that was used.
      - With an V(http://) O(url) the proxy sees the whole request, including the C(Authorization) header with the
        credentials; with V(https://) it only relays the encrypted connection.
      - V(false) ignores those variables and connects directly.
    type: bool
    default: true
    version_added: 1.1.0
  timeout:
    description:
      - Seconds one attempt may take as a whole, from connecting to the last byte of the reply. A server that keeps the
        connection open and drips its answer is given up at this bound.
      - Must be greater than 0 and at most V(600).
      - No more than 1 MiB of a reply body is ever read.
    type: float
    default: 30
  retries:
    description:
      - How many times a failed request is retried after the first attempt, with exponential backoff (1 s, 2 s, 4 s ...).
      - Retried are connection errors and resets, timeouts, HTTP 5xx and HTTP 429. A C(Retry-After) header is honoured
        up to 120 seconds; a longer one ends the retries with an error.
      - Other HTTP 4xx answers and TLS failures (an untrusted certificate, a port that speaks no TLS) are never retried. Redirects are never followed.
      - Lock and unlock are safe to repeat, so a retry after a lost reply does no harm.
      - After an HTTP 401 (wrong credentials) nothing more is sent in the task, neither retries nor other selections,
        so a nightly run cannot lock the service account under a lockout policy.
      - Must be between V(0) and V(10).
    type: int
    default: 3
'''
