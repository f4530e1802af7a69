"""Every git command mcheck runs on the user's repository, with a neutral configuration.

mcheck reads repositories (which files are tracked, HEAD, tags) outside the sandbox. A repository's
own configuration can name programs git runs while reading: an fsmonitor hook, clean/smudge filter
drivers, hooks. Those would run with the user's rights, outside ``--sandbox``, and a refresh of the
index writes ``.git/index``. So every command here runs with:

* no system or global configuration (``GIT_CONFIG_NOSYSTEM``, ``GIT_CONFIG_GLOBAL=/dev/null``, ``HOME``
  and ``XDG_CONFIG_HOME`` pointing nowhere, no system attributes), except the user's own
  ``safe.directory`` entries, which git honours only from protected configuration;
* command-line overrides of every setting that names a program: ``core.fsmonitor``, ``core.hooksPath``
  and each filter driver the repository's configuration defines;
* ``GIT_OPTIONAL_LOCKS=0`` and no untracked cache, so reading never rewrites the index.

Only read commands run on the user's repository; ``clone --shared`` writes the new clone alone.
"""

from __future__ import annotations

import functools
import os
import re
import subprocess
from collections.abc import Sequence
from pathlib import Path

GIT_TIMEOUT = 120.0  # seconds; a git read on a huge monorepo, never a hang
_NOWHERE = "/nonexistent/mcheck-neutral-home"
_FILTER_COMMAND = re.compile(r"^filter\.(.+)\.(clean|smudge|process)$")
_STATIC_OVERRIDES = (
    "core.fsmonitor=false",
    "core.hooksPath=/dev/null",
    "core.untrackedCache=false",
    "core.sshCommand=false",
    "protocol.ext.allow=never",
)


def neutral_environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_ATTR_NOSYSTEM="1",
        GIT_OPTIONAL_LOCKS="0",
        GIT_TERMINAL_PROMPT="0",
        HOME=_NOWHERE,
        XDG_CONFIG_HOME=_NOWHERE,
    )
    return env


def run_git(
    args: Sequence[str],
    *,
    repo: Path,
    check: bool = True,
    timeout: float = GIT_TIMEOUT,
) -> subprocess.CompletedProcess[bytes]:
    """``git -C repo ARGS`` with the neutral configuration; output as bytes (file names need not be
    UTF-8: decode with ``surrogateescape``)."""
    return subprocess.run(
        ["git", *overrides_for(str(repo)), "-C", str(repo), *args],
        capture_output=True,
        check=check,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        env=neutral_environment(),
    )


def git_text(args: Sequence[str], *, repo: Path, timeout: float = GIT_TIMEOUT) -> str:
    """The stripped output of a git read that must succeed (``CalledProcessError`` otherwise)."""
    done = run_git(args, repo=repo, timeout=timeout)
    return done.stdout.decode("utf-8", "surrogateescape").strip()


@functools.lru_cache(maxsize=64)
def overrides_for(repo: str) -> tuple[str, ...]:
    """``-c`` options that neutralise what the repository's own configuration (and the user's
    ``safe.directory``) would otherwise make git run."""
    pairs = [*_STATIC_OVERRIDES, *_user_safe_directories()]
    pairs += [f"{key}=" for key in _local_keys(repo) if _FILTER_COMMAND.match(key)]
    return tuple(option for pair in pairs for option in ("-c", pair))


def _local_keys(repo: str) -> list[str]:
    """The names of the repository's configured settings (reading configuration runs nothing)."""
    try:
        done = subprocess.run(
            ["git", "-C", repo, "config", "--local", "--name-only", "--list"],
            capture_output=True,
            timeout=GIT_TIMEOUT,
            stdin=subprocess.DEVNULL,
            env=neutral_environment(),
        )
    except (OSError, subprocess.SubprocessError):
        return []
    return done.stdout.decode("utf-8", "replace").split() if done.returncode == 0 else []


@functools.cache
def _user_safe_directories() -> tuple[str, ...]:
    """The user's ``safe.directory`` entries: without them git would refuse a repository the user
    marked safe (owned by another user), and mcheck would silently treat it as no repository."""
    try:
        done = subprocess.run(
            ["git", "config", "--global", "--get-all", "safe.directory"],
            capture_output=True,
            timeout=GIT_TIMEOUT,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.SubprocessError):
        return ()
    lines = done.stdout.decode("utf-8", "replace").splitlines()
    return tuple(f"safe.directory={line}" for line in lines if line.strip())
