# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Selections of different sites that hold the same phones: which one is more specific, and in which order to send them.

The API's filters only AND, so the only way to give part of a site other hours is a second site whose selection
refines the first's ({custom_field1: Milano} and {custom_field1: Milano, custom_field4: Reception}). A selection
*nests* in another when it has all of the other's filter pairs and more, values compared ignoring case (as the server
may compare them); a selection with all_phones (no filter) holds every other. The most specific site wins: its request
is sent after the broader one, never at the same time.

Two selections that may hold the same phones without one nesting in the other ({department: Sales} and
{custom_field1: Milano}) cannot be ordered: whichever request runs last wins.

A selection's filters are a frozenset of (option, case-folded value) pairs (``Site.filters``).
"""

from __future__ import annotations


def nests(inner, outer):
    """Whether the selection ``inner`` has all of ``outer``'s filter pairs and more."""
    return outer < inner


def may_overlap(first, second):
    """Whether some phone could match both selections: no filter is in both with different values, and neither nests."""
    one, other = dict(first), dict(second)
    return all(one[key] == other[key] for key in one.keys() & other.keys()) and not nests(first, second) and not nests(second, first)


def orders(owned):
    """The order of each request, for ``owned`` = [(owner, filters)]: 0 for a selection that nests in no selection of
    another owner, else one more than the highest order of those it nests in. Requests of a higher order are sent after
    every request of a lower one, so the most specific site's state is the last one its phones get."""
    order = [0] * len(owned)
    # An outer selection has fewer pairs than any selection nested in it, so it is settled first.
    by_size = sorted(range(len(owned)), key=lambda number: len(owned[number][1]))
    for inner in by_size:
        for outer in by_size:
            if owned[outer][0] != owned[inner][0] and nests(owned[inner][1], owned[outer][1]):
                order[inner] = max(order[inner], order[outer] + 1)
    return order


def describe(filters):
    """A selection's filters for a message: {custom_field1: milano, department: sales} (as compared: case-folded)."""
    return '{%s}' % ', '.join('%s: %s' % pair for pair in sorted(filters)) if filters else '{all_phones: true}'
