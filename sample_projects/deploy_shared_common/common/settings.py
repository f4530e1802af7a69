NAME = "api"
