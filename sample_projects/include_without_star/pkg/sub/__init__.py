"""Sub-package: dropped, because include = ["pkg"] does not match pkg.sub."""
