"""A package whose directory holds editor junk that hatchling ships."""
