"""Works in the workspace venv (the core is installed editable there); not from the core's wheel."""

from mcheck_wsd_core.formats.jsonl import dump

EXPORT = dump([{"ok": True}])
