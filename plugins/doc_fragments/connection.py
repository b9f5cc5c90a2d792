# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    # Mirrors CONNECTION_ARGUMENT_SPEC in plugins/module_utils/api.py option by option.
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
    type: str
    required: true
  username:
    description:
      - UCX Suite user to authenticate as, with HTTP Basic authentication.
      - The user needs one of the Phone Lock permissions Imagicle Admin, Phone Lock C(Complete Management),
        or Phone Lock C(Manage Department User). The last one only ever acts on the phones of the user's own department.
      - If not set, the value of the E(IMAGICLE_USERNAME) environment variable is used.
    type: str
    required: true
  password:
    description:
      - Password of O(username). It is sent on the first request (no challenge round trip), encoded as UTF-8.
      - It never appears in the module's output, results or error messages.
      - If not set, the value of the E(IMAGICLE_PASSWORD) environment variable is used.
    type: str
    required: true
  validate_certs:
    description:
      - Whether to verify the server's TLS certificate for V(https://) addresses.
      - Turn it off only for tests; to trust an internal CA, use O(ca_path) instead.
      - If not set, the value of the E(IMAGICLE_VALIDATE_CERTS) environment variable is used (Ansible booleans such as V(false), V(no)).
    type: bool
    default: true
  ca_path:
    description:
      - A PEM file with the CA certificate(s) that signed the server certificate, for servers behind an internal CA.
      - Without it, the system's trusted CAs are used.
    type: path
  timeout:
    description:
      - Seconds to wait for the server's reply to each request.
    type: float
    default: 30
  retries:
    description:
      - How many times a failed request is retried after the first attempt, with exponential backoff (1 s, 2 s, 4 s ...).
      - Retried are connection errors and resets, timeouts, HTTP 5xx and HTTP 429. A C(Retry-After) header is honoured
        up to 120 seconds; a longer one ends the retries with an error.
      - Other HTTP 4xx answers and TLS verification failures are never retried. Redirects are never followed.
      - Lock and unlock are safe to repeat, so a retry after a lost reply does no harm.
    type: int
    default: 3
'''
