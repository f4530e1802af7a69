"""A package whose util module hides the util/ directory."""
