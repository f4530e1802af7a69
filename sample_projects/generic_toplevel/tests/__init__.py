"""The project's tests: installed as a top-level 'tests' package by mistake."""
