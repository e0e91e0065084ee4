"""DeZero, the framework of the book "Deep Learning from Scratch 3", on top of dezero_core.

The book's code runs unchanged::

    import numpy as np
    from dezero import Variable
    import dezero.functions as F
    import dezero.layers as L

Every name maps onto dezero_core and its plugins (``Variable`` is dezero_core's, so book code and
core code share graphs); nothing here is a second implementation. As in the book, arrays are numpy
arrays unless moved to the GPU (``to_gpu()``): importing dezero makes numpy the backend new arrays
are created on, unless ``DEZERO_BACKEND`` names another.
"""
import os as _os

from dezero_core.backend import set_backend as _set_backend

from dezero.core import (
    Config, Function, Parameter, Variable, as_array, as_variable, no_grad, setup_variable, test_mode,
    using_config,
)
from dezero.layers import Layer
from dezero.models import Model
from dezero.datasets import Dataset
from dezero.dataloaders import DataLoader, SeqDataLoader
from dezero.trainer import Trainer

import dezero.core_simple
import dezero.cuda
import dezero.datasets
import dezero.dataloaders
import dezero.functions
import dezero.functions_conv
import dezero.layers
import dezero.models
import dezero.optimizers
import dezero.trainer
import dezero.transforms
import dezero.utils

if not _os.environ.get("DEZERO_BACKEND", "").strip():
    _set_backend("numpy")  # the book's arrays are numpy's; dezero_core alone would pick a GPU first

setup_variable()
__version__ = "0.1.0"
#: the book's switch between its simple core (steps 23-32) and the full one: always the full one here
is_simple_core = False

__all__ = [
    "Config", "DataLoader", "Dataset", "Function", "Layer", "Model", "Parameter", "SeqDataLoader",
    "Trainer", "Variable", "as_array", "as_variable", "core_simple", "cuda", "dataloaders", "datasets", "functions",
    "functions_conv", "is_simple_core", "layers", "models", "no_grad", "optimizers", "setup_variable", "test_mode",
    "trainer", "transforms", "using_config", "utils",
]
