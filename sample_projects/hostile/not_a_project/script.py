print("a script, not a project")
