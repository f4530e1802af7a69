"""A tiny ORM whose backends and models import each other, as real ORMs do."""
