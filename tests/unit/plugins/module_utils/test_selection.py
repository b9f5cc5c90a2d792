# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Selections: the guard against widening an action, and the exact query string."""

from __future__ import annotations

from urllib.parse import parse_qsl

import pytest

from ansible_collections.imagicle.phonelock.plugins.module_utils import selection


@pytest.mark.parametrize('value, encoded', [
    ('R&D', 'R%26D'),
    ('a b+c', 'a%20b%2Bc'),
    ('x&department=All', 'x%26department%3DAll'),
    ('50%/#?', '50%25%2F%23%3F'),
    ('Relações Públicas', 'Rela%C3%A7%C3%B5es%20P%C3%BAblicas'),
    ('東京', '%E6%9D%B1%E4%BA%AC'),
    ('😀', '%F0%9F%98%80'),
])
def test_values_are_encoded_and_round_trip(value, encoded):
    query = selection.encode_query(dict(department=value))
    assert query == 'department=' + encoded
    assert parse_qsl(query, keep_blank_values=True) == [('department', value)]


def test_filters_keep_api_order_and_names():
    sel = dict(custom_field10='j', custom_field2='b', department='d', custom_field1='a', all_phones=False)
    assert list(selection.api_filters(sel).items()) == [('department', 'd'), ('customField1', 'a'), ('customField2', 'b'),
                                                        ('customField10', 'j')]
    assert selection.encode_query(sel) == 'department=d&customField1=a&customField2=b&customField10=j'


def test_null_filters_are_not_sent():
    assert selection.encode_query(dict(department='d', custom_field1=None)) == 'department=d'


def test_a_label_is_never_sent():
    sel = dict(label='milano', custom_field1='Milano')
    assert selection.api_filters(sel) == {'customField1': 'Milano'}
    assert selection.encode_query(sel) == 'customField1=Milano'
    assert selection.encode_query(dict(label='everything', all_phones=True)) == ''


@pytest.mark.parametrize('index, label, name', [(0, None, 'selections[0]'), (3, 'milano', 'selections[3] (milano)')])
def test_selection_name(index, label, name):
    assert selection.selection_name(index, label) == name


@pytest.mark.parametrize('sel, problems', [
    (dict(department='Sales'), []),
    (dict(all_phones=True), []),
    (dict(department='R&D', custom_field4='Reception'), []),
    (dict(), ['no filter given']),
    (dict(all_phones=False, department=None), ['no filter given']),
    (dict(department='', custom_field1=' '), ['department is empty', 'custom_field1 is empty']),
    (dict(department='a\x00b'), ['department contains a control character']),
    (dict(department='a\x85b'), ['department contains a control character']),
    (dict(department='\ud800'), ['department contains a control character or an unpaired surrogate']),
    (dict(department='A', custom_field9='B', all_phones=True), ['all_phones: true cannot be combined with filters (department, custom_field9)']),
    # A label is only a name: it is not a filter, and it must fit on one line.
    (dict(label='milano', custom_field1='Milano'), []),
    (dict(label=None, custom_field1='Milano'), []),
    (dict(label='milano'), ['no filter given']),
    (dict(label='milano', all_phones=True), []),
    (dict(label=' ', custom_field1='Milano'), ['label is empty or blank: give the selection a name, or leave label out.']),
    (dict(label='a\rb', custom_field1='Milano'), ['label contains a control character, a line break or an unpaired surrogate']),
    (dict(label='a\u2029b', custom_field1='Milano'), ['label contains a control character, a line break']),
    (dict(label=7, custom_field1='Milano'), ['label must be a string, not 7.']),
])
def test_selection_problems(sel, problems):
    found = selection.selection_problems(sel, 'selections[0]: ')
    assert len(found) == len(problems)
    for message, expected in zip(found, problems):
        assert message.startswith('selections[0]: ' + expected)


def test_query_length_limit_is_on_the_encoded_form():
    assert selection.selection_problems(dict(department='x' * 2037)) == []
    assert selection.selection_problems(dict(department='x' * 2038))[0].startswith('the encoded filters (department) are 2049 characters long')


@pytest.mark.parametrize('args, problems', [
    (dict(department='Sales', custom_field1='Milano'), []),
    (dict(custom_field1='Milano', department=None),
     ['department is null: a filter that is given must have a value. Check the variable behind it, or leave the option out '
      '(for example with | default(omit)) to mean no such filter.']),
    (dict(customField4=None, all_phones=None, state=None),
     ['customField4 is null: a filter that is given must have a value. Check the variable behind it, or leave the option out '
      '(for example with | default(omit)) to mean no such filter.']),
    (dict(selections=None), ['selections is null: give a list of selections, or leave the option out.']),
    (dict(selections=[dict(department='Sales'), dict(custom_field1='Milano', department=None), 'junk']),
     ['selections[1].department is null: a filter that is given must have a value. Check the variable behind it, or leave the '
      'option out (for example with | default(omit)) to mean no such filter.']),
    # A null label is no label: it is never sent, so it cannot widen a request. The null filter beside it still can.
    (dict(selections=[dict(label=None, custom_field1='Milano')]), []),
    (dict(selections=[dict(label='milano', customField1=None)]),
     ['selections[0].customField1 is null: a filter that is given must have a value. Check the variable behind it, or leave the '
      'option out (for example with | default(omit)) to mean no such filter.']),
])
def test_null_filters_in_the_task_arguments(args, problems):
    assert selection.null_filter_problems(args) == problems
