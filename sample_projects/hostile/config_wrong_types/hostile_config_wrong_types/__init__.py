"""A package whose mcheck configuration is malformed."""
