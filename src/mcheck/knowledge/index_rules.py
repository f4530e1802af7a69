"""What the package index (PyPI's upload endpoint, pypi/warehouse) refuses, as named tables.

Each table cites where the rule comes from, so ``mcheck explain`` can say it and a change upstream
can be followed here. Sources:

* warehouse ``warehouse/forklift/metadata.py`` (commit 567e718): supported metadata versions, local
  versions, field length limits, dynamic fields, classifiers (``trove-classifiers``), URLs, direct
  references, License together with License-Expression;
* https://docs.pypi.org/archives/ : the archive features PyPI rejects;
* warehouse pull request 19411: the WHEEL file must be ``Key: Value`` lines with expanded tags that
  agree with the file name;
* twine (``twine check``/``upload``, also inside the publishing action): it has refused every new
  Metadata-Version for a while after the index accepted it (2.2: pypa/twine#753, 2.3: #1059, 2.4:
  #1146, 2.5: #1327 with twine 6.2.0; hatchling 1.32 writes 2.5, nipreps/nireports#277), so a
  release the index would accept can still be refused by the publishing step.
"""

from __future__ import annotations

# warehouse/forklift/metadata.py SUPPORTED_METADATA_VERSIONS
INDEX_METADATA_VERSIONS = frozenset({"1.0", "1.1", "1.2", "2.1", "2.2", "2.3", "2.4", "2.5"})
# The newest Metadata-Version twine 6.2 reads ("'2.5' is not a valid metadata version" beyond it).
TWINE_NEWEST_METADATA_VERSION = "2.4"
# License-File is a Metadata-Version 2.4 field (PEP 639), but setuptools before 77 wrote it under 2.1
# and 2.2 for years (pypa/setuptools#4759). Uploaders that send it as form data (uv publish, hatch
# publish) get "400 license-file introduced in metadata version 2.4" from the index; twine drops the
# field for such wheels, so the same file uploads with twine. An upload problem only, and one that
# depends on the uploader: reported by the release gate, not by a plain run.
LICENSE_FILE_SINCE = "2.4"
LICENSE_FILE_FIX = (
    "require setuptools>=77 in [build-system] requires (it writes Metadata-Version 2.4), or set "
    "[tool.setuptools] license-files = [] to leave the field out"
)

# warehouse _LENGTH_LIMITS and the Project-URL label limit
SUMMARY_LIMIT = 512
PROJECT_URL_LABEL_LIMIT = 32

# The one classifier whose purpose is to make the index refuse the upload.
PRIVATE_CLASSIFIER_PREFIX = "Private ::"

# warehouse DYNAMIC_FIELDS, lower-cased (PEP 643, PEP 794)
DYNAMIC_FIELDS = frozenset(
    name.lower()
    for name in (
        "Platform",
        "Supported-Platform",
        "Summary",
        "Description",
        "Description-Content-Type",
        "Keywords",
        "Home-Page",
        "Download-Url",
        "Author",
        "Author-Email",
        "Maintainer",
        "Maintainer-Email",
        "License",
        "License-Expression",
        "License-File",
        "Classifier",
        "Requires-Dist",
        "Requires-Python",
        "Requires-External",
        "Project-Url",
        "Provides-Extra",
        "Provides-Dist",
        "Obsoletes-Dist",
        "Requires",
        "Provides",
        "Obsoletes",
        "Import-Name",
        "Import-Namespace",
    )
)

# PEP 427 / the binary distribution format: the WHEEL file's required keys and the major version
# installers support.
WHEEL_FILE_KEYS = ("Wheel-Version", "Root-Is-Purelib", "Tag")
WHEEL_MAJOR_VERSION = 1

# The long description's content types the index renders, and the one whose errors fail the upload
# (readme_renderer: reStructuredText that does not render; Markdown and plain text always render).
RST_CONTENT_TYPES = frozenset({"text/x-rst", ""})
