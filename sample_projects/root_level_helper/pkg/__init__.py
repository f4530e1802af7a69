"""A package that imports a helper module it does not ship."""
