import pkg_resources

NAME = "delta"
