"""Small parameters updated together, as one flat array.

An elementwise update (Adam: a dozen array operations) costs about as much on a bias of ten
elements as on a matrix of a thousand: on a CPU each operation's call dominates below a few thousand
elements. A :class:`FlatGroup` gives the optimizer the small parameters of a model as one flat array
each for the values, the gradients and every state slot, so one ``update_one`` call updates them
all, with the same arithmetic element by element (the results are those of one call per
parameter, bit for bit).

The state arrays of the members become views of the group's flat state arrays, so
``optimizer.state`` stays the truth (``state_dict``, a resumed run, eager ``update()`` see the same
numbers); a state replaced since (``load_state_dict``, a slot assigned) makes the group invalid
(:meth:`FlatGroup.valid`), and its owner builds it again from the state as it is then. The
parameters' own arrays are never replaced: their values are copied into the flat array before the
update and back after it (a few small copies, much cheaper than the calls they save).
"""
from __future__ import annotations

import math
from typing import Any

from dezero_core.backend.selection import backend_of
from dezero_core.optimizers.blocks import slices_are_views

#: parameters up to this many elements are grouped: above it an operation's own work outweighs its call
SMALL_ELEMENTS = 16384


class FlatGroup:
    """The parameters ``members`` (``(name, parameter)`` pairs of one array type and dtype) of
    ``optimizer``, updated as one flat array (see the module docstring)."""

    def __init__(self, optimizer: Any, members: list[tuple[str, Any]]) -> None:
        self.optimizer = optimizer
        self.members = members
        first = members[0][1].data
        xp = backend_of(first).xp
        self._xp = xp
        self.shapes = [tuple(p.data.shape) for _, p in members]
        sizes = [math.prod(shape) for shape in self.shapes]
        starts = [sum(sizes[:i]) for i in range(len(sizes))]
        self.spans = [slice(a, a + n) for a, n in zip(starts, sizes)]
        total = sum(sizes)
        self.data = xp.zeros((total,), dtype=first.dtype)
        self.grad = xp.zeros((total,), dtype=first.dtype)
        self.state: dict[str, Any] = {}
        self._owners: list[tuple[str, Any, int]] = []  # per member: (name, its slots dict, how many slots)
        self._views: list[tuple[Any, str, Any]] = []  # per member and slot: (slots dict, key, the view in it)
        # per member: its part of the flat values and of the flat gradient, in its shape (views)
        self._data_views = [xp.reshape(self.data[span], shape) for span, shape in zip(self.spans, self.shapes)]
        self._grad_views = [xp.reshape(self.grad[span], shape) for span, shape in zip(self.spans, self.shapes)]
        for (name, param), span, shape in zip(members, self.spans, self.shapes):
            slots = optimizer.slots_of(name, param.data)
            for key, value in slots.items():
                if key not in self.state:
                    self.state[key] = xp.zeros((total,), dtype=first.dtype)
                flat = self.state[key]
                flat[span] = xp.reshape(value, (-1,))
                view = slots[key] = xp.reshape(flat[span], shape)
                self._views.append((slots, key, view))
            self._owners.append((name, slots, len(slots)))
        self.start()

    @staticmethod
    def groupable(optimizer: Any, data: Any) -> bool:
        """Whether a parameter holding ``data`` may join a group of ``optimizer``: a small array of
        an elementwise optimizer, on a backend that computes one operation at a time (a CPU) and
        whose slices are views, with state slots of the parameter's shape."""
        if not optimizer.elementwise or math.prod(data.shape) > SMALL_ELEMENTS:
            return False
        backend = backend_of(data)
        if not backend.blocked_updates or not slices_are_views(backend):
            return False
        return all(tuple(v.shape) == tuple(data.shape) for v in optimizer.init_state(data).values())

    def valid(self) -> bool:
        """Whether every member's state is still the views this group made (nothing replaced them)."""
        state = self.optimizer.state
        for name, slots, n in self._owners:
            if state.get(name) is not slots or len(slots) != n:
                return False
        for slots, key, view in self._views:
            if slots.get(key) is not view:
                return False
        return True

    def start(self) -> None:
        """Before the gradients of a step are put in."""
        self._given = [False] * len(self.members)

    def put_grad(self, index: int, grad: Any) -> None:
        """Member ``index``'s gradient, copied into the flat gradient; None: it gets none this step
        (a branch of ``dz.cond`` not taken), so it is not updated."""
        if grad is not None:
            self._grad_views[index][...] = grad
            self._given[index] = True

    def update(self) -> None:
        """Every member given a gradient since :meth:`start` updated (after the optimizer's
        ``begin_step``): all at once, or one by one when some got none."""
        if not all(self._given):
            for (name, param), view, given in zip(self.members, self._grad_views, self._given):
                if given:
                    self.optimizer.update_param(name, param.data, view)
            return
        pairs = [(param.data, view) for (_, param), view in zip(self.members, self._data_views)]
        for data, view in pairs:
            view[...] = data
        self.optimizer.update_one(self.data, self.grad, self.state)
        for data, view in pairs:
            data[...] = view


def flat_groups(optimizer: Any, named: list[tuple[str, Any]]) -> list[FlatGroup]:
    """Groups of the pairs in ``named`` that may be updated together (two or more of one array type
    and dtype, see :meth:`FlatGroup.groupable`), in the order of ``named``."""
    by_kind: dict[tuple, list[tuple[str, Any]]] = {}
    for name, param in named:
        data = param.data
        if FlatGroup.groupable(optimizer, data):
            by_kind.setdefault((type(data), str(data.dtype)), []).append((name, param))
    return [FlatGroup(optimizer, members) for members in by_kind.values() if len(members) > 1]
