"""A well-behaved package next to a hostile build."""
