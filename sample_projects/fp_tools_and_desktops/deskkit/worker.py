from gunicorn.workers import base


class Worker(base.Worker):
    pass
