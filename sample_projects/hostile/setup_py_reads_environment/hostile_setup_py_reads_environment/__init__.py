"""A package whose version the build environment decides."""
