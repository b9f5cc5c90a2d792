"""Check what ansible-doc renders for the installed collection against the code (make docs).

ansible-doc only warns about a plugin it cannot find or document, and exits 0, so printing its output proves
nothing. Usage (with ANSIBLE_COLLECTIONS_PATH pointing at the installed collection):

  python check_docs.py module FQCN          every argument_spec() option and suboption is documented
  python check_docs.py filter FQCN...       each filter renders, with a description, its input and its return value
  python check_docs.py role FQCN ROLE_DIR   every variable the role reads is an option of one of its entry points,
                                            and the role README's tables name every option
"""

import importlib
import json
import re
import subprocess
import sys
from pathlib import Path

import yaml


def ansible_doc(plugin_type, fqcn):
    command = [str(Path(sys.executable).parent / 'ansible-doc'), '--json', '-t', plugin_type, fqcn]
    reply = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True)
    found = json.loads(reply.stdout).get(fqcn)
    if not found:
        sys.exit('ansible-doc -t %s %s renders nothing' % (plugin_type, fqcn))
    return found


def check_module(fqcn):
    namespace, collection, name = fqcn.split('.')
    doc = ansible_doc('module', fqcn)['doc']
    module = importlib.import_module('ansible_collections.%s.%s.plugins.modules.%s' % (namespace, collection, name))
    spec = module.argument_spec()
    missing = sorted(set(spec) - set(doc['options']))
    if missing:
        sys.exit('ansible-doc %s does not document: %s' % (fqcn, ', '.join(missing)))
    for option, entry in spec.items():
        sub_missing = sorted(set(entry.get('options') or ()) - set(doc['options'][option].get('suboptions') or ()))
        if sub_missing:
            sys.exit('ansible-doc %s does not document %s suboptions: %s' % (fqcn, option, ', '.join(sub_missing)))
    print('ansible-doc %s documents all %d options: %s' % (fqcn, len(spec), ', '.join(sorted(spec))))


def check_filter(fqcn):
    found = ansible_doc('filter', fqcn)
    doc = found.get('doc') or {}
    problems = [part for part, present in (('description', doc.get('description')),
                                           ('the input (options._input)', (doc.get('options') or {}).get('_input')),
                                           ('the return value', (found.get('return') or {}).get('_value')),
                                           ('examples', found.get('examples'))) if not present]
    if problems:
        sys.exit('ansible-doc -t filter %s does not document %s' % (fqcn, ', '.join(problems)))
    print('ansible-doc -t filter %s documents its input, %d keyword options and its return value'
          % (fqcn, len(doc['options']) - 1))


def role_variables(role_dir, prefix):
    """The prefix_* variables the role reads, minus those it sets itself (registers, facts, task vars)."""
    read, own = set(), set()
    # Not after a dot: imagicle.phonelock.office_hours_timers is a filter, not a variable.
    word = re.compile(r'(?<![.\w])%s[a-z0-9_]*' % re.escape(prefix))
    for path in sorted(role_dir.glob('tasks/*.yml')) + sorted(role_dir.glob('templates/*')):
        text = path.read_text(encoding='utf-8')
        read.update(word.findall(text))
        if path.suffix == '.yml':
            own.update(re.findall(r'^\s*register:\s*(%s\w*)' % re.escape(prefix), text, re.M))
            for task in walk_tasks(yaml.safe_load(text) or []):
                own.update(key for key in (task.get('ansible.builtin.set_fact') or {}) if key.startswith(prefix))
                own.update(key for key in (task.get('vars') or {}) if key.startswith(prefix))
    return read - own


def walk_tasks(tasks):
    for task in tasks:
        yield task
        for key in ('block', 'rescue', 'always'):
            yield from walk_tasks(task.get(key) or [])


def check_role(fqcn, role_dir):
    role_dir = Path(role_dir)
    prefix = fqcn.split('.')[-1] + '_'
    entry_points = ansible_doc('role', fqcn)['entry_points']
    documented = {name for entry in entry_points.values() for name in (entry.get('options') or {})}
    missing = sorted(role_variables(role_dir, prefix) - documented)
    if missing:
        sys.exit('%s reads variables that no entry point of meta/argument_specs.yml documents: %s' % (fqcn, ', '.join(missing)))
    specs = yaml.safe_load((role_dir / 'meta' / 'argument_specs.yml').read_text(encoding='utf-8'))['argument_specs']
    readme = (role_dir / 'README.md').read_text(encoding='utf-8')
    in_tables = set(re.findall(r'^\|\s*`(%s\w*)`' % re.escape(prefix), readme, re.M))
    not_in_readme = sorted({name for spec in specs.values() for name in spec.get('options') or {}} - in_tables)
    if not_in_readme:
        sys.exit('%s/README.md has no table row for: %s' % (role_dir, ', '.join(not_in_readme)))
    print('ansible-doc -t role %s: %d entry points (%s), %d variables, all documented and in the README tables'
          % (fqcn, len(entry_points), ', '.join(sorted(entry_points)), len(documented)))


def main():
    kind, names = sys.argv[1], sys.argv[2:]
    if kind == 'module':
        check_module(names[0])
    elif kind == 'filter':
        for name in names:
            check_filter(name)
    elif kind == 'role':
        check_role(names[0], names[1])
    else:
        sys.exit(__doc__)


if __name__ == '__main__':
    main()
