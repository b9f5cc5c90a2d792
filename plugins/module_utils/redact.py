# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Masking secrets in text a server controls (bodies, reason phrases, headers) before any of it reaches a message."""

from __future__ import annotations

import re

MASK = '********'

# A whitespace character of a secret may come back as any run of blanks or encoded blanks (HTML collapses them,
# a form encodes a space as '+').
_BLANK = r'(?:\s|\+|%(?:20|09|0a|0d)|\\[ntr]|\\u00(?:20|09|0a|0d)|&#(?:32|9|10|13);|&#x(?:20|9|a|d);|&nbsp;)+'
_JSON_SHORT = {'"': '\\"', '\\': '\\\\', '/': '\\/', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t'}
_HTML_NAMED = {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;'}


def _char_pattern(char):
    """Every spelling of one character that a server may echo: plain, JSON-escaped, HTML entity, percent-encoded."""
    if char.isspace():
        return _BLANK
    code = ord(char)
    if code > 0xFFFF:
        high, low = 0xD800 + ((code - 0x10000) >> 10), 0xDC00 + ((code - 0x10000) & 0x3FF)
        json_escape = r'\\u%04x\\u%04x' % (high, low)
    else:
        json_escape = r'\\u%04x' % code
    forms = [re.escape(char), json_escape, '&#0*%d;' % code, '&#x0*%x;' % code,
             ''.join('%%%02x' % byte for byte in char.encode('utf-8'))]
    forms += [re.escape(spelling) for spelling in (_JSON_SHORT.get(char), _HTML_NAMED.get(char)) if spelling]
    return '(?:%s)' % '|'.join(forms)


class SecretMasker:
    """Replaces every secret in a text with ``********``, in whatever spelling it comes back.

    Each secret is matched character by character in any mix of its spellings (so a password that a server sends back
    JSON-escaped, percent-encoded, with its blanks collapsed or reflowed is found), ignoring case. Fragments are masked
    too: any run of at least ``fragment`` characters (per secret) that is part of a secret as written.
    """

    def __init__(self, secrets):
        # (secret, shortest fragment worth masking): a part of a password or token is still a secret.
        self._secrets = [(secret, fragment) for secret, fragment in secrets if secret]
        self._patterns = [re.compile(''.join(_char_pattern(char) for char in secret), re.IGNORECASE)
                          for secret, dummy in self._secrets]
        self.longest = max([len(secret) for secret, dummy in self._secrets] or [0])

    def mask(self, text):
        """The text with every whole secret and every fragment of one masked."""
        return self._mask_fragments(self._mask_whole(text))

    def _mask_whole(self, text):
        for pattern in self._patterns:
            text = pattern.sub(MASK, text)
        return text

    def _mask_fragments(self, text):
        spans = []
        for secret, size in self._secrets:
            size = min(size, len(secret))
            pieces = set(secret[start:start + size] for start in range(len(secret) - size + 1))
            spans += [(start, start + size) for start in range(len(text) - size + 1) if text[start:start + size] in pieces]
        out, last = [], 0
        for start, end in sorted(spans):
            if start > last or not out:
                out += [text[last:start], MASK]
            # Overlapping pieces are one fragment: one mask up to the end of the last piece.
            last = max(last, end)
        out.append(text[last:])
        return ''.join(out)

    def snippet(self, text, limit, truncated=False):
        """Server text for a message: masked first, then blanks collapsed, then cut to ``limit`` characters.

        ``truncated``: the text is the start of something longer, so it may end in the first part of a secret; that tail
        (as long as the longest spelling of a secret could be) is dropped before masking.
        """
        if truncated:
            text = text[:max(0, len(text) - self.longest * 12)]
        # Whole secrets everywhere first (one regular expression pass), so no cut below can split one.
        text = ' '.join(self._mask_whole(text).split())
        window = 4 * limit + 24 * self.longest
        while True:
            # Collapsing blanks can join the pieces of a secret that had blanks in it: mask the window again.
            shown = self.mask(text[:window])
            # A piece of a secret cut at the window's end lies past the first limit characters shown.
            if len(shown) > limit + 12 * self.longest or window >= len(text):
                break
            window *= 2
        if len(shown) > limit or window < len(text):
            shown = shown[:limit] + '...'
        return shown
