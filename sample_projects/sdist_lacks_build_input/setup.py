from pathlib import Path

from setuptools import setup

# Read at build time, from the sdist too: but the sdist does not ship requirements.txt.
requirements = [line for line in Path("requirements.txt").read_text().splitlines()
                if line.strip() and not line.startswith("#")]

setup(name="reqpkg", version="0.1.0", packages=["reqpkg"], install_requires=requirements)
