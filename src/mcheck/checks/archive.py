"""Archive checks: the wheel's zip entries against the installers' and the index's rules (MC604)."""

from __future__ import annotations

from collections.abc import Iterator

from mcheck.checks import CheckContext, check
from mcheck.findings import Finding


@check("MC604")
def unsafe_archive_entries(ctx: CheckContext) -> Iterator[Finding]:
    for member in ctx.wheel.unsafe_members:
        yield Finding(
            "MC604",
            path=member.name,
            message=(
                f"zip entry {member.name!r} {member.reason}; the index rejects such a wheel, and "
                "mcheck did not install or import it"
            ),
            hint="rebuild the wheel with the build backend; never add entries to it by hand",
        )
