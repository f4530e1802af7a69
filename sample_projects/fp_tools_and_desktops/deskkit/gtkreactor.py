import gi

gi.require_version("Gtk", "3.0")
