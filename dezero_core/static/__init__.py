"""Define-and-Run: static graphs defined once (symbolically or by tracing), optimised, replayed.

See :mod:`dezero_core.static.ir` for the IR and :mod:`dezero_core.static.passes` for passes.
"""
