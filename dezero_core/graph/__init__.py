"""The define-by-run graph: Variable, Parameter, Function and the backward engine.

The graph imports nothing above it; the functions package installs Variable's operators.
"""
from dezero_core.graph.function import Function
from dezero_core.graph.variable import Parameter, Variable, as_array, as_variable

__all__ = ["Function", "Parameter", "Variable", "as_array", "as_variable"]
