# This setup.py fails on purpose, the way one that imports a missing build dependency would.
raise RuntimeError("mcheck-sample-build-fails: setup.py refuses to run")
