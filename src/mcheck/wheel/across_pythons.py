"""The last step of a run on several interpreters: one list of findings out of one list per interpreter.

A finding every interpreter produced is reported once, as it is. One that only some produced is
reported once with those interpreters in ``Finding.pythons`` ("on Python 3.10 only"): the import of
``tomllib`` that fails on 3.10 and works on 3.11 is one finding, not two runs to compare by eye.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from mcheck.findings import Finding


def merge_findings(runs: Sequence[tuple[str, Sequence[Finding]]]) -> list[Finding]:
    """``runs``: (interpreter label, its findings), in the order the report lists interpreters."""
    if len(runs) == 1:
        return list(runs[0][1])
    first: dict[tuple, Finding] = {}
    seen_on: dict[tuple, list[str]] = {}
    for label, findings in runs:
        for finding in findings:
            key = _identity(finding)
            first.setdefault(key, finding)
            on = seen_on.setdefault(key, [])
            if label not in on:
                on.append(label)
    every = [label for label, _ in runs]
    merged = []
    for key, finding in first.items():
        on = seen_on[key]
        merged.append(finding if on == every else dataclasses.replace(finding, pythons=tuple(on)))
    return merged


def _identity(finding: Finding) -> tuple:
    """What makes two interpreters' findings the same one: the code, the subject and the message
    (a failure that reads differently on another interpreter is another finding)."""
    return (finding.code, finding.kind, finding.path, finding.line, finding.message)
