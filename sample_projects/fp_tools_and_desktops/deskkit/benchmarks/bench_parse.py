import pyperf

RUNNER = pyperf.Runner
