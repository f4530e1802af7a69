"""``--fix`` and ``--diff``: apply the mechanical fixes findings carry, once a re-run proved them.

:mod:`mcheck.fix.edits` builds the edits checks attach to their findings (:class:`mcheck.findings.Fix`);
:mod:`mcheck.fix.prove` applies them to a private copy, runs the pipeline again and keeps the fixes
whose findings are gone and that add none; :mod:`mcheck.fix.tree` writes proven fixes to the user's
tree (the only code that ever writes there) or renders them as a unified diff.
"""
