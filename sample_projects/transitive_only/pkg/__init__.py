"""Uses six, which only python-dateutil brings in."""
