# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""A site's public holidays, from the ``holidays`` package on PyPI: which country (and subdivision, categories,
language) the site keeps, checked against what the package supports, and the holiday's name on a local date.

The package is optional: only a site that names a country needs it, and that site is told to install it.
"""

from __future__ import annotations

import difflib

from ansible_collections.imagicle.phonelock.plugins.plugin_utils._values import SiteError, is_list, is_mapping, show

try:
    import holidays as holidays_package
    HAS_HOLIDAYS = True
except ImportError:
    holidays_package = None
    HAS_HOLIDAYS = False

HOLIDAY_KEYS = ('country', 'subdivision', 'categories', 'language')
REQUIREMENT = "holidays>=0.60,<1.0"
# Every holiday reason ends so: 'closed: Natale (IT public holiday)'.
HOLIDAY_SUFFIX = ' holiday)'
_EXAMPLE = '{country: IT, subdivision: RM} (or the short form IT-RM)'


def _missing(prefix):
    return ('%s: holidays needs the Python package holidays, which is not installed where the role runs: pip install "%s" '
            '(on the control node, or in the execution environment: it is in the collection\'s requirements.txt)' % (prefix, REQUIREMENT))


class HolidayCalendar:
    """The holidays of one country (and subdivision, categories) by local date, with the reason a plan shows:
    'Immacolata Concezione (IT public holiday)'. Years are read from the package when first asked for."""

    def __init__(self, country, subdivision, categories, language):
        self.spec = (country, subdivision, categories, language)
        self._years = {}

    def __eq__(self, other):
        return isinstance(other, HolidayCalendar) and other.spec == self.spec

    def __hash__(self):
        return hash(self.spec)

    def __repr__(self):
        return 'HolidayCalendar%r' % (self.spec,)

    def _year(self, year):
        country, subdivision, categories, language = self.spec
        days = {}
        for category in categories:
            # Each category read on its own, so the reason can name it; a national holiday is named by the country alone.
            local = holidays_package.country_holidays(country, subdiv=subdivision, years=year, categories=(category,), language=language)
            national = holidays_package.country_holidays(country, years=year, categories=(category,), language=language)
            for day, name in sorted(local.items()):
                where = country if day in national else '%s-%s' % (country, subdivision)
                days.setdefault(day, '%s (%s %s%s' % (name, where, category, HOLIDAY_SUFFIX))
        self._years[year] = days
        return days

    def reason(self, day):
        """The holiday's name and kind on a local date, or None."""
        days = self._years.get(day.year)
        if days is None:
            days = self._year(day.year)
        return days.get(day)


def parse_holidays(value, prefix):
    """A HolidayCalendar for a site's (or the defaults') ``holidays`` value, None for null; SiteError naming the key."""
    if value is None:
        return None
    if isinstance(value, str):
        country, dummy, subdivision = value.strip().partition('-')
        value = {'country': country, 'subdivision': subdivision or None}
    if not is_mapping(value):
        raise SiteError('%s: holidays must be a country code or a dictionary such as %s, not %s' % (prefix, _EXAMPLE, show(value)))
    unknown = sorted(str(key) for key in value if key not in HOLIDAY_KEYS)
    if unknown:
        raise SiteError('%s: holidays: unknown key %s; the accepted keys are %s' % (prefix, ', '.join(repr(key) for key in unknown), ', '.join(HOLIDAY_KEYS)))
    country = value.get('country')
    if not isinstance(country, str) or not country.strip():
        raise SiteError('%s: holidays.country is required: an ISO 3166-1 alpha-2 country code such as IT, US, AU or IN, not %s'
                        % (prefix, show(country)))
    if not HAS_HOLIDAYS:
        raise SiteError(_missing(prefix))
    country = country.strip().upper()
    supported = holidays_package.list_supported_countries()
    if country not in supported:
        near = difflib.get_close_matches(country, list(supported), n=3)
        raise SiteError('%s: holidays.country %r is not a country the holidays package knows%s; use an ISO 3166-1 alpha-2 code such as IT'
                        % (prefix, country, ' (did you mean %s?)' % ' or '.join(near) if near else ''))
    subdivision = value.get('subdivision')
    if subdivision is not None:
        if not isinstance(subdivision, str) or not subdivision.strip():
            raise SiteError('%s: holidays.subdivision must be a subdivision code such as RM, NY, NSW or KA, not %s' % (prefix, show(subdivision)))
        subdivision = subdivision.strip()
        codes = supported[country]
        matched = [code for code in codes if code.casefold() == subdivision.casefold()]
        if not matched:
            shown = ', '.join(codes[:12]) + (' ...' if len(codes) > 12 else '') if codes else 'none: leave subdivision out'
            raise SiteError('%s: holidays.subdivision %r is not a subdivision of %s in the holidays package; its subdivisions are %s'
                            % (prefix, subdivision, country, shown))
        subdivision = matched[0]
    categories = value.get('categories')
    if categories is None:
        categories = ('public',)
    elif isinstance(categories, str):
        categories = (categories,)
    elif not is_list(categories) or not categories or not all(isinstance(item, str) for item in categories):
        raise SiteError('%s: holidays.categories must be a non-empty list of category names such as [public], not %s' % (prefix, show(categories)))
    categories = tuple(dict.fromkeys(item.strip().lower() for item in categories))
    language = value.get('language')
    if language is not None and not isinstance(language, str):
        raise SiteError('%s: holidays.language must be a language code such as it or en_US, not %s' % (prefix, show(language)))
    entity = holidays_package.country_holidays(country, subdiv=subdivision)
    wrong = [category for category in categories if category not in entity.supported_categories]
    if wrong:
        raise SiteError('%s: holidays.categories: %s %s not a category of %s in the holidays package; its categories are %s'
                        % (prefix, ', '.join(repr(item) for item in wrong), 'is' if len(wrong) == 1 else 'are', country,
                           ', '.join(sorted(entity.supported_categories))))
    if language is not None and language not in (entity.supported_languages or ()):
        raise SiteError('%s: holidays.language %r is not a language of %s in the holidays package; its languages are %s'
                        % (prefix, language, country, ', '.join(entity.supported_languages) or 'none: leave language out'))
    # Without a language the package would follow the controller's LANG: the same site would give other reasons on
    # another host. The country's own language is the stable default.
    if language is None:
        language = getattr(entity, 'default_language', None)
    return HolidayCalendar(country, subdivision, categories, language)
