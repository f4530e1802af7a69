# Fails the way a setup.py that needs an undeclared build dependency does.
raise RuntimeError("hostile setup.py: cannot find the native toolchain")
