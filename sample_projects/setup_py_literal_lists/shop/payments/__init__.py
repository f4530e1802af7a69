"""Not in setup(packages=[...]): setuptools leaves this sub-package out of the wheel."""
