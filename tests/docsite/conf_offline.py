# -*- coding: utf-8 -*-
# Copyright (c) imagicle.phonelock contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# Appended to the conf.py that antsibull-docs sphinx-init generates (make docs-site): settings, nothing to run.

# --- appended by make docs-site (tests/docsite/conf_offline.py) ------------------------------------------------------
# The build runs offline, and Sphinx warnings are errors: intersphinx gets no inventory to fetch (a failed fetch would
# be a warning). The references into the Ansible documentation that intersphinx would resolve online are then left
# unresolved, shown as plain text: they are ignored here one by one, by exact target or by collection, so that a broken
# reference inside this collection's own documentation still fails the build.
intersphinx_mapping = {}

nitpick_ignore = [
    # ansible-core's documentation: antsibull-docs links these from every plugin page and the environment variables page.
    ('std:ref', 'action_plugins'),
    ('std:ref', 'ansible_configuration_settings'),
    ('std:ref', 'common_return_values'),
    # ansible-core's configuration, referenced with E(...) in the role's documentation.
    ('std:envvar', 'ANSIBLE_COLLECTIONS_PATH'),
]

nitpick_ignore_regex = [
    # Plugins of other collections, referenced with M(...) in the documentation (the role's timers, the rrules filter).
    ('std:ref', r'ansible_collections\.(ansible\.builtin|awx\.awx|ansible\.controller)\.[a-z0-9_]+_(module|plugin)'),
]
