# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""A site's time zone: city zones only, with the zone to use for fixed offsets and legacy names."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from ansible_collections.imagicle.phonelock.plugins.plugin_utils._zones import ZoneError, parse_zone

DST = ("with no daylight saving time: an office in a city that changes its clocks would open and close an hour off for months. "
       "Use the zone of the office's city, for example ")


@pytest.mark.parametrize('name', ['Europe/Rome', 'America/New_York', 'Asia/Kathmandu', 'Australia/Lord_Howe', 'Pacific/Chatham',
                                  'America/Argentina/Buenos_Aires', 'Atlantic/Reykjavik', 'US/Eastern'])
def test_city_zones_are_accepted(name):
    assert parse_zone(name).key == name


@pytest.mark.parametrize('name, message', [
    ('EST', "timezone 'EST' is the fixed offset UTC-05:00 " + DST + 'America/New_York'),
    ('MST', "timezone 'MST' is the fixed offset UTC-07:00 " + DST + 'America/Denver'),
    ('HST', "timezone 'HST' is the fixed offset UTC-10:00 " + DST + 'Pacific/Honolulu'),
    ('Etc/GMT+5', "timezone 'Etc/GMT+5' is the fixed offset UTC-05:00 (POSIX signs are inverted: Etc/GMT+5 is 5 hours behind UTC) "
                  + DST + 'America/New_York'),
    ('Etc/GMT-1', "timezone 'Etc/GMT-1' is the fixed offset UTC+01:00 (POSIX signs are inverted: Etc/GMT-1 is 1 hours ahead of UTC) "
                  + DST + 'Europe/Rome'),
    ('UTC', "timezone 'UTC' is UTC, a fixed offset " + DST + 'Europe/London'),
    ('Etc/UTC', "timezone 'Etc/UTC' is UTC, a fixed offset " + DST + 'Europe/London'),
    ('EST5EDT', "timezone 'EST5EDT' is a legacy zone name, kept in the time zone database only for old systems. Use the zone of the "
                "office's city, for example America/New_York"),
    ('CET', "timezone 'CET' is a legacy zone name, kept in the time zone database only for old systems. Use the zone of the office's city, "
            "for example Europe/Paris"),
    ('Japan', "timezone 'Japan' is a legacy zone name, kept in the time zone database only for old systems. Use the zone of the "
              "office's city, for example Asia/Tokyo"),
])
def test_fixed_offsets_and_legacy_names_are_refused_with_the_city_zone_to_use(name, message):
    with pytest.raises(ZoneError) as error:
        parse_zone(name)
    assert str(error.value) == message


@pytest.mark.parametrize('name, nearest', [
    ('Europe/Rom', 'Europe/Rome or Europe/Riga or Europe/Oslo'),
    ('europe/rome', 'Europe/Rome'),
    ('America/New_Yrok', 'America/New_York or America/Nuuk or America/Nome'),
    ('Rome', 'Europe/Rome or America/Nome or Africa/Lome'),
])
def test_a_misspelt_zone_gets_the_nearest_names(name, nearest):
    with pytest.raises(ZoneError) as error:
        parse_zone(name)
    assert str(error.value) == "timezone %r is not an IANA time zone name; did you mean %s?" % (name, nearest)


@pytest.mark.parametrize('value, message', [
    (None, 'timezone is required: an IANA time zone name (for example Europe/Rome)'),
    ('Mars/Olympus_Mons', "timezone 'Mars/Olympus_Mons' is not an IANA time zone name (for example Europe/Rome)"),
    (5, 'timezone 5 (int) is not an IANA time zone name (for example Europe/Rome)'),
    ('localtime', "timezone 'localtime' is not an IANA time zone name (for example Europe/Rome)"),
    ('posix/Europe/Rome', "timezone 'posix/Europe/Rome' is not an IANA time zone name (for example Europe/Rome)"),
])
def test_other_values(value, message):
    with pytest.raises(ZoneError) as error:
        parse_zone(value)
    assert str(error.value) == message


def test_a_host_without_a_time_zone_database_is_told_to_install_tzdata(tmp_path):
    # A Python that finds no system database (PYTHONTZPATH empty) and no tzdata package (hidden by a stub that fails).
    stub = tmp_path / 'tzdata'
    stub.mkdir()
    (stub / '__init__.py').write_text('raise ImportError("no tzdata here")\n')
    script = ('from ansible_collections.imagicle.phonelock.plugins.plugin_utils._zones import parse_zone, ZoneError\n'
              'try:\n    parse_zone("Europe/Rome")\nexcept ZoneError as exc:\n    print(exc)\n')
    env = dict(os.environ, PYTHONTZPATH=str(tmp_path / 'empty'), PYTHONPATH=os.pathsep.join([str(tmp_path)] + sys.path))
    result = subprocess.run([sys.executable, '-c', script], env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ("timezone 'Europe/Rome' cannot be read: this host has no time zone database (no /usr/share/zoneinfo, no "
                             "tzdata package). Install the Python package tzdata (pip install tzdata) where the role runs, or the "
                             "system package tzdata\n")
