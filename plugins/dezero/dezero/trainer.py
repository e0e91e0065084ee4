"""``dezero.Trainer``: the Trainer as DeZero's users wrote it when they grew the book's loops.

::

    trainer = Trainer(model, F.softmax_cross_entropy, optimizer, train_loader, test_loader, gpu=True)
    trainer.fit(max_epoch)
    trainer.plot()

It is dezero_core's :class:`~dezero_core.training.Trainer` with the book's conventions: ``gpu``
chooses the device (``gpu=True`` is the cupy backend, and a clear error where no GPU is usable),
``fit`` reports every epoch on standard output as the hand-written loop it replaces did (loss,
accuracy and seconds; ``verbose=False`` silences it), and ``plot()`` shows the loss and accuracy
curves where a display is available and otherwise saves them, saying where.
"""
from __future__ import annotations

import os
import sys
from typing import Any, Callable

from dezero_core.training import Trainer as _Trainer
from dezero_core.training.extensions import ProgressBar
from dezero_core.training.plot import FIGSIZE, MATPLOTLIB_HINT, draw_history, plot_history

from dezero import cuda

__all__ = ["Trainer"]

#: matplotlib backends that draw no window: ``plot()`` saves the figure instead of showing it
_HEADLESS = frozenset({"agg", "cairo", "pdf", "pgf", "ps", "svg", "template"})

#: where ``plot()`` saves the figure when there is no display (relative to the working directory)
DEFAULT_PLOT_FILE = "training.png"


class Trainer(_Trainer):
    """Train ``model`` with ``optimizer`` on ``train_loader``, minimising ``loss_fn(model(x), t)``.

    ``gpu`` (default False): train on the GPU (dezero_core's cupy backend). ``verbose`` (default
    True): print one line per epoch with the train (and test) loss, accuracy and the epoch's
    seconds. Every other keyword goes to dezero_core's Trainer (``extensions``, ``accuracy_fn``...).
    """

    def __init__(self, model: Any, loss_fn: Callable[[Any, Any], Any], optimizer: Any, train_loader: Any,
                 test_loader: Any = None, gpu: bool = False, verbose: bool = True, **kwargs: Any) -> None:
        if "backend" in kwargs:
            raise TypeError("dezero.Trainer chooses the device with gpu=True/False; dezero_core's Trainer "
                            "takes backend=")
        extensions = list(kwargs.pop("extensions", ()))
        if verbose:
            extensions.append(ProgressBar(file=sys.stdout))
        super().__init__(model, loss_fn, optimizer, train_loader, test_loader,
                         backend=_gpu_backend() if gpu else "numpy", extensions=extensions, **kwargs)
        self.gpu = bool(gpu)

    def plot(self, path: "str | os.PathLike[str] | None" = None) -> str | None:
        """Draw the loss and accuracy per epoch (train and test).

        With ``path``, the figure is saved there (PNG) and the path returned. Without, it is shown
        where a display is available; otherwise it is saved to ``training.png`` in the working
        directory, and a line says where. Returns the path of a saved file, else None.
        """
        if path is not None:
            plot_history(self.history, path)
            return os.fspath(path)
        try:
            import matplotlib.pyplot as plt
        except ImportError as exc:
            raise ImportError(MATPLOTLIB_HINT) from exc
        if plt.get_backend().lower() in _HEADLESS:
            saved = os.path.abspath(DEFAULT_PLOT_FILE)
            plot_history(self.history, saved)
            print(f"Trainer.plot: no display to show the figure on (matplotlib backend "
                  f"{plt.get_backend()!r}); saved it to {saved}")
            return saved
        fig = plt.figure(figsize=FIGSIZE, layout="constrained")
        draw_history(fig, self.history)
        plt.show()
        return None


def _gpu_backend() -> str:
    """``"cupy"`` when a GPU is usable; otherwise the error that says why and what to do."""
    module, reason = cuda._cupy_or_reason()
    if module is None:
        raise RuntimeError(f"Trainer(gpu=True): no usable GPU here. {reason.rstrip('.')}. To train on a GPU, "
                           f"{cuda.INSTALL_HINT}; or pass gpu=False to train on the CPU.")
    return "cupy"
