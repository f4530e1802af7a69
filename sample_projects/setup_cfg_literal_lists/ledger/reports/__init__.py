"""Not in [options] packages: setuptools leaves this sub-package out of the wheel."""
