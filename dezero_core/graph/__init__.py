"""The define-by-run graph: Variable, Parameter, Function and the backward engine."""
# variable first: it imports the functions (for its operators), which import Function.
from dezero_core.graph.variable import Parameter, Variable, as_array, as_variable  # isort: skip
from dezero_core.graph.function import Function

__all__ = ["Function", "Parameter", "Variable", "as_array", "as_variable"]
