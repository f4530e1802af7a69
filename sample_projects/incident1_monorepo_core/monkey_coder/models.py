"""Request models (shadowed by the models/ package next to this file)."""

from dataclasses import dataclass


@dataclass
class ExecuteRequest:
    task: str
    language: str = "python"
