"""Sub-package: dropped, because packages = ["pkg"] does not name pkg.sub."""
