# The version comes from the release pipeline's environment: a build cache keyed without
# RELEASE_VERSION would hand out the previous release's wheel.
import os

from setuptools import setup

setup(version=os.environ.get("RELEASE_VERSION", "0.0"))
