"""``Layer``: Parameters and sub-layers held as attributes, walked in a deterministic order.

A layer finds what it holds by looking at its attributes: every :class:`Parameter` and every
sub-``Layer`` counts, in the order of their attribute names (never a set's order, which changes from
run to run; data-parallel training and checkpoints need the same order in every process). Names of
nested parameters join attribute names with ``/`` (``"l1/W"``), as the book's weight files do, so
those files load unchanged. Arrays that are state but not trained (batch norm's running mean) are
registered with :meth:`Layer.register_buffer`: they are saved and moved with the parameters, and
no optimizer touches them.
"""
from __future__ import annotations

import os
from typing import Any, Iterator, Mapping

from dezero_core.backend.selection import backend_of
from dezero_core.data.arrays import is_array, namespace
from dezero_core.graph.transfer import move_array
from dezero_core.graph.variable import Parameter
from dezero_core.serialization import copy_like, load_arrays, save_arrays

SEPARATOR = "/"

#: bumped whenever any layer gains, loses or replaces a Parameter, Layer or buffer: the walk over a
#: model's attributes (sorting them at every level) is cached until the structure changes, since
#: training calls ``named_params`` twice per step (``cleargrads`` and the optimizer)
_structure_version = 0


def _structure_changed() -> None:
    global _structure_version
    _structure_version += 1


class StateDictError(ValueError):
    """A state dict (or weights file) whose names or shapes do not match the layer.

    ``missing``, ``unexpected`` and ``mismatched`` (name -> (expected shape, given shape)) say which.
    """

    def __init__(self, message: str, missing: list[str], unexpected: list[str],
                 mismatched: dict[str, tuple[tuple[int, ...], tuple[int, ...]]]) -> None:
        super().__init__(message)
        self.missing = missing
        self.unexpected = unexpected
        self.mismatched = mismatched


class Layer:
    """A differentiable building block: ``forward`` plus the Parameters and sub-layers it holds.

    Subclasses set Parameters and Layers as attributes in ``__init__`` and write ``forward``;
    calling the layer calls ``forward``.
    """

    def __init__(self) -> None:
        # names of non-trainable state arrays; setdefault: a subclass may register before calling us
        self.__dict__.setdefault("_buffers", {})

    def __call__(self, *inputs: Any, **kwargs: Any) -> Any:
        return self.forward(*inputs, **kwargs)

    def __setattr__(self, name: str, value: Any) -> None:
        changes_layout = isinstance(value, (Parameter, Layer)) or isinstance(self.__dict__.get(name), (Parameter, Layer))
        object.__setattr__(self, name, value)
        if changes_layout:
            _structure_changed()

    def __delattr__(self, name: str) -> None:
        object.__delattr__(self, name)
        _structure_changed()

    def forward(self, *inputs: Any, **kwargs: Any) -> Any:
        """Compute the layer's output from its inputs (Variables or arrays)."""
        raise NotImplementedError(f"{type(self).__name__} does not implement forward")

    # -- what the layer holds -------------------------------------------------------------------
    def register_buffer(self, name: str, value: Any) -> None:
        """Hold ``value`` (an array, or None until it is known) as non-trainable state ``name``.

        Buffers are part of :meth:`state_dict` and move with :meth:`to`; optimizers ignore them.
        """
        self.__dict__.setdefault("_buffers", {})[name] = None
        setattr(self, name, value)
        _structure_changed()

    def _layout(self) -> list[tuple[Layer, str, str, bool]]:
        """:meth:`_entries` from the root, cached until any layer's structure changes."""
        return self._cached()[0]

    def named_param_list(self) -> list[tuple[str, Parameter]]:
        """:meth:`named_params` as a list, cached until the structure changes (optimizers' hot path).

        The list is shared: do not modify it.
        """
        return self._cached()[1]

    def _cached(self) -> tuple[list[tuple[Layer, str, str, bool]], list[tuple[str, Parameter]]]:
        cached = self.__dict__.get("_layout_cache")
        if cached is not None and cached[0] == _structure_version:
            return cached[1]
        version = _structure_version  # read first: a change during the walk invalidates the result
        layout = list(self._entries("", set()))
        # (name, parameter) pairs stay valid until a parameter attribute is reassigned, which
        # bumps the structure version like any other change of layout
        named = [(name, getattr(owner, attr)) for owner, attr, name, is_buffer in layout if not is_buffer]
        self.__dict__["_layout_cache"] = (version, (layout, named))
        return layout, named

    def _entries(self, prefix: str, seen: set[int]) -> Iterator[tuple[Layer, str, str, bool]]:
        """(owner, attribute, full name, is_buffer) for every parameter and buffer, by name.

        ``seen`` holds the ids already visited, so a parameter or layer shared between two places
        is listed once, under its first name.
        """
        buffers = self.__dict__.get("_buffers", {})
        for attr, value in sorted(vars(self).items()):
            if attr in buffers:
                yield self, attr, prefix + attr, True
            elif isinstance(value, Parameter):
                if id(value) not in seen:
                    seen.add(id(value))
                    yield self, attr, prefix + attr, False
            elif isinstance(value, Layer) and id(value) not in seen:
                seen.add(id(value))
                yield from value._entries(prefix + attr + SEPARATOR, seen)

    def named_params(self) -> Iterator[tuple[str, Parameter]]:
        """``(name, parameter)`` for every parameter of this layer and its sub-layers, by name."""
        return iter(self.named_param_list())

    def params(self) -> Iterator[Parameter]:
        """Every parameter of this layer and its sub-layers, in the order of their names."""
        for _, param in self.named_param_list():
            yield param

    def named_buffers(self) -> Iterator[tuple[str, Any]]:
        """``(name, array)`` for every buffer (non-trainable state), by name."""
        for owner, attr, name, is_buffer in self._layout():
            if is_buffer:
                yield name, getattr(owner, attr)

    def cleargrads(self) -> None:
        """Forget every parameter's gradient (call before each backward)."""
        for _, param in self.named_param_list():
            param._grad = None

    # -- moving between backends --------------------------------------------------------------
    def to(self, target: str, device: Any = None) -> "Layer":
        """Move every parameter (and its gradient) and buffer to backend ``target``, in place.

        ``target`` is a backend name or ``"name:device"``. Returns self.
        """
        for owner, attr, _, is_buffer in self._layout():
            value = getattr(owner, attr)
            if is_buffer:
                if value is not None:
                    setattr(owner, attr, move_array(value, target, device))
            elif value.data is not None:
                value.to(target, device)
        return self

    def to_cpu(self) -> "Layer":
        """Move to the numpy backend (host memory)."""
        return self.to("numpy")

    def to_gpu(self, device: Any = None) -> "Layer":
        """Move to the cupy backend (an NVIDIA GPU)."""
        return self.to("cupy", device)

    # -- state ----------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """Name -> a copy of every parameter's and buffer's array (those not yet created are left out).

        Copies, because optimizers update parameters in place: a snapshot must not change with them.
        """
        state = {}
        for owner, attr, name, is_buffer in self._layout():
            value = getattr(owner, attr)
            array = value if is_buffer else value.data
            if array is not None:
                state[name] = backend_of(array).xp.asarray(array, copy=True)
        return state

    def load_state_dict(self, state: Mapping[str, Any], strict: bool = True) -> None:
        """Set parameters and buffers from ``state`` (name -> array of any backend), all or nothing.

        Arrays are copied onto each parameter's backend and device, in its dtype; a parameter not
        yet created (a lazy layer before its first call) takes the array as it comes, on the current
        backend. Everything is checked before anything is assigned (:meth:`check_state_dict`):
        :class:`StateDictError` lists the names missing or unexpected (``strict=False`` loads the
        names present in both), the shapes that differ and the arrays of a wrong kind.
        """
        for owner, attr, name, is_buffer in self.check_state_dict(state, strict):
            array = copy_like(state[name], _array_of(getattr(owner, attr), is_buffer))
            if is_buffer:
                setattr(owner, attr, array)
            else:
                getattr(owner, attr).data = array

    def check_state_dict(self, state: Mapping[str, Any], strict: bool = True) -> list[tuple["Layer", str, str, bool]]:
        """The (owner, attribute, name, is_buffer) entries ``state`` would set; raises
        :class:`StateDictError` (and changes nothing) if it does not fit this layer's structure.

        Checked: names (with ``strict``, every parameter and buffer, created or not, must be in the
        state, and nothing else); shapes, against the created arrays and, for parameters not yet
        created, against :meth:`param_shape`; kinds (parameters take real floating arrays only,
        buffers numeric or boolean ones).
        """
        layout = self._layout()
        names = {name for _, _, name, _ in layout}
        missing = [name for _, _, name, _ in layout if name not in state] if strict else []
        unexpected = [n for n in state if n not in names] if strict else []
        mismatched: dict[str, tuple[tuple[Any, ...], tuple[int, ...]]] = {}
        wrong_kind: dict[str, str] = {}
        chosen = [entry for entry in layout if entry[2] in state]
        for owner, attr, name, is_buffer in chosen:
            given = state[name]
            problem = _kind_problem(given, is_buffer)
            if problem:
                wrong_kind[name] = problem
                continue
            current = _array_of(getattr(owner, attr), is_buffer)
            expected = tuple(current.shape) if current is not None else owner.param_shape(attr)
            if expected is not None and not _fits(expected, tuple(given.shape)):
                mismatched[name] = (expected, tuple(given.shape))
        if missing or unexpected or mismatched or wrong_kind:
            raise _state_error(type(self).__name__, missing, unexpected, mismatched, wrong_kind)
        return chosen

    def param_shape(self, attr: str) -> tuple[int | None, ...] | None:
        """The shape the parameter or buffer ``attr`` of this layer has or will have (None for a size
        known only at the first call), or None when the layer cannot tell. Lazy layers override it,
        so that a state dict is checked against their structure before their first call."""
        array = _array_of(getattr(self, attr), attr in self.__dict__.get("_buffers", {}))
        return None if array is None else tuple(array.shape)

    def save_weights(self, path: "str | os.PathLike[str]") -> None:
        """Save :meth:`state_dict` to ``path`` as a safetensors file, atomically (see
        :func:`~dezero_core.serialization.save_arrays`); the name is used as given."""
        save_arrays(path, self.state_dict())

    def load_weights(self, path: "str | os.PathLike[str]", strict: bool = True) -> None:
        """Load a file written by :meth:`save_weights`, any safetensors file, or an npz file of earlier
        versions or of the book; a damaged file raises
        :class:`~dezero_core.serialization.WeightsFileError` naming it and the fault."""
        try:
            self.load_state_dict(load_arrays(path), strict)
        except StateDictError as exc:
            raise StateDictError(f"{os.fspath(path)}: {exc}", exc.missing, exc.unexpected, exc.mismatched) from None

    def __repr__(self) -> str:
        children = [f"({name}): {value!r}".replace("\n", "\n  ")
                    for name, value in sorted(vars(self).items()) if isinstance(value, Layer)]
        if not children:
            return f"{type(self).__name__}({self.extra_repr()})"
        return f"{type(self).__name__}(\n  " + "\n  ".join(children) + "\n)"

    def extra_repr(self) -> str:
        """What ``repr`` shows between the parentheses of a layer without sub-layers."""
        return ""


def _array_of(value: Any, is_buffer: bool) -> Any:
    return value if is_buffer else value.data


def _kind_problem(array: Any, is_buffer: bool) -> str | None:
    """Why ``array`` cannot be loaded as a parameter (real floating) or buffer (numeric, bool), or None."""
    if not is_array(array):
        return f"a {type(array).__name__}, not an array"
    xp = namespace(array)
    try:
        if xp.isdtype(array.dtype, "real floating"):
            return None
        if is_buffer and xp.isdtype(array.dtype, ("integral", "bool")):
            return None
    except (TypeError, ValueError):  # a dtype the namespace does not classify (strings, objects)
        pass
    return f"of dtype {array.dtype}, " + ("not numeric" if is_buffer else "not a floating-point parameter")


def _fits(expected: tuple[Any, ...], given: tuple[int, ...]) -> bool:
    return len(expected) == len(given) and all(e is None or e == g for e, g in zip(expected, given))


def _show(shape: tuple[Any, ...]) -> str:
    return "(" + ", ".join("?" if n is None else str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"


def _state_error(owner: str, missing: list[str], unexpected: list[str],
                 mismatched: dict[str, tuple[tuple[Any, ...], tuple[int, ...]]],
                 wrong_kind: dict[str, str] | None = None) -> StateDictError:
    parts = []
    if missing:
        parts.append(f"missing (in the layer, not in the state): {', '.join(missing)}")
    if unexpected:
        parts.append(f"unexpected (in the state, not in the layer): {', '.join(unexpected)}")
    if mismatched:
        parts.append("shape mismatch: " + ", ".join(f"{name} is {_show(expected)} in the layer but {given} in the state"
                                                    for name, (expected, given) in mismatched.items()))
    if wrong_kind:
        parts.append("wrong kind: " + ", ".join(f"{name} is {why}" for name, why in wrong_kind.items()))
    hint = " Pass strict=False to load only the names present in both." if (missing or unexpected) else ""
    if mismatched and any(None in expected for expected, _ in mismatched.values()):
        hint += " (? is a size the layer takes from its first input.)"
    return StateDictError(f"cannot load the state into {owner}: " + "; ".join(parts) + "." + hint,
                          missing, unexpected, mismatched)
