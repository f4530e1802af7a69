"""A package whose directory holds OS and merge junk that an over-broad MANIFEST.in ships."""
