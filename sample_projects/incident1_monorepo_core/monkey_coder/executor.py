"""Runs execute requests for the worker process (the web app does not import this module)."""

from .models import ExecuteRequest


def execute(task: str) -> dict:
    request = ExecuteRequest(task=task)
    return {"task": request.task, "language": request.language}
