"""Desktop helpers; see README.md for what each module needs."""
