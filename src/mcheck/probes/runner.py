"""What every host side of a probe shares: staging the stdlib-only script in a private directory.

A probe runs as a *copy* in the run's work directory, next to a copy of the shared support module
(:mod:`mcheck.probes.scripts._mcheck_probe_support`), so that nothing next to mcheck's own files, and
nothing of the checkout, is importable from the target venv.
"""

from __future__ import annotations

import shutil
from pathlib import Path

SCRIPTS = Path(__file__).parent / "scripts"
SUPPORT_MODULE = "_mcheck_probe_support.py"


def stage_script(script: str, workdir: Path, *, as_name: str | None = None) -> Path:
    """Copy ``scripts/<script>`` (as ``as_name``) and the support module into ``workdir``."""
    workdir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(SCRIPTS / SUPPORT_MODULE, workdir / SUPPORT_MODULE)
    staged = workdir / (as_name or script)
    shutil.copyfile(SCRIPTS / script, staged)
    return staged
