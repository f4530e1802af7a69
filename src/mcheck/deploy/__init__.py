"""``mcheck deploy``: check an app deployed from a directory (Docker, Railway, Render, Fly.io, Heroku).

Public API: :func:`check_deploy`, imported on first use: ``mcheck wheel``'s app discovery reads the
deploy-file model (:mod:`mcheck.deploy.start_commands`) without loading the deploy pipeline.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mcheck.deploy.pipeline import check_deploy

__all__ = ["check_deploy"]


def __getattr__(name: str) -> object:
    if name == "check_deploy":
        from mcheck.deploy.pipeline import check_deploy

        return check_deploy
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
