# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Which phones a request acts on: the filter options, their validation and their query string."""

from __future__ import annotations

import unicodedata
from urllib.parse import quote

# (module option, query parameter the API expects), in the order they are sent.
FILTERS = [('department', 'department')] + [('custom_field%d' % i, 'customField%d' % i) for i in range(1, 11)]

# type 'raw': Ansible would turn a list into its text, or YAML's yes into 'True', and the module would send that.
# _value_problem refuses every value that is not a string instead.
FILTER_ARGUMENT_SPEC = dict(
    (option, dict(type='raw', aliases=[api_name]) if option != api_name else dict(type='raw'))
    for option, api_name in FILTERS
)
FILTER_ARGUMENT_SPEC['all_phones'] = dict(type='bool', default=False)

# A selection of the selections option: the filters, and a label that only names it in results, diffs and messages.
# The label is never sent and never counts as a filter. keep_locked: narrower selections to lock right after this one is
# unlocked (held phones inside it), with this one locked again if they cannot be.
KEEP_LOCKED_ARGUMENT_SPEC = dict(((option, spec) for option, spec in FILTER_ARGUMENT_SPEC.items() if option != 'all_phones'),
                                 label=dict(type='str'))
SELECTION_ARGUMENT_SPEC = dict(FILTER_ARGUMENT_SPEC, label=dict(type='str'),
                               keep_locked=dict(type='list', elements='dict', options=KEEP_LOCKED_ARGUMENT_SPEC))

# UCX Suite runs on IIS, whose request filtering refuses query strings over 2048 bytes by default.
MAX_QUERY_LENGTH = 2048

FILTER_NAMES = ', '.join(option for option, dummy in FILTERS[:2]) + ' ... custom_field10'


def _given(selection):
    """(option, API name, value) of every filter the selection sets: the guard and the query both use this."""
    return [(option, api_name, selection[option]) for option, api_name in FILTERS if selection.get(option) is not None]


def selection_problems(selection, where=''):
    """Return the messages for everything wrong with one selection (empty when it may be sent).

    ``where`` prefixes each message, e.g. ``selections[2]: ``, so the user can find the entry.
    """
    problems = []
    given = _given(selection)
    for option, dummy, value in given:
        problem = _value_problem(value)
        if problem:
            problems.append('%s%s %s' % (where, option, problem))
    if selection.get('all_phones'):
        if given:
            problems.append('%sall_phones: true cannot be combined with filters (%s): use one or the other.'
                            % (where, ', '.join(option for option, dummy, dummy2 in given)))
    elif not given:
        problems.append('%sno filter given: that would act on every phone the user can see. Give at least one of %s, '
                        'or set all_phones: true to mean every phone.' % (where, FILTER_NAMES))
    problem = _label_problem(selection.get('label'))
    if problem:
        problems.append('%slabel %s' % (where, problem))
    if not problems:
        length = len(encode_query(selection))
        if length > MAX_QUERY_LENGTH:
            problems.append('%sthe encoded filters (%s) are %d characters long; servers on IIS refuse query strings over %d by '
                            'default. Use shorter filter values.'
                            % (where, ', '.join(option for option, dummy, dummy2 in given), length, MAX_QUERY_LENGTH))
    return problems


_TYPE_NAMES = ((bool, 'a boolean'), (int, 'a number'), (float, 'a number'), (list, 'a list'), (dict, 'a dictionary'))


def _value_problem(value):
    if not isinstance(value, str):
        kind = next((name for kind, name in _TYPE_NAMES if isinstance(value, kind)), type(value).__name__)
        return ('must be a string, not %s (%r): quote the value in YAML (for example "100" or "yes") so that it is sent '
                'exactly as written.' % (kind, value))
    if not value.strip():
        return 'is empty or blank: give a value, or leave the option out.'
    if any(unicodedata.category(char) in ('Cc', 'Cs') for char in value):
        return 'contains a control character or an unpaired surrogate: no Imagicle user field holds those; check the value.'
    return None


def _label_problem(label):
    """What is wrong with a selection's label, or None. A null label is no label: it is never sent, so it widens nothing."""
    if label is None:
        return None
    if not isinstance(label, str):
        return 'must be a string, not %r.' % (label,)
    if not label.strip():
        return 'is empty or blank: give the selection a name, or leave label out.'
    if any(unicodedata.category(char) in ('Cc', 'Cs', 'Zl', 'Zp') for char in label):
        return ('contains a control character, a line break or an unpaired surrogate: a label is shown on one line of the '
                'results, the diff and the messages; check the value.')
    return None


def null_filter_problems(args):
    """Messages for the filters that a task's own arguments give with a null value (empty when there are none).

    Only the task's arguments can tell "given as null" (``department: "{{ unset_var }}"``) from "not given": by the time
    the module runs, both are None. A filter left out, or given as ``omit``, is not in the arguments at all.
    A selection's ``label`` given as null is not refused: a label is never sent, so it cannot widen a request.
    """
    names = dict((name, option) for option, api_name in FILTERS for name in (option, api_name))
    advice = ('a filter that is given must have a value. Check the variable behind it, or leave the option out '
              '(for example with | default(omit)) to mean no such filter.')
    problems = ['%s is null: %s' % (key, advice) for key, value in args.items() if key in names and value is None]
    if 'selections' in args and args['selections'] is None:
        problems.append('selections is null: give a list of selections, or leave the option out.')
    for index, selection in enumerate(args.get('selections') or []):
        if isinstance(selection, dict):
            problems += ['selections[%d].%s is null: %s' % (index, key, advice)
                         for key, value in selection.items() if key in names and value is None]
            for inner, kept in enumerate(selection.get('keep_locked') or []):
                if isinstance(kept, dict):
                    problems += ['selections[%d].keep_locked[%d].%s is null: %s' % (index, inner, key, advice)
                                 for key, value in kept.items() if key in names and value is None]
    return problems


def keep_locked_problems(selection, state, where):
    """Messages for a selection's keep_locked (empty when there is none, or it may be sent): each one is checked like a
    selection and must refine the selection, so that it locks only phones the unlock reached."""
    kept = selection.get('keep_locked')
    if kept is None:
        return []
    if state != 'unlocked':
        return ['%skeep_locked is only for state: unlocked (it locks held phones again right after their selection is unlocked).' % where]
    problems = []
    outer = dict((option, value.casefold()) for option, dummy, value in _given(selection) if isinstance(value, str))
    for index, item in enumerate(kept):
        name = '%skeep_locked[%d]: ' % (where, index)
        found = selection_problems(item, name)
        if found:
            problems += found
            continue
        inner = dict((option, value.casefold()) for option, dummy, value in _given(item))
        if not (outer.items() < inner.items()):
            problems.append('%sit must refine its selection (have all of its filters, with the same values, and more), so that it '
                            'locks only phones the unlock reached; it has %s.' % (name, ', '.join(sorted(inner)) or 'no filter'))
    return problems


def selection_name(index, label=None):
    """How results, diffs and messages name a selection: its position, and its label when it has one."""
    return 'selections[%d] (%s)' % (index, label) if label is not None else 'selections[%d]' % index


def api_filters(selection):
    """The filters of a selection as the API names them, in the order they are sent."""
    return dict((api_name, value) for dummy, api_name, value in _given(selection))


def encode_query(selection):
    """The query string for a selection: every value percent-encoded as UTF-8 (``R&D`` -> ``R%26D``)."""
    return '&'.join('%s=%s' % (name, quote(value, safe='')) for name, value in api_filters(selection).items())
