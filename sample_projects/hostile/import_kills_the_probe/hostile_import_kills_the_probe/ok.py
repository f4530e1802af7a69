"""A well-behaved module: it must still be imported and reported as fine."""

VALUE = 1
