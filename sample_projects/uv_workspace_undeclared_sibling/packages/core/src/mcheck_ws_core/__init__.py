"""The workspace's shared code."""

GREETING = "hello from the workspace's own core"
