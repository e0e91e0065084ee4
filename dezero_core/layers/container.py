"""``Sequential``: layers (and plain functions) applied one after the other."""
from __future__ import annotations

from typing import Any, Callable, Iterator

from dezero_core.layers.layer import Layer


class Sequential(Layer):
    """``Sequential(Linear(100), F.relu, Linear(10))`` applies each step to the previous output.

    Steps may be layers or any callables (functions such as ``F.relu``). Layer ``i`` is held as the
    attribute ``l{i}``, so its parameters are named ``l0/W``, ``l2/b``, ...
    """

    def __init__(self, *steps: Callable[..., Any]) -> None:
        super().__init__()
        self.steps: list[Callable[..., Any]] = []
        for step in steps:
            self.append(step)

    def append(self, step: Callable[..., Any]) -> None:
        """Add ``step`` at the end."""
        if not callable(step):
            raise TypeError(f"Sequential steps must be layers or callables, got {type(step).__name__}")
        if isinstance(step, Layer):
            setattr(self, f"l{len(self.steps)}", step)
        self.steps.append(step)

    def forward(self, x: Any) -> Any:
        """Every step in turn."""
        for step in self.steps:
            x = step(x)
        return x

    def __getitem__(self, index: int) -> Callable[..., Any]:
        return self.steps[index]

    def __len__(self) -> int:
        return len(self.steps)

    def __iter__(self) -> Iterator[Callable[..., Any]]:
        return iter(self.steps)
