"""Imported next to the killer (same probe, another job): it is still importing when the probe dies,
and must not outlive the run. Named to sort first, so its job starts before the killer's."""

import time

time.sleep(20)
