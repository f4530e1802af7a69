"""An in-tree PEP 517 backend that builds a real sdist but only claims to build a wheel."""

import os
import tarfile

NAME = "mcheck_hostile_backend_no_wheel-0.1.0"
SHIPPED = ("pyproject.toml", "_backend/lazy_backend.py", "hostile_no_wheel/__init__.py")


def build_sdist(sdist_directory, config_settings=None):
    filename = NAME + ".tar.gz"
    with tarfile.open(os.path.join(sdist_directory, filename), "w:gz") as tar:
        for path in SHIPPED:
            tar.add(path, arcname=f"{NAME}/{path}")
        tar.add("PKG-INFO-template", arcname=f"{NAME}/PKG-INFO")
    return filename


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    # Returns a file name, writes no file.
    print("lazy_backend: not writing the wheel today")
    return NAME + "-py3-none-any.whl"
