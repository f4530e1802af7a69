"""A package whose distribution name is not normalised."""
