COMMIT = "unknown"
