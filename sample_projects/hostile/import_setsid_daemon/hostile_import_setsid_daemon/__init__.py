"""mcheck hostile sample: a daemon in a new session, started at import."""
