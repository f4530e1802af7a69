"""A package whose sdist leaves out a module the wheel needs."""
