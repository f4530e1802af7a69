import pkg_resources

NAME = "alpha"
