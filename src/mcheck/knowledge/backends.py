"""Build backends: the families mcheck knows, and the plugins that take a version from the VCS."""

from __future__ import annotations

# Backend module prefix -> the distribution that provides it.
BACKEND_FAMILIES = {
    "setuptools": "setuptools",
    "hatchling": "hatchling",
    "flit_core": "flit-core",
    "pdm": "pdm-backend",
    "poetry": "poetry-core",
    "maturin": "maturin",
    "scikit_build_core": "scikit-build-core",
    "mesonpy": "meson-python",
    "uv_build": "uv-build",
}
LEGACY_BACKEND = "setuptools.build_meta:__legacy__"
VCS_VERSION_PLUGINS = (
    "setuptools-scm",
    "setuptools_scm",
    "hatch-vcs",
    "hatch_vcs",
    "versioningit",
    "poetry-dynamic-versioning",
    "dunamai",
    "pdm-backend",
    "flit-scm",
    "vcs-versioning",
)
