"""Optimisation passes over the Define-and-Run IR, and their registry.

A pass is a plain function ``Graph -> Graph`` (it may edit the graph it gets and return it). Passes
are registered under the entry-point group ``dezero.passes``; the entry-point name is the pass's
public name, so a third party adds one from its own distribution::

    [project.entry-points."dezero.passes"]
    my_pass = "my_package.passes:my_pass"

``dz.compile(fn, passes=[...])`` takes names and callables; ``passes=None`` runs
:data:`DEFAULT_PASSES` (whichever of them are installed), ``passes=()`` none.

Rules every pass keeps (see :mod:`dezero_core.static.ir`): effect nodes (``Node.is_effect``) are
never dropped, merged, folded or reordered among themselves (but for ``plan_memory`` moving the
``set_grad`` nodes of distinct parameters, which commute: see :mod:`~dezero_core.static.passes.memory`);
``Graph.inputs``/``params``/``outputs`` keep their order; a pass that sets the memory plan (``Node.out``,
``inplace``, ``free_after``) runs last.
"""
from __future__ import annotations

from typing import Callable, Iterable, Union

from dezero_core.static.ir import Graph

#: a pass: takes a graph, returns the transformed graph
Pass = Callable[[Graph], Graph]

#: what ``dz.compile`` runs by default, in order (names in the ``dezero.passes`` group): the clean-ups
#: first, calls sharing weights and per-step losses batched across time steps (before the other
#: passes see the per-step ``Add`` trees of their gradients), fusion on what is left (slices'
#: gradients and calls before fusion takes their ``Add`` and elementwise nodes), dce again for what
#: fusion orphaned, the memory plan last
DEFAULT_PASSES: list[str] = ["fold_constants", "cse", "dce", "batch_shared_weights", "batch_step_losses",
                             "accumulate_slice_grads", "merge_sliced_siblings", "fuse_algebraic",
                             "elide_identity_grads", "fuse_elementwise", "dce", "plan_memory"]


def get_pass(name: str) -> Pass:
    """The pass registered as ``name`` in ``dezero.passes`` (an error lists the installed ones)."""
    from dezero_core.discovery.registry import registry

    return registry("passes").get(name)


def pass_names() -> list[str]:
    """Every installed pass's name."""
    from dezero_core.discovery.registry import registry

    return registry("passes").names()


def resolve(passes: "Iterable[Union[str, Pass]] | None") -> list[Pass]:
    """Pass objects for ``passes`` (names or callables); None means :data:`DEFAULT_PASSES`."""
    if passes is None:
        installed = set(pass_names())
        passes = [name for name in DEFAULT_PASSES if name in installed]
    if isinstance(passes, str):
        raise TypeError(f"passes must be a list of pass names or callables, not the string {passes!r}: "
                        f"write passes=[{passes!r}]")
    resolved = []
    for p in passes:
        if isinstance(p, str):
            resolved.append(get_pass(p))
        elif callable(p):
            resolved.append(p)
        else:
            raise TypeError(f"passes: {p!r} is neither a pass name nor a callable Graph -> Graph")
    return resolved


def run_passes(graph: Graph, passes: "Iterable[Union[str, Pass]] | None" = None) -> Graph:
    """Run ``passes`` (names or callables; None: the defaults) over ``graph`` in order."""
    for p in resolve(passes):
        result = p(graph)
        if not isinstance(result, Graph):
            raise TypeError(f"pass {getattr(p, '__name__', p)!r} returned {type(result).__name__}, not a Graph: "
                            f"a pass must return the graph it transformed")
        graph = result
    return graph
