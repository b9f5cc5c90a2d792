# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Reading the site list: each site on its own, in the user's coordinates; names unique ignoring case; the limit."""

from __future__ import annotations

import pytest

from ansible_collections.imagicle.phonelock.plugins.plugin_utils._site import SiteError
from ansible_collections.imagicle.phonelock.plugins.plugin_utils._sites import parse_limit, parse_sites, read_sites, select, server_limit

FILTERS = 'the filters are department, custom_field1 ... custom_field10 (or customField1 ... customField10) and all_phones'


def site(name, **changes):
    return dict({'name': name, 'timezone': 'Europe/Rome', 'selections': [{'custom_field1': name.capitalize()}]}, **changes)


@pytest.mark.parametrize('selection, problem', [
    ({'customfield1': 'Milano'}, 'selections[0].customfield1 is not a filter of imagicle.phonelock.phones (did you mean custom_field1?); '
                                 + FILTERS),
    ({'custom_field1': 'Milano', 'dept': 'Sales'}, 'selections[0].dept is not a filter of imagicle.phonelock.phones; ' + FILTERS),
    ({'custom_field1': 5}, 'selections[0].custom_field1 must be a string, not a number (5): quote the value in YAML (for example "100" '
                           'or "yes") so that it is sent exactly as written.'),
    ({'customField4': True}, "selections[0].customField4 must be a string, not a boolean (True): quote the value in YAML (for example "
                             "\"100\" or \"yes\") so that it is sent exactly as written."),
    ({'department': ' '}, 'selections[0].department is empty or blank: give a value, or leave the option out.'),
    ({'custom_field1': 'a', 'customField1': 'b'}, 'selections[0]: custom_field1 and customField1 are the same filter; give it once'),
    ({'all_phones': 'maybe'}, "selections[0].all_phones must be true or false, not 'maybe'"),
    ({'all_phones': True, 'department': 'Sales'}, 'selections[0]: all_phones: true cannot be combined with filters (department): use one '
                                                  'or the other.'),
])
def test_a_bad_selection_is_its_sites_problem_in_the_users_coordinates(selection, problem):
    read = read_sites([site('roma'), site('napoli'), site('torino'), site('milano', selections=[selection]), site('bari')])
    assert [(entry.where, entry.name, entry.site is not None) for entry in read] == [
        ('office_hours_sites[0]', 'roma', True), ('office_hours_sites[1]', 'napoli', True), ('office_hours_sites[2]', 'torino', True),
        ('office_hours_sites[3]', 'milano', False), ('office_hours_sites[4]', 'bari', True)]
    assert read[3].problem == 'office_hours_sites[3] (milano): ' + problem


def test_aliases_and_all_phones_are_read_as_the_module_reads_them():
    read = read_sites([site('roma', selections=[{'customField1': 'Roma', 'department': 'R&D'}, {'all_phones': 'yes'}])])
    assert read[0].problem is None
    assert read[0].site.filters == (frozenset({('custom_field1', 'roma'), ('department', 'r&d')}), frozenset())
    # The selections go to the module as the user wrote them.
    assert read[0].site.selections == ({'customField1': 'Roma', 'department': 'R&D'}, {'all_phones': 'yes'})


@pytest.mark.parametrize('names', [['milano', 'Milano'], ['milano', 'MILANO']])
def test_names_are_unique_ignoring_case_and_both_sites_are_told(names):
    read = read_sites([site(names[0]), site('roma'), site(names[1])])
    assert [entry.problem for entry in read] == [
        'office_hours_sites[0] (%s): the name is also used by office_hours_sites[2] (%s); site names must be unique, ignoring case'
        % (names[0], names[1]),
        None,
        'office_hours_sites[2] (%s): the name is also used by office_hours_sites[0] (%s); site names must be unique, ignoring case'
        % (names[1], names[0]),
    ]


def test_a_site_with_its_own_problem_and_a_clashing_name_gets_both():
    read = read_sites([site('milano'), site('Milano', timezone='Europe/Milan')])
    assert read[1].problem.startswith("office_hours_sites[1] (Milano): timezone 'Europe/Milan' is not an IANA time zone name")
    assert read[1].problem.endswith(' | office_hours_sites[1] (Milano): the name is also used by office_hours_sites[0] (milano); '
                                    'site names must be unique, ignoring case')


def test_the_list_and_the_defaults_concern_every_site():
    with pytest.raises(SiteError, match=r'^office_hours_sites must be a list of sites, not dict$'):
        read_sites({'name': 'milano'})
    with pytest.raises(SiteError, match=r"^office_hours_defaults: opens '25:00' is not a time of day"):
        read_sites([site('milano')], {'opens': '25:00'})


@pytest.mark.parametrize('limit, names', [
    (None, []), ('', []), ([], []), ('milano', ['milano']), ('milano,roma', ['milano', 'roma']), (' milano , ROMA ,', ['milano', 'ROMA']),
    (['milano', ' roma '], ['milano', 'roma']), (('milano',), ['milano']), ([' '], []),
])
def test_the_limit_is_a_list_or_one_comma_separated_string(limit, names):
    assert parse_limit(limit) == names


@pytest.mark.parametrize('limit, shown', [(5, '5 (int)'), ({'milano': True}, "{'milano': True} (dict)"), (['milano', 1], "['milano', 1] (list)")])
def test_a_limit_of_anything_else_names_the_variable(limit, shown):
    with pytest.raises(SiteError) as error:
        parse_limit(limit)
    assert str(error.value) == 'office_hours_limit must be a list of site names, or one comma-separated string of them, not ' + shown


def test_select_matches_names_ignoring_case_in_the_order_of_the_sites():
    read = read_sites([site('milano'), site('roma'), site('napoli')])
    assert [entry.name for entry in select(read, 'NAPOLI,Milano')] == ['milano', 'napoli']
    with pytest.raises(SiteError) as error:
        select(read, 'milano,torino')
    assert str(error.value) == "office_hours_limit names 'torino', which matches no site; the sites are milano, roma, napoli"


def test_parse_sites_refuses_any_bad_site_and_lists_every_problem():
    sites = [site('milano', timezone='EST'), site('roma'), site('napoli', selections=[{'customfield1': 'Napoli'}])]
    with pytest.raises(SiteError) as error:
        parse_sites(sites, limit=['roma'])
    assert str(error.value) == (
        "office_hours_sites[0] (milano): timezone 'EST' is the fixed offset UTC-05:00 with no daylight saving time: an office in a city "
        "that changes its clocks would open and close an hour off for months. Use the zone of the office's city, for example "
        "America/New_York | office_hours_sites[2] (napoli): selections[0].customfield1 is not a filter of imagicle.phonelock.phones "
        "(did you mean custom_field1?); " + FILTERS)
    assert [parsed.name for parsed in parse_sites([site('milano'), site('roma')], limit='ROMA')] == ['roma']


# Two UCX Suite servers, one inventory host each; a third host of the play has no sites.
SERVERS = {'ucx-emea': [site('milano'), site('roma')], 'ucx-apac': [site('sydney'), site('bangalore')], 'awx-runner': None}


@pytest.mark.parametrize('limit, emea, apac', [
    ('sydney', [], ['sydney']),
    ('ROMA, Sydney', ['ROMA'], ['Sydney']),
    (['milano', 'roma'], ['milano', 'roma'], []),
    # An empty limit is every site, on every server.
    ([], [], []),
])
def test_a_limit_of_several_servers_gives_each_server_its_own_sites(limit, emea, apac):
    assert server_limit(limit, SERVERS, 'ucx-emea') == emea
    assert server_limit(limit, SERVERS, 'ucx-apac') == apac


def test_a_name_of_no_server_fails_every_server_naming_it_and_every_servers_sites():
    for server in ('ucx-emea', 'ucx-apac'):
        with pytest.raises(SiteError) as error:
            server_limit('sydney,berlin', SERVERS, server)
        assert str(error.value) == ("office_hours_limit names 'berlin', which matches no site of any UCX Suite server of this run; "
                                    "the sites are milano, roma (ucx-emea); sydney, bangalore (ucx-apac)")


def test_one_server_keeps_the_limit_as_given_so_the_sites_reading_reports_an_unknown_name():
    # The plan then fails with its own message, as it always did (select above).
    assert server_limit('milano,torino', {'localhost': [site('milano')]}, 'localhost') == ['milano', 'torino']
    # A host without sites, or other than the servers: nothing to split.
    assert server_limit('berlin', SERVERS, 'awx-runner') == ['berlin']


def test_only_the_names_of_the_other_servers_sites_are_read_valid_or_not():
    servers = {'a': [site('milano', timezone='EST'), 'not a site', {'name': 7}], 'b': {'name': 'roma'}, 'c': [site('roma')]}
    assert server_limit('milano', servers, 'a') == ['milano']
    assert server_limit('milano', servers, 'c') == []


@pytest.mark.parametrize('servers, shown', [(['ucx-emea'], "['ucx-emea'] (list)"), ('ucx-emea', "'ucx-emea'")])
def test_servers_of_anything_else_than_a_mapping_are_refused(servers, shown):
    with pytest.raises(SiteError) as error:
        server_limit('milano', servers, 'ucx-emea')
    assert str(error.value) == 'the servers of office_hours_limit must map each inventory host to its office_hours_sites, not ' + shown
