"""Check that ansible-doc renders every option of the installed module's argument spec (make docs).

Usage: python check_docs.py FQCN  (with ANSIBLE_COLLECTIONS_PATH pointing at the installed collection)
"""

import importlib
import json
import subprocess
import sys
from pathlib import Path


def main():
    fqcn = sys.argv[1]
    namespace, collection, name = fqcn.split('.')
    ansible_doc = Path(sys.executable).parent / 'ansible-doc'
    reply = subprocess.run([str(ansible_doc), '--json', fqcn], check=True, stdout=subprocess.PIPE, text=True)
    doc = json.loads(reply.stdout)[fqcn]['doc']
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


if __name__ == '__main__':
    main()
