"""A package whose long description does not render on the index."""
