"""mcheck hostile sample: code that tries to get out of its sandbox."""
