"""``Variable`` and ``Parameter``: arrays that remember how they were computed."""
from __future__ import annotations

import math
from typing import Any, Iterator

from dezero_core.backend.selection import backend_of, get_backend


class Variable:
    """An array with a gradient and a link to the function that created it.

    A Variable the user creates gets a gradient (``requires_grad=True``); a raw array passed into an
    operation becomes a constant that needs none. Operations on Variables record the graph that
    :meth:`backward` walks. The arithmetic operators and the shape methods (``reshape``, ``T``,
    ``sum``...) are functions: :mod:`dezero_core.functions.operators` installs them.
    """

    __slots__ = ("data", "name", "_grad", "creator", "generation", "requires_grad", "__weakref__")
    # numpy defers ``ndarray <op> Variable`` to our reflected operators instead of looping
    __array_ufunc__ = None
    __array_priority__ = 200

    def __init__(self, data: Any, name: str | None = None, requires_grad: bool = True) -> None:
        if data is not None:
            try:
                backend = backend_of(data)
            except TypeError as exc:
                raise TypeError(f"Variable(data) takes an array; got {type(data).__name__} {data!r:.60}. "
                                f"Convert it first with dezero_core.as_array(data) (the current backend) "
                                f"or e.g. numpy.asarray(data). ({exc})") from None
            _check_dtype(backend, data)
        self.data = data
        self.name = name
        self._grad: Any = None
        self.creator: Any = None
        self.generation = 0
        self.requires_grad = requires_grad

    # -- the array's description ----------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        """The shape of ``data``."""
        return self.data.shape

    @property
    def ndim(self) -> int:
        """The number of dimensions of ``data``."""
        return self.data.ndim

    @property
    def size(self) -> int:
        """The number of elements of ``data``."""
        return math.prod(self.data.shape)

    @property
    def dtype(self) -> Any:
        """The dtype of ``data``."""
        return self.data.dtype

    @property
    def backend(self) -> Any:
        """The backend that owns ``data``."""
        return backend_of(self.data)

    @property
    def device(self) -> Any:
        """The device ``data`` lives on."""
        return self.backend.device_of(self.data)

    def __len__(self) -> int:
        if not self.data.shape:
            raise TypeError("len() of a 0-d Variable")
        return self.data.shape[0]  # arrays of the array API need not implement len()

    def __bool__(self) -> bool:
        # without this, Python would take len(): any non-empty Variable, even [False], is true
        if math.prod(self.data.shape) != 1:  # one message and one type on every backend (torch: RuntimeError)
            raise ValueError(f"the truth value of a Variable of shape {tuple(self.data.shape)} is ambiguous: "
                             f"only a Variable of one element has one; reduce it to one element first")
        return bool(self.data)

    def __repr__(self) -> str:
        if self.data is None:
            return "variable(None)"
        body = str(self.data).replace("\n", "\n" + " " * 9)
        return f"variable({body})"

    # -- gradients ----------------------------------------------------------------------------
    @property
    def grad(self) -> "Variable | None":
        """The gradient, as a Variable (None until a backward reaches this variable)."""
        g = self._grad
        if g is not None and not isinstance(g, Variable):
            g = self._grad = _new_variable(g, False)
        return g

    @grad.setter
    def grad(self, value: Any) -> None:
        self._grad = value

    def set_creator(self, func: Any) -> None:
        """Record ``func`` as the function that made this variable, one generation after it (the
        book's ``Variable.set_creator``; ``Function.__call__`` links its outputs itself)."""
        self.creator = func
        self.generation = func.generation + 1

    def cleargrad(self) -> None:
        """Forget the gradient, so that the next backward does not accumulate into it."""
        self._grad = None

    def backward(self, retain_grad: bool = False, create_graph: bool = False,
                 retain_graph: bool = True) -> None:
        """Backpropagate from this variable through the recorded graph.

        Gradients accumulate into ``grad`` across calls. Intermediate gradients are freed unless
        ``retain_grad``. ``create_graph`` records the backward pass itself, for higher-order
        gradients. The graph stays, as in the book (its loops backpropagate again through a graph
        and cut it afterwards with :meth:`unchain_backward`); ``retain_graph=False`` releases it
        at once, freeing the intermediate arrays before the variable itself goes (PyTorch's
        default), after which another backward through it raises an error.
        """
        from dezero_core.graph.backprop import backward

        backward(self, retain_grad, create_graph, retain_graph)

    def unchain(self) -> None:
        """Cut the link to the creator: this variable becomes a leaf."""
        self.creator = None

    def unchain_backward(self) -> None:
        """Cut every link of the graph behind this variable (truncated backprop through time)."""
        stack = [self.creator] if self.creator is not None else []
        seen = set()
        while stack:
            f = stack.pop()
            if id(f) in seen or f.inputs is None:
                continue
            seen.add(id(f))
            for x in f.inputs:
                if x.creator is not None:
                    stack.append(x.creator)
                    x.unchain()

    # -- moving between backends and devices -----------------------------------------------------
    def to(self, target: str, device: Any = None) -> "Variable":
        """Move ``data`` (and ``grad``) to backend ``target`` (``"name"`` or ``"name:device"``), in place.

        Returns self, so ``x = Variable(a).to("cupy")`` reads naturally.
        """
        from dezero_core.graph.transfer import move_array

        if self.data is not None:
            self.data = move_array(self.data, target, device)
        if self._grad is not None:
            g = self.grad
            g.data = move_array(g.data, target, device)
        return self

    def to_cpu(self) -> "Variable":
        """Move to the numpy backend (host memory)."""
        return self.to("numpy")

    def to_gpu(self, device: Any = None) -> "Variable":
        """Move to the cupy backend (an NVIDIA GPU)."""
        return self.to("cupy", device)

    # Comparisons give constant boolean Variables: they have no gradient.
    def __lt__(self, other: Any) -> "Variable":
        return _compare(self, other, "less")

    def __le__(self, other: Any) -> "Variable":
        return _compare(self, other, "less_equal")

    def __gt__(self, other: Any) -> "Variable":
        return _compare(self, other, "greater")

    def __ge__(self, other: Any) -> "Variable":
        return _compare(self, other, "greater_equal")

    def __eq__(self, other: Any) -> "Variable":  # type: ignore[override]
        return _compare(self, other, "equal")

    def __ne__(self, other: Any) -> "Variable":  # type: ignore[override]
        return _compare(self, other, "not_equal")

    __hash__ = object.__hash__  # identity, as PyTorch: Variables stay usable as dict keys

    def __iter__(self) -> Iterator["Variable"]:
        return (self[i] for i in range(len(self)))


class Parameter(Variable):
    """A Variable that a ``Layer`` trains: layers collect every Parameter they hold."""

    __slots__ = ()


#: (dtype type, dtype) -> whether a Variable may hold it: checked once per dtype
_numeric_dtypes: dict[tuple[type, Any], bool] = {}


def _check_dtype(backend: Any, data: Any) -> None:
    """Raise unless ``data`` holds numbers or booleans (strings and objects have no gradient)."""
    dtype = data.dtype
    key = (type(dtype), dtype)
    ok = _numeric_dtypes.get(key)
    if ok is None:
        ok = _numeric_dtypes[key] = bool(backend.xp.isdtype(dtype, ("numeric", "bool")))
    if not ok:
        raise TypeError(f"Variable(data) takes an array of numbers or booleans; got dtype {dtype}. "
                        f"Encode the values as numbers first (e.g. class indices for labels)")


def _new_variable(data: Any, requires_grad: bool) -> Variable:
    """A Variable around an array already known to be valid (no type check: the hot path)."""
    v = object.__new__(Variable)
    v.data = data
    v.name = None
    v._grad = None
    v.creator = None
    v.generation = 0
    v.requires_grad = requires_grad
    return v


def _compare(x: Variable, other: Any, op: str) -> Variable:
    ops = backend_of(x.data).ops
    y = other.data if isinstance(other, Variable) else other
    return _new_variable(getattr(ops, op)(x.data, y), False)


def as_variable(obj: Any) -> Variable:
    """``obj`` if it is a Variable, else a constant Variable around the array ``obj``."""
    if isinstance(obj, Variable):
        return obj
    return Variable(obj, requires_grad=False)


def as_array(obj: Any, dtype: Any = None, backend: Any = None) -> Any:
    """``obj`` (nested lists, scalars, an array of the same backend) as an array of ``backend``.

    The current backend is used when none is given.
    """
    b = get_backend(backend)
    return b.asarray(obj, dtype=dtype)

