"""A package with a module that exits the interpreter when imported."""
