"""mcheck hostile sample: a child process that outlives the import."""
