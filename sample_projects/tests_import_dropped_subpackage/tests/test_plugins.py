from plugin_host.plugins import BUILTIN

import plugin_host


def test_every_builtin_plugin_loads():
    for name in BUILTIN:
        assert plugin_host.load(name).run("hi") == "hi"
