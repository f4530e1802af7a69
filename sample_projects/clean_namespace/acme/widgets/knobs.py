"""Knobs."""


class Knob:
    def __init__(self, position: int = 0) -> None:
        self.position = position

    def turn(self, steps: int) -> int:
        self.position += steps
        return self.position
