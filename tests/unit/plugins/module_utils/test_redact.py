# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Masking secrets in server text: every spelling a server may echo, fragments, and the cut."""

from __future__ import annotations

import base64
import json
from urllib.parse import quote, quote_plus

import pytest

from ansible_collections.imagicle.phonelock.plugins.module_utils.redact import MASK, SecretMasker

PASSWORD = 'Tr0ub4dor  &3"é/€ x'
TOKEN = base64.b64encode(('svc:' + PASSWORD).encode('utf-8')).decode('ascii')
MASKER = SecretMasker([(PASSWORD, 8), (TOKEN, 12)])


def fragments(text, secret, size):
    """Every piece of ``secret`` of ``size`` characters that appears in ``text``."""
    return [secret[i:i + size] for i in range(len(secret) - size + 1) if secret[i:i + size] in text]


@pytest.mark.parametrize('spelling', [
    PASSWORD,
    ' '.join(PASSWORD.split()),                       # blanks collapsed by the server
    PASSWORD.replace('  ', '\n\t  '),                  # reflowed
    json.dumps(PASSWORD)[1:-1],                        # JSON, ASCII-escaped
    json.dumps(PASSWORD, ensure_ascii=False)[1:-1],    # JSON, UTF-8
    json.dumps(PASSWORD).upper()[1:-1].replace('\\U', '\\u'),  # upper-case hex escapes
    quote(PASSWORD, safe=''),
    quote(PASSWORD, safe='').lower(),
    quote_plus(PASSWORD),
    PASSWORD.replace('&', '&amp;').replace('"', '&quot;'),
    ''.join('&#%d;' % ord(char) for char in PASSWORD),
    TOKEN,
    quote(TOKEN, safe=''),
    TOKEN.replace('/', '\\/'),
])
def test_every_spelling_is_masked(spelling):
    text = 'error for user svc with <%s> at line 3' % spelling
    masked = MASKER.mask(text)
    assert masked == 'error for user svc with <%s> at line 3' % MASK
    assert not fragments(masked, PASSWORD, 8) and not fragments(masked, TOKEN, 12)


@pytest.mark.parametrize('prefix', [0, 250, 290, 296, 299, 300, 305])
@pytest.mark.parametrize('secret', [PASSWORD, TOKEN, quote(PASSWORD, safe='')])
def test_nothing_of_a_secret_survives_the_cut(prefix, secret):
    # The secret straddles the 300-character cut, after a run of blanks that collapsing shortens.
    text = 'x' * prefix + '   \n   ' + secret + ' tail'
    shown = MASKER.snippet(text, 300)
    assert len(shown) <= 303
    assert not fragments(shown, PASSWORD, 4) and not fragments(shown, TOKEN, 4) and not fragments(shown, secret, 4)


def test_fragments_are_masked():
    text = 'login svc/%s... then %s (cut by the server)' % (PASSWORD[:9], TOKEN[3:16])
    masked = MASKER.mask(text)
    assert masked == 'login svc/%s... then %s (cut by the server)' % (MASK, MASK)


def test_a_body_cut_at_the_read_bound_drops_the_start_of_a_secret():
    # 1 MiB of blanks then the password, of which only the first characters were read: collapsing would bring them forward.
    read = ' ' * (1024 * 1024) + PASSWORD[:6]
    assert MASKER.snippet(read, 300, truncated=True) == ''


def test_unrelated_text_is_kept():
    text = 'The request is invalid. department=Sales'
    assert MASKER.snippet(text, 300) == text
    assert SecretMasker([('', 8), (None, 8)]).mask(text) == text
