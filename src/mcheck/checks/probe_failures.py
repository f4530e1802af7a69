"""MC003: a probe of mcheck itself gave no usable answer (the one place this finding is written).

Not a check over a context: the pipelines call it where a probe raised
:class:`~mcheck.probes.runner.ProbeError`, for the import, app and deploy-target probes alike.
"""

from __future__ import annotations

from mcheck.findings import Finding
from mcheck.probes.runner import ProbeError

KEEP_HINT = "run with --keep and -v to inspect the probe's work directory"


def probe_failure(error: ProbeError, *, path: str | None = None) -> Finding:
    """The MC003 finding for ``error``; ``path`` anchors it (a deploy file), None for the project."""
    return Finding("MC003", path=path, message=str(error), hint=KEEP_HINT)
