"""A package whose metadata the index rejects."""
