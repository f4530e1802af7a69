import pkg_resources

NAME = "beta"
