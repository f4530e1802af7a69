"""Request models."""

from dataclasses import dataclass


@dataclass
class ExecuteRequest:
    task: str
    language: str = "python"
