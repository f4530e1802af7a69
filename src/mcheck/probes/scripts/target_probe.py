"""mcheck deploy probe: import a service's start target the way its host will, and report as JSON.

Runs INSIDE the service's venv as ``<venv python> -I target_probe.py <in.json> <out.json>`` with the
reconstructed container filesystem's working directory as cwd. Standard library only, no mcheck imports.

Input::

    {"sys_path": ["/tmp/x/root/app", ...],     # the runtime sys.path entries, in order
     "module": "ml_server" | null,              # imported with importlib (module targets)
     "script": "/tmp/x/root/app/main.py" | null,  # run with runpy as "__mcheck_main__" (script targets)
     "attr": "app" | null,                      # must exist on the imported module
     "names": ["Crypto", "starlette"]}          # third-party top-level names: is each importable?

Output::

    {"protocol": 1,
     "missing": ["Crypto"],                     # names find_spec cannot find
     "ok": true|false, "has_attr": true|false|null,
     "error": {"type", "message", "missing_name", "frames": [{file, line, function, source}], "chain"}
              | null}                           # the protocol's exception shape (docs/probe-protocol.md)

Scripts run under a name other than ``__main__``, so their ``if __name__ == "__main__":`` block (the
server loop, the bot's polling) does not start.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import json
import os
import runpy
import sys

# The shared support module is copied next to this script by the host (mcheck.probes.runner). With
# `-I` the script's directory is not on sys.path: add it for this one import only.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # noqa: PTH100, PTH120
try:
    from _mcheck_probe_support import (
        become_subreaper,
        exception_info,
        exit_on_sigterm,
        kill_descendants,
        text,
        traceback_frames,
        write_result,
    )
finally:
    del sys.path[0]

PROTOCOL = 1
_OWN_FILES = (os.path.abspath(__file__), runpy.__file__, importlib.__file__)  # noqa: PTH100


def missing_names(names: list[str]) -> list[str]:
    missing = []
    for name in names:
        try:
            if importlib.util.find_spec(name) is None:
                missing.append(name)
        except (ImportError, ValueError):
            missing.append(name)
    return missing


def _frames(exc: BaseException) -> list:
    """The traceback without this probe's, runpy's and importlib's own frames."""
    return traceback_frames(exc, lambda f: f in _OWN_FILES or f.startswith("<frozen "))


def load(request: dict) -> dict:
    result: dict = {"ok": False, "has_attr": None, "error": None}
    try:
        # What the target prints is not ours to parse: keep stdout for nothing, stderr for the log.
        with contextlib.redirect_stdout(sys.stderr):
            if request.get("script"):
                namespace = runpy.run_path(request["script"], run_name="__mcheck_main__")
                has = request.get("attr") in namespace if request.get("attr") else None
            elif request.get("module"):
                module = importlib.import_module(request["module"])
                has = hasattr(module, request["attr"]) if request.get("attr") else None
            else:
                has = None
    except SystemExit as exc:
        result["error"] = {
            "type": "SystemExit",
            "message": text(exc.code),
            "missing_name": None,
            "frames": _frames(exc),
            "chain": [],
        }
        return result
    except BaseException as exc:  # anything the import raises is the finding
        result["error"] = exception_info(exc, _frames)
        return result
    result.update(ok=True, has_attr=has)
    return result


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as fh:
        request = json.load(fh)
    # Orphans of what the target starts (a daemon that called setsid) are re-parented here, so the
    # end of the probe can find and kill them; the host kills the probe's process group besides.
    become_subreaper()
    exit_on_sigterm()
    # The runtime's sys.path first, then the venv's own stdlib and site-packages (what -I left).
    sys.path[:0] = request["sys_path"]
    output = {"protocol": PROTOCOL, "missing": missing_names(request.get("names", []))}
    output.update(load(request))
    kill_descendants()
    write_result(output, sys.argv[2])


if __name__ == "__main__":
    main()
