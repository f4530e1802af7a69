"""``--sandbox``: run the project's own code under bubblewrap (``bwrap``), without network and read-only.

What runs inside the sandbox is exactly the code that comes from the project: the build backend's
hooks (and so ``setup.py``), the import probe and the app probe. Each sees the whole file system
read-only except the directories it must write (its part of mcheck's work directory), has no network
(a private network namespace with only loopback), its own PID namespace (nothing it starts can outlive
it: when the sandbox ends the kernel kills every process in it) and a new session (no terminal to
inject keystrokes into).

What stays outside, because it needs the network and runs no project code: installing build
requirements and the wheel's dependencies with uv, creating the venv. A dependency that exists only as
an sdist is built by uv outside the sandbox. ``mcheck wheel --serve`` (a real server polled over HTTP
from outside) is not sandboxed either.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from mcheck.errors import UsageError

SMOKE_TEST_TIMEOUT = 30.0


@dataclass(frozen=True)
class Sandbox:
    """A way to run a command under bubblewrap; ``bwrap`` is the path of the executable."""

    bwrap: str

    def wrap(self, argv: Sequence[str], *, writable: Sequence[Path]) -> list[str]:
        """``argv`` run with no network, a read-only view of ``/`` and write access to ``writable`` only."""
        binds = [
            arg
            for path in dict.fromkeys(Path(p).resolve() for p in writable)
            for arg in ("--bind", str(path), str(path))
        ]
        return [self.bwrap, *_isolation_args(), *binds, "--", *argv]


def _isolation_args() -> list[str]:
    # Order matters: later mounts go on top of earlier ones (the writable binds come after these).
    return [
        "--ro-bind",
        "/",
        "/",
        "--dev",
        "/dev",
        "--proc",
        "/proc",
        "--tmpfs",
        "/dev/shm",
        "--unshare-net",
        "--unshare-pid",
        "--unshare-ipc",
        "--new-session",
        "--die-with-parent",
    ]


def require_sandbox() -> Sandbox:
    """The sandbox, or :class:`UsageError` saying why it cannot be used here (never a silent fallback)."""
    reason = unavailable_reason()
    if reason is not None:
        raise UsageError(f"--sandbox: {reason}")
    bwrap = shutil.which("bwrap")
    assert bwrap is not None  # unavailable_reason() checked it
    return Sandbox(bwrap)


@functools.cache
def unavailable_reason() -> str | None:
    """None when bubblewrap is installed and can create its namespaces here, else why not."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return "bubblewrap (bwrap) is not installed; install it from your OS packages (e.g. apt-get install bubblewrap)"
    try:
        proc = subprocess.run(
            Sandbox(bwrap).wrap(["true"], writable=[]),
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=SMOKE_TEST_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bwrap cannot run: {exc}"
    if proc.returncode:
        detail = (
            proc.stderr.strip().splitlines()[-1]
            if proc.stderr.strip()
            else f"exit status {proc.returncode}"
        )
        return f"bwrap cannot create its namespaces here ({detail}); unprivileged user namespaces may be disabled"
    return None
