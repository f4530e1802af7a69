"""``mcheck deploy``: check an app deployed from a directory (Docker, Railway, Render, Fly.io, Heroku).

Public API: :func:`check_deploy`.
"""

from __future__ import annotations

from mcheck.deploy.pipeline import check_deploy

__all__ = ["check_deploy"]
