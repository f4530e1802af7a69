"""Built-in plugins."""

BUILTIN = ("echo",)
