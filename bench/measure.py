"""Run one command and print its cost as JSON: wall time, CPU time and peak RSS of its process tree.

Usage: ``python measure.py OUT.json -- COMMAND ...``. A fresh process per measurement, because
``ru_maxrss`` of ``RUSAGE_CHILDREN`` is a high-water mark over every child ever waited for: only a
process that runs nothing else can attribute it to one command. CPU time and peak memory cover every
descendant that was waited for (the command's own children included), which is how ``time`` counts.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time


def main(argv: list[str]) -> int:
    out, separator, command = argv[1], argv[2], argv[3:]
    if separator != "--" or not command:
        sys.stderr.write("usage: measure.py OUT.json -- COMMAND ...\n")
        return 2
    started = time.perf_counter()
    proc = subprocess.run(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        check=False,
    )
    wall = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    with open(out, "w", encoding="utf-8") as fh:
        json.dump(
            {
                "wall": wall,
                "cpu": usage.ru_utime + usage.ru_stime,
                "maxrss_kb": usage.ru_maxrss,
                "returncode": proc.returncode,
                "output_tail": proc.stdout.decode("utf-8", "replace")[-3000:],
            },
            fh,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
