"""Tracing a Python function into a graph, and the compiled function that replays it.

``dz.compile(fn)`` returns a :class:`CompiledFunction`. Its first call *traces*: ``fn`` runs once
with symbols in place of its array arguments (every Function call is recorded; ``loss.backward()``
derives the gradient nodes; ``optimizer.update()`` becomes an update node), the graph is built,
optimised by the passes and compiled into an :class:`~dezero_core.static.executor.Executor`. The
tracing run computes on the real arguments (each node runs as it is recorded, with eager mode's
kernels and random draws), so the first call returns what it computed and then runs the deferred
effects (gradient writes, optimizer updates). Later calls whose guards match *replay* the graph.

Guards (the key of the graph cache): each array argument's backend type, shape, dtype, device
(where its backend has several) and (for Variables) requires_grad, every other argument's value (Python scalars) or identity (objects),
the ``train`` and ``enable_backprop`` flags, and each parameter's array type, shape and dtype.
A miss retraces (at most :data:`CACHE_SIZE` graphs are kept); after :data:`RETRACE_WARNING`
retraces a warning names the argument that keeps changing. Layer state a call leaves for the next
(an RNN's hidden state) is carried by the graph, and guarded (:mod:`.layer_state`). A call like the
latest replay (array arguments alone, nothing else guarded) is checked against it directly, with no
key built: per argument its type, shape and dtype, then the two flags and the parameters' arrays
(by identity, shape and dtype: :class:`ParamGuard`).

Gradients held between calls: a step that calls ``cleargrads()`` before its backward replaces each
gradient, whatever the parameters held. A step that does not adds to what they hold, as eager mode
does: the trace tells the two apart (each ``grad`` holds a placeholder while traced: whether the
step replaced it), and where the step adds, whether each gradient was None when the call began is
part of the key (the first call, with none held, and the later ones are two graphs, each traced
once), and the step keeps its gradients for the next call rather than updating in the backward
pass. A step that clears the gradients after its update leaves them None after every call.

Reading a value inside the traced function (``float(loss)``, ``if y.data > 0``) is a *graph break*:
the call runs eagerly instead, with one warning naming the line (``fullgraph=True`` raises
:class:`GraphBreakError` instead). A broken trace leaves nothing behind but lazily initialised
parameters: the optimizer did not step, random draws and in-place running statistics are rewound.
"""
from __future__ import annotations

import collections
import inspect
import warnings
from typing import Any, Callable, Sequence

from dezero_core.backend.selection import backend_of
from dezero_core.config import ENABLE_BACKPROP, TRAIN
from dezero_core.graph import function as _function
from dezero_core.graph.variable import Parameter, Variable, _new_variable
from dezero_core.static.autodiff import Gradients
from dezero_core.static import layer_state
from dezero_core.static.build import build_graph, layer_param_names, layers_of
from dezero_core.static.executor import Executor
from dezero_core.static.ir import Graph, Node, Value
from dezero_core.static.symbolic import (
    CURRENT_TRACE,
    Symbol,
    GradHolder,
    SymbolValueError,
    dtype_name,
    example_of,
    location_in,
    make_symbol,
    output_values,
    record,
    value_of,
)

#: graphs kept per compiled function (one per guard key)
CACHE_SIZE = 8
#: retraces after which a warning names the argument that keeps changing
RETRACE_WARNING = 8


class GraphBreakError(RuntimeError):
    """Raised by ``dz.compile(fn, fullgraph=True)`` where ``fn`` reads a value while traced.

    ``where`` is the user's ``file:line``; ``reason`` what was read and what to do instead.
    """

    def __init__(self, message: str, where: str = "", reason: str = "") -> None:
        super().__init__(message)
        self.where = where
        self.reason = reason


class GraphBreakWarning(UserWarning):
    """A traced function read a value: that call (and later ones with the same guards) run eagerly."""


class TracedStateWarning(UserWarning):
    """A traced call left a symbol in a layer's attribute that cannot be carried between calls (an
    exported graph, a layer found only through an optimizer): it is cleared."""


class RetraceWarning(UserWarning):
    """A compiled function keeps being retraced because an argument keeps changing."""


# -- the tracing context ------------------------------------------------------------------------
class Trace:
    """What one tracing run records beyond the nodes the outputs reach: effects, state to rewind."""

    def __init__(self) -> None:
        self.effects: list[Node] = []
        self.grads = Gradients()
        self.random_state: Any = None  # the generators' state before the first random node
        self.saved_state: list[tuple[Any, Any]] = []  # (array, copy) of in-place state of impure nodes
        self.optimizers: list[Any] = []
        self.leaf_values: dict[int, Value] = {}  # id(Variable) -> its value (the trace keeps both alive)
        self.arguments: dict[int, Symbol] = {}  # input value id -> the symbol of an argument that requires grad
        self.argument_grads: dict[int, Value] = {}  # input value id -> its gradient (a graph output)
        self.argument_outputs: list[tuple[int, int]] = []  # (input position, output position) of those
        self.state_slots: list[tuple[Any, str, int]] = []  # (layer, attribute, output position): carried state
        self.state_ids: set[int] = set()  # id() of the Variables layers held as state when the trace began
        self.computed: list[Variable] = []  # results of eager calls recorded as nodes (kept alive: ids)
        self.shown_grads: list[tuple[Variable, Any]] = []  # (Variable, its grad before the trace showed a symbol)
        #: id(parameter) -> (parameter, what its ``grad`` held when the call began, or the placeholder
        #: standing for None; whether it is a placeholder)
        self.held: dict[int, tuple[Parameter, Any, bool]] = {}
        #: (parameter, whether its grad was None when the call began): gradients this graph's result
        #: depends on, because the step neither cleared nor replaced them before its backward
        self.grad_deps: list[tuple[Parameter, bool]] = []
        self.cleared_after: list[Parameter] = []  # parameters whose grad the step clears after its backward

    def hold_grads(self, layers: list[Any]) -> None:
        """Before the traced call: remember what each parameter's ``grad`` holds, to tell at the
        backward whether the step cleared it (``cleargrads()``) or left it to accumulate into, as
        eager mode does. A None is replaced by a placeholder until the trace ends (a symbol of the
        held gradient, reading zeros where none is held): whether it is still there says whether the
        step touched it."""
        for layer in layers:
            for _, p in layer.named_param_list():
                if id(p) in self.held:
                    continue
                g = p._grad
                if g is None and p.data is None:  # a lazy layer's, initialised by this call: no shape yet
                    g = p._grad = _new_variable(None, False)
                elif g is None:
                    data = p.data
                    value = Value("state", "", tuple(data.shape), dtype_name(data.dtype), source=GradHolder(p))
                    g = p._grad = make_symbol(value, backend_of(data).xp.zeros(data.shape, dtype=data.dtype))
                else:
                    self.held[id(p)] = (p, g, False)
                    continue
                self.held[id(p)] = (p, g, True)

    def release_grads(self) -> None:
        """After the traced call: a placeholder the step left in place is None again."""
        for p, g, placeholder in self.held.values():
            if placeholder and p._grad is g:
                p._grad = None

    def note_cleared_grads(self) -> None:
        """When the traced function returns: a gradient its backward wrote that the step then
        cleared (``cleargrads()`` after ``update()``) is cleared after every run too, and does not
        survive into the next call."""
        for holder, _ in self.shown_grads:
            if holder._grad is None and any(n.kind == "set_grad" and n.fn is holder for n in self.effects):
                self.cleared_after.append(holder)
                for n in self.effects:
                    if n.kind == "set_grad" and n.fn is holder:
                        n.attrs.pop("keeps_grad", None)

    def _start_grad(self, holder: Variable, old: Any) -> tuple[bool, bool]:
        """``(untouched, was None)`` of ``holder``'s gradient at the backward: whether the step left
        it as the call found it (eager adds to it; the next call reads what this one leaves), and
        whether it was None then. A parameter of no layer the call's function and arguments reach
        (its grad was not held) is taken as untouched: the key then says whether it held one."""
        entry = self.held.get(id(holder))
        if entry is None:
            return True, old is None
        _, held, placeholder = entry
        if old is not held:
            return False, False
        return True, placeholder

    def before_impure(self, fn: Any) -> None:
        """Before an impure node runs on examples: remember what it changes, to rewind it after."""
        if self.random_state is None:
            from dezero_core import random

            self.random_state = random.get_state()
        for array in _state_arrays(fn):
            xp = backend_of(array).xp
            self.saved_state.append((array, xp.asarray(array, copy=True)))

    def rewind(self) -> None:
        """Undo what running the trace on examples did to random generators and running statistics."""
        if self.random_state is not None:
            from dezero_core import random

            random.set_state(self.random_state)
        for array, saved in reversed(self.saved_state):
            array[...] = saved

    def backward(self, loss: Symbol) -> None:
        """``loss.backward()`` while tracing: gradient nodes, then a ``set_grad`` node per parameter
        (an argument's gradient becomes an output of the graph, written into its ``grad`` after each
        call). Until the trace ends, each ``grad`` holds a symbol of its gradient: code after the
        backward reads it as eager code would (a gradient penalty differentiates it again).

        The gradient a leaf holds already starts its sum, as in eager's engine, which adds each
        gradient to it as it arrives: the sum is eager's bit for bit."""
        root = loss.data.value
        leaves = _leaves(root)
        held = {v.id: h for v in leaves if (h := self._held_grad(v)) is not None}
        grads = self.grads.grads(root, held=held)
        for v in leaves:
            g = grads.get(v.id)
            if g is None or g is held.get(v.id):  # no gradient flows to it: it keeps what it holds
                continue
            if v.id in self.arguments:
                self.argument_grads[v.id] = g
                self._show_grad(self.arguments[v.id], g)
                continue
            if v.kind not in ("param", "state") or not isinstance(v.source, Variable):
                continue
            holder = v.source
            if all(h is not holder for h, _ in self.shown_grads):  # the first backward reaching it
                untouched, was_none = self._start_grad(holder, holder._grad)
                if untouched:  # no cleargrads() before: what the call found decides, and this one leaves
                    self.grad_deps.append((holder, was_none))
            keeps = any(h is holder for h, _ in self.grad_deps)
            self._supersede(holder)
            self.effects.append(record("set_grad", holder, [g], {"keeps_grad": True} if keeps else None))
            self._show_grad(holder, g)

    def _held_grad(self, v: Value) -> Value | None:
        """The gradient leaf ``v`` holds before a backward, as a value of the graph (None: none)."""
        if v.id in self.arguments:
            return self.argument_grads.get(v.id)
        if v.kind not in ("param", "state") or not isinstance(v.source, Variable):
            return None
        holder = v.source
        old = holder._grad
        if all(h is not holder for h, _ in self.shown_grads):  # the first backward reaching it
            untouched, was_none = self._start_grad(holder, old)
            if untouched and was_none:
                return None  # the placeholder: the gradient starts here
        if isinstance(old, Symbol):  # of an earlier backward of this trace (or computed in it)
            return old.data.value
        if old is not None:  # no cleargrads() before: eager adds to the gradient it holds
            return Value("state", "", tuple(old.shape), dtype_name(old.dtype), source=GradHolder(holder))
        return None

    def _supersede(self, holder: Variable) -> None:
        """Drop the ``set_grad`` of ``holder`` since the last update: the new one writes over it."""
        last_update = max([i for i, n in enumerate(self.effects) if n.kind == "update"], default=-1)
        self.effects = [n for i, n in enumerate(self.effects)
                        if i <= last_update or not (n.kind == "set_grad" and n.fn is holder)]

    def _show_grad(self, holder: Variable, g: Value) -> None:
        if all(h is not holder for h, _ in self.shown_grads):
            self.shown_grads.append((holder, holder._grad))
        holder._grad = make_symbol(g, example_of(g))

    def hide_grads(self) -> None:
        """Give every Variable back the gradient it held before the trace showed it a symbol."""
        for holder, old in reversed(self.shown_grads):
            holder._grad = old
        self.shown_grads = []

    def eager_call(self, fn: Any, xs: tuple, outputs: tuple) -> None:
        """A forward hook while tracing: a Function that ran eagerly (no symbol among its inputs) is
        recorded too where it reads a parameter or layer state, or the result of such a call (a
        transposed weight, ``h2h(self.h)``): its result changes between runs, so it must be computed
        at every run, not frozen at the value the trace saw."""
        if CURRENT_TRACE.get() is not self or not any(
                isinstance(x, Parameter) or id(x) in self.leaf_values or id(x) in self.state_ids for x in xs):
            return
        values = [value_of(x)[0] for x in xs]
        requires = any(v.requires_grad for v in values) and ENABLE_BACKPROP.get()
        node = record("call", fn, values)
        for out, v in zip(outputs, output_values(node, [o.data for o in outputs], requires, len(outputs))):
            self.leaf_values[id(out)] = v
            self.computed.append(out)

    def update(self, optimizer: Any) -> bool:
        """``optimizer.update()`` while tracing: an update node (run at replay, not now)."""
        grads = [n.inputs[0] for n in self.effects if n.kind == "set_grad"]
        self.effects.append(record("update", optimizer, grads))
        self.optimizers.append(optimizer)
        return True


def _state_arrays(fn: Any) -> list[Any]:
    """Arrays an impure Function may change in place: its attributes', one object deep."""
    found = []
    for value in vars(fn).values():
        candidates = [value] + (list(vars(value).values()) if hasattr(value, "__dict__") else [])
        for c in candidates:
            if hasattr(c, "shape") and hasattr(c, "dtype") and hasattr(c, "__setitem__"):
                found.append(c)
    return found


def _leaves(root: Value) -> list[Value]:
    """The leaf values ``root`` depends on, in first-seen order."""
    seen, leaves, stack = set(), [], [root]
    while stack:
        v = stack.pop()
        if v.id in seen:
            continue
        seen.add(v.id)
        if v.producer is None:
            leaves.append(v)
        else:
            stack.extend(x for x in v.producer.inputs if x is not None)
    return sorted(leaves, key=lambda v: v.id)


def _trace_update(optimizer: Any) -> bool:
    trace = CURRENT_TRACE.get()
    return trace is not None and trace.update(optimizer)


def _trace_backward(root: Variable) -> bool:
    """``root.backward()`` while tracing, where ``root`` is no symbol but was computed in the trace
    from parameters alone (a weight penalty): recorded as a symbol's backward is."""
    trace = CURRENT_TRACE.get()
    v = trace.leaf_values.get(id(root)) if trace is not None else None
    if v is None or v.kind != "node":
        return False
    trace.backward(make_symbol(v, root.data))
    return True


# -- arguments ----------------------------------------------------------------------------------
def _is_array(x: Any) -> bool:
    return hasattr(x, "shape") and hasattr(x, "dtype") and not isinstance(x, Variable)


#: array type -> its backend where that has several devices (the device is guarded), else None; a
#: type not in it is not yet known to be an array type
_array_kinds: dict[type, Any] = {}


def _device(data: Any) -> Any:
    """The device of ``data`` where its backend has more than one (None otherwise: nothing to guard)."""
    t = type(data)
    if t not in _array_kinds:
        backend = backend_of(data)
        _array_kinds[t] = backend if len(backend.devices()) > 1 else None
    backend = _array_kinds[t]
    return None if backend is None else backend.device_of(data)


def _arg_key(x: Any, arrays: list[Any]) -> Any:
    """The guard key of one argument; its arrays (Variables' data included) are appended to ``arrays``
    in the order the traced graph takes them as inputs."""
    t = type(x)
    if t in _array_kinds:
        arrays.append(x)
        backend = _array_kinds[t]
        if backend is None:  # one device: (type, shape, dtype) says it all
            return (t, x.shape, x.dtype)
        return (t, x.shape, x.dtype, backend.device_of(x))
    if isinstance(x, Variable):
        d = x.data
        arrays.append(d)
        return (type(d), d.shape, d.dtype, _device(d), x.requires_grad)
    if _is_array(x):
        _device(x)  # known as an array type from now on
        return _arg_key(x, arrays)
    if isinstance(x, (bool, int, float, str, type(None))):
        return (t, x)
    if isinstance(x, (list, tuple)):
        return (t, tuple([_arg_key(e, arrays) for e in x]))
    return ("id", id(x))


def _call_key(args: tuple, kwargs: dict) -> tuple[Any, list[Any]]:
    """``(guard key, input arrays)`` of a call: arguments in order, keyword arguments by name, the
    ``enable_backprop`` and ``train`` flags (the key's first four entries; see
    :meth:`CompiledFunction.__call__` for the rest)."""
    arrays: list[Any] = []
    key = tuple([_arg_key(a, arrays) for a in args])
    named = tuple([(k, _arg_key(kwargs[k], arrays)) for k in sorted(kwargs)]) if kwargs else ()
    return (key, named, ENABLE_BACKPROP.get(), TRAIN.get()), arrays


# -- the compiled function ----------------------------------------------------------------------
class ParamGuard:
    """The parameters a graph reads, each guarded on its array's type, shape and dtype.

    A call compares each parameter's array by identity with the array last seen, and its shape and
    dtype (which a numpy array can change in place) with the traced ones: one loop of attribute
    reads, no tuple built. A new array (``p.data = ...``, a model moved to another backend) is then
    checked against the type, shape and dtype of the trace, and accepted if they match."""

    def __init__(self, params: list[Any]) -> None:
        arrays = [p.data for p in params]
        self.params = params
        self.keys = [(type(d), d.shape, d.dtype) for d in arrays]
        self.checks = [(p, d, d.shape, d.dtype) for p, d in zip(params, arrays)]

    def __call__(self) -> bool:
        """Whether every parameter's array has the type, shape and dtype the graph was traced with."""
        for p, d, shape, dtype in self.checks:
            data = p.data
            if data is not d or data.shape != shape or data.dtype is not dtype:
                return self._recheck()
        return True

    def _recheck(self) -> bool:
        """The full check, after an array changed: remember the new arrays where they match."""
        for p, key in zip(self.params, self.keys):
            d = p.data
            if d is None or (type(d), d.shape, d.dtype) != key:
                return False
        self.checks = [(p, p.data, key[1], p.data.dtype) for p, key in zip(self.params, self.keys)]
        return True


class Compiled:
    """One traced graph and its executor (per backend)."""

    def __init__(self, graph: Graph, structure: Any, params: list[Any], trace: Trace | None = None,
                 results: list[Any] | None = None, argument_grads: list[tuple[int, int]] | None = None,
                 state_slots: list[tuple[Any, str, int]] | None = None) -> None:
        self.graph = graph
        self.structure = structure
        #: whether the parameters' arrays still have the type, shape and dtype of the trace
        self.params_match = ParamGuard(params)
        #: (input position, output position): the gradient of an argument Variable, for its grad
        self.argument_grads = argument_grads or []
        #: (layer, attribute, output position): layer state the graph carries to the next call
        self.state_slots = state_slots or []
        #: parameters whose grad the traced step clears after its backward: cleared after each run
        self.cleared_after = list(trace.cleared_after) if trace is not None else []
        #: (parameter, None at the trace's start): the held gradients the graph depends on (guarded)
        self.grad_deps = list(trace.grad_deps) if trace is not None else []
        self.writes_back = bool(self.argument_grads or self.state_slots or self.cleared_after)
        self._executors: dict[Any, Executor] = {}  # array type of the inputs -> executor
        self._trace, self._results = trace, results

    def finish_first_call(self, args: tuple, kwargs: dict) -> Any:
        """The traced call's own result: tracing computed it on the real arguments exactly as eager
        mode does (the same random draws, in the same order); what it defers, the gradient writes and
        optimizer updates, runs now. Gradients are then left as a replay leaves them: None where the
        step updates in the backward pass (:func:`~dezero_core.static.update.drop_updated_grads`)."""
        from dezero_core.static.update import drop_updated_grads

        trace, results = self._trace, self._results or []
        self._trace = self._results = None
        for node in trace.effects if trace is not None else ():
            if node.kind == "set_grad":
                node.fn._grad = example_of(node.inputs[0])
            elif node.kind == "update":
                node.fn.update()
        drop_updated_grads(self.graph)
        self.write_back(args, kwargs, results)
        return _unflatten(self.structure, iter(results))

    def write_back(self, args: tuple, kwargs: dict, outs: list[Any]) -> None:
        """After a run: add the gradients of the argument Variables to their ``grad``, as eager's
        backward does, set the layer state the graph carries and clear the gradients the step clears."""
        if self.argument_grads:
            variables = _argument_variables(args, kwargs)
            for i, k in self.argument_grads:
                x = variables[i]
                old = x._grad.data if isinstance(x._grad, Variable) else x._grad
                x._grad = outs[k] if old is None else old + outs[k]
        if self.state_slots:
            layer_state.write(self.state_slots, outs)
        for p in self.cleared_after:
            p._grad = None

    def executor(self, arrays: list[Any]) -> Executor:
        """The executor for the backend of the input ``arrays`` (built on first use)."""
        array_type = type(arrays[0]) if arrays else None
        ex = self._executors.get(array_type)
        if ex is None:
            backend = backend_of(arrays[0]) if arrays else _graph_backend(self.graph)
            ex = self._executors[array_type] = Executor(self.graph, backend)
        return ex


class CompiledFunction:
    """``fn`` traced into static graphs and replayed (see the module docstring)."""

    def __init__(self, fn: Callable, passes: Any = None, fullgraph: bool = False) -> None:
        self.fn = fn
        self.passes = passes
        self.fullgraph = fullgraph
        self._cache: collections.OrderedDict[Any, Any] = collections.OrderedDict()
        self._latest: Any = None  # the entry of the latest call (the last in the cache's order)
        #: the fast path of a call like the latest replay, whose arguments were arrays on a backend
        #: of one device and nothing else was guarded (no carried state, no held gradients):
        #: (entry, executor, each argument's (type, shape, dtype), enable_backprop, train); a call
        #: that matches them (and the parameters) replays with no key built or hashed
        self._hot: Any = None
        self._traces = 0
        self._last_key: Any = None
        self._warned = False
        self._arg_names = _positional_names(fn)
        self._state: list[tuple[Any, str]] = []  # (layer, attribute) of the state the graphs carry
        self._grad_guards: list[Parameter] = []  # parameters whose grad being None a graph depends on
        self.__doc__ = getattr(fn, "__doc__", None)
        self.__name__ = getattr(fn, "__name__", type(fn).__name__)

    @property
    def graph(self) -> Graph:
        """The graph of the latest call (trace first by calling the function)."""
        for entry in reversed(self._cache.values()):
            if isinstance(entry, Compiled):
                return entry.graph
        raise RuntimeError(f"{self.__name__} has not been traced yet: call it once first")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        hot = self._hot
        if hot is not None and not kwargs and len(args) == len(hot[2]):
            entry, ex, signature, backprop, train = hot
            for x, (t, shape, dtype) in zip(args, signature):
                if type(x) is not t or x.shape != shape or x.dtype is not dtype:
                    break
            else:
                if ENABLE_BACKPROP.get() is backprop and TRAIN.get() is train and entry.params_match():
                    return self._finish(entry, ex.run(args), args, kwargs)
        # the guard key: (arguments, keyword arguments, enable_backprop, train, the carried layer
        # state's None-or-type/shape/dtype, whether each guarded parameter's grad is None)
        key, arrays = _call_key(args, kwargs)
        key += (layer_state.key(self._state) if self._state else None,
                tuple([p._grad is None for p in self._grad_guards]) if self._grad_guards else None)
        entry = self._cache.get(key)
        if entry is not None and (entry == "eager" or entry.params_match()):
            if entry is not self._latest or entry == "eager":
                self._cache.move_to_end(key)
                self._latest = entry
        else:
            entry = self._retrace(key, args, kwargs)
            if entry != "eager":  # the trace computed this call: its effects run now, its results return
                return entry.finish_first_call(args, kwargs)
        if entry == "eager":
            return self.fn(*args, **kwargs)
        ex = entry.executor(arrays)
        if not kwargs and not self._state and not self._grad_guards and all(
                _array_kinds.get(type(x), False) is None for x in args):
            self._hot = (entry, ex, tuple([(type(x), x.shape, x.dtype) for x in args]), key[2], key[3])
        return self._finish(entry, ex.run(arrays), args, kwargs)

    @staticmethod
    def _finish(entry: Compiled, outs: list[Any], args: tuple, kwargs: dict) -> Any:
        """A replay's result, after its writes (argument gradients, layer state, cleared gradients)."""
        if entry.writes_back:
            entry.write_back(args, kwargs, outs)
        structure = entry.structure
        if structure[0] == "out":  # the common case: one result
            return _new_variable(outs[0], False)
        return _unflatten(structure, iter(outs))

    def _retrace(self, key: Any, args: tuple, kwargs: dict) -> Any:
        self._traces += 1
        self._hot = None
        if self._traces > RETRACE_WARNING + 1 and not self._warned:
            self._warned = True
            warnings.warn(f"{self.__name__} was traced {self._traces} times: {self._changing(key)} changes "
                          f"between calls, and each new value traces a new graph. Pass it as an array (or a "
                          f"Variable) of a fixed shape, or run this function eagerly.", RetraceWarning,
                          stacklevel=3)
        self._last_key = key
        try:
            entry: Any = self.trace_call(args, kwargs)
        except GraphBreakError as exc:
            if self.fullgraph:
                raise
            warnings.warn(f"{self.__name__}: graph break at {exc.where}: it reads a value while traced, so it "
                          f"runs eagerly. {exc.reason}", GraphBreakWarning, stacklevel=3)
            entry = "eager"
        state = layer_state.key(self._state) if self._state else None  # the trace may have found layer
        # state: the key says what it was (the attributes hold it until the call ends); and gradients
        # this graph depends on: the key says whether each was None when the call began
        grads = key[5] or ()
        if entry != "eager":
            known = {id(p) for p in self._grad_guards}
            for p, was_none in entry.grad_deps:
                if id(p) not in known:
                    known.add(id(p))
                    self._grad_guards.append(p)
                    grads += (was_none,)
        key = key[:4] + (state, grads or None)
        self._cache[key] = self._latest = entry
        if len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
        return entry

    def _changing(self, key: Any) -> str:
        """Which argument differs between ``key`` and the keys of the graphs kept."""
        for old in reversed(self._cache):
            for i, (a, b) in enumerate(zip(key[0], old[0])):
                if a != b:
                    name = self._arg_names[i] if i < len(self._arg_names) else f"#{i}"
                    return f"argument {name!r} (position {i})"
            for (k, a), (k2, b) in zip(key[1], old[1]):
                if a != b or k != k2:
                    return f"keyword argument {k!r}"
            if key[2:4] != old[2:4]:
                return "the configuration (train/test mode, no_grad)"
            if key[4] != old[4]:
                return "the state a layer carries between calls (" + ", ".join(
                    f"{type(layer).__name__}.{attr}" for layer, attr in self._state) + ")"
            if key[5] != old[5]:
                return ("whether a parameter holds a gradient (the step adds to it, without cleargrads(): "
                        "call cleargrads() in the step, or always or never before it)")
        return "a parameter's shape or dtype"

    def trace_call(self, args: tuple, kwargs: dict) -> Compiled:
        """Trace ``fn`` on ``args``: the graph, passes run, ready to replay (nothing of the call happens)."""
        graph, structure, trace, results = _trace(self.fn, args, kwargs, self._arg_names, carry_state=True)
        from dezero_core.static.passes import run_passes

        graph = run_passes(graph, self.passes)
        params = [v.source for v in graph.params if isinstance(v.source, Parameter)]
        for layer, attr, _ in trace.state_slots:
            if all(layer is not known or attr != name for known, name in self._state):
                self._state.append((layer, attr))
        return Compiled(graph, structure, params, trace, results, trace.argument_outputs, trace.state_slots)

    def save(self, path: str) -> None:
        """Save the latest graph, its weights and, for a training step, its optimizers' state: a fresh
        process continues training from it (see :mod:`dezero_core.static.save`)."""
        from dezero_core.static.save import save_compiled

        save_compiled(self.graph, path)


def _trace(fn: Callable, args: tuple, kwargs: dict, arg_names: list[str], carry_state: bool = False
           ) -> tuple[Graph, Any, Trace, list]:
    """Run ``fn`` on symbols; the built graph, the output structure, the trace and the outputs' values.
    ``carry_state``: layer state the call leaves becomes outputs (:mod:`.layer_state`), else it is
    cleared.

    At a graph break, what running on the examples did to random generators, running statistics and
    layer state is undone (the call then runs eagerly)."""
    trace = Trace()
    layers = layers_of(fn, *args, *kwargs.values())
    state_before = layer_state.snapshot(layers)
    trace.state_ids = {id(v) for v in state_before.values() if v is not None}
    counter = iter(range(1 << 30))
    names = list(arg_names)
    inputs: list[Value] = []

    def to_symbol(a: Any, name: str) -> Any:
        if isinstance(a, Variable) or _is_array(a):
            data = a.data if isinstance(a, Variable) else a
            rg = isinstance(a, Variable) and a.requires_grad
            v = Value("input", name, tuple(data.shape), dtype_name(data.dtype), requires_grad=rg)
            v._example = data  # type: ignore[attr-defined]
            inputs.append(v)
            symbol = make_symbol(v, data)
            if rg:  # its grad is written after the call where the function differentiates it
                trace.arguments[v.id] = symbol
            return symbol
        if isinstance(a, (list, tuple)):
            return type(a)(to_symbol(e, f"{name}_{i}") for i, e in enumerate(a))
        return a

    sym_args = [to_symbol(a, names[i] if i < len(names) and names[i].isidentifier() else f"arg{next(counter)}")
                for i, a in enumerate(args)]
    sym_kwargs = {k: to_symbol(kwargs[k], k) for k in sorted(kwargs)}  # by name, as the guard key orders them
    token = CURRENT_TRACE.set(trace)
    _function.forward_hooks.append(trace.eager_call)
    trace.hold_grads(layers)
    try:
        result = fn(*sym_args, **sym_kwargs)
        trace.note_cleared_grads()
    except SymbolValueError as exc:
        trace.rewind()
        layer_state.restore(state_before, layers_of(fn, *args, *kwargs.values(), *trace.optimizers))
        raise GraphBreakError(f"{_name_of(fn)}: graph break at {exc.where}: {exc}", exc.where, str(exc)) from exc
    except Exception as exc:
        trace.rewind()
        layer_state.restore(state_before, layers_of(fn, *args, *kwargs.values(), *trace.optimizers))
        if "Placeholder" not in str(exc):
            raise
        # an array library got a symbol where it needs an array, without asking the symbol for a value
        where = location_in(exc.__traceback__)
        reason = (f"A function of the array library was called on a symbol ({type(exc).__name__}: {exc}); "
                  f"only dezero functions accept symbols.")
        raise GraphBreakError(f"{_name_of(fn)}: graph break at {where}: {reason}", where, reason) from exc
    finally:
        _function.forward_hooks.remove(trace.eager_call)
        CURRENT_TRACE.reset(token)
        trace.hide_grads()
        trace.release_grads()
    outputs: list[Value] = []
    structure = _flatten(result, outputs, trace.leaf_values)
    # the arguments' gradients are outputs after the function's own (the structure never reads them);
    # not in a training step (it updates an optimizer): there an argument is the batch, whose
    # gradient the step never reads (code in the step that reads x.grad reads its symbol)
    positions = {v.id: i for i, v in enumerate(inputs)}
    for vid, g in trace.argument_grads.items() if not trace.optimizers else ():
        trace.argument_outputs.append((positions[vid], len(outputs)))
        outputs.append(g)
    owners = (fn, *args, *kwargs.values(), *trace.optimizers)
    if carry_state:
        trace.state_slots = layer_state.carry(layers_of(*owners), state_before, trace.leaf_values, outputs)
    else:
        layer_state.clear(layers_of(*owners))
    results = [example_of(v) for v in outputs]
    graph = build_graph(outputs, trace.effects, inputs, layer_param_names(*owners))
    graph.output_structure = structure
    return graph, structure, trace, results


def _argument_variables(args: tuple, kwargs: dict) -> list[Any]:
    """The Variable behind each graph input of a call (None for a plain array), in the order
    :func:`_call_key` takes the inputs."""
    found: list[Any] = []

    def walk(x: Any) -> None:
        if isinstance(x, Variable) or _is_array(x):
            found.append(x if isinstance(x, Variable) else None)
        elif isinstance(x, (list, tuple)):
            for e in x:
                walk(e)

    for a in args:
        walk(a)
    for k in sorted(kwargs):
        walk(kwargs[k])
    return found


def _positional_names(fn: Any) -> list[str]:
    """The names of ``fn``'s positional parameters (a layer's ``forward``'s), for the graph's inputs."""
    from dezero_core.layers.layer import Layer

    target = fn.forward if isinstance(fn, Layer) else fn
    try:
        parameters = inspect.signature(target).parameters.values()
    except (TypeError, ValueError):
        return []
    return [p.name for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]


def _name_of(fn: Any) -> str:
    return getattr(fn, "__qualname__", None) or type(fn).__name__


def _flatten(result: Any, outputs: list[Value], computed: dict[int, Value]) -> Any:
    """The structure of ``fn``'s result, with symbols replaced by their position in ``outputs``, as
    are Variables the trace ``computed`` from parameters alone (id -> their value)."""
    if isinstance(result, Symbol):
        value = result.data.value
    else:
        value = computed.get(id(result)) if isinstance(result, Variable) else None
        value = value if value is not None and value.kind == "node" else None
    if value is not None:
        outputs.append(value)
        return ("out", len(outputs) - 1)
    if isinstance(result, (list, tuple)):
        return (type(result).__name__, [_flatten(r, outputs, computed) for r in result])
    if isinstance(result, dict):
        return ("dict", [(k, _flatten(v, outputs, computed)) for k, v in result.items()])
    if isinstance(result, Variable):
        from dezero_core.static.symbolic import user_location

        where = user_location()
        raise GraphBreakError(f"the traced function returns a Variable it did not compute in the graph "
                              f"({result!r:.60}): computed from values it read, or from outside; return only "
                              f"results of the traced computation", where,
                              "It returns a Variable computed outside the graph.")
    return ("const", result)


def _unflatten(structure: Any, outs: Any) -> Any:
    kind, body = structure
    if kind == "out":
        return _new_variable(next(outs), False)
    if kind in ("list", "tuple"):
        items = [_unflatten(s, outs) for s in body]
        return items if kind == "list" else tuple(items)
    if kind == "dict":
        return {k: _unflatten(s, outs) for k, s in body}
    return body


def _graph_backend(graph: Graph) -> Any:
    from dezero_core.backend.selection import get_backend

    for v in graph.params + graph.consts:
        data = example_of(v)
        if hasattr(data, "dtype"):
            return backend_of(data)
    return get_backend()


def trace(fn: Callable, *example_inputs: Any, passes: Any = (), **example_kwargs: Any) -> Graph:
    """The IR graph of ``fn`` (a model, layer or function) on ``example_inputs``, in inference mode
    (test mode, no gradients): each node's ``fn`` is the Function instance (its attributes), its
    ``op`` a stable name; parameters are ``graph.params`` named by their layer path (``l1/W``).
    ``passes`` (none by default) are run over it. Used by export (ONNX)."""
    from dezero_core.config import no_grad, test_mode
    from dezero_core.static.passes import run_passes

    names = _positional_names(fn)
    with test_mode(), no_grad():
        graph = _trace(fn, example_inputs, example_kwargs, names)[0]
    return run_passes(graph, passes)


def compile(fn: Any = None, *, passes: Any = None, fullgraph: bool = False) -> Any:
    """Compile ``fn`` (a Python function, layer or model) into a :class:`CompiledFunction`; or a
    symbol (or list of symbols) into a :class:`~dezero_core.static.symbolic_graph.SymbolicFunction`.

    Usable as ``@dz.compile`` and ``@dz.compile(fullgraph=True)``. ``passes``: names or callables
    (None: the default pipeline, ``()``: none).
    """
    if fn is None:
        return lambda f: compile(f, passes=passes, fullgraph=fullgraph)
    if isinstance(fn, Symbol) or (isinstance(fn, (list, tuple)) and fn and all(isinstance(s, Symbol) for s in fn)):
        from dezero_core.static.symbolic_graph import SymbolicFunction

        return SymbolicFunction(fn, passes)
    if not callable(fn):
        raise TypeError(f"dz.compile takes a function, a layer or model, or symbols; got {type(fn).__name__}")
    return CompiledFunction(fn, passes, fullgraph)


def _install() -> None:
    from dezero_core.graph import backprop
    from dezero_core.optimizers import optimizer

    optimizer.trace_update = _trace_update
    backprop.trace_backward = _trace_backward


_install()
