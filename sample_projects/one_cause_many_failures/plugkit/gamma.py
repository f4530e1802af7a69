import pkg_resources

NAME = "gamma"
