"""A replayed training step advances the optimizer exactly as eager ``update()`` does, through changes
made between steps: hooks, a reloaded state, new parameter arrays, gradients from outside the graph,
and the steps that flush denormals; and its updates in the backward pass (each parameter when its
gradient is final, the small ones as one flat group) keep the graph's reads and hold one gradient at
a time."""
from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

import dezero_core as dz
import dezero_core.functions as F
from dezero_core.models import MLP
from dezero_core.optimizers import SGD, Adam, AdamW, MomentumSGD
from dezero_core.optimizers.flat import SMALL_ELEMENTS
from dezero_core.optimizers.hooks import ClipGrad, WeightDecay

from static_helpers import assert_same_training, batches, train, training_step

DATA = batches(40, (8, 5), 3)


def _stepper(model, optimizer, compiled):
    step = training_step(model, optimizer)
    return dz.compile(step) if compiled else step


def test_forty_adam_steps_equal_eager_across_the_denormal_flushing_steps() -> None:
    make_model = lambda: MLP((10, 3))  # noqa: E731
    eager = train(make_model, lambda m: Adam().setup(m), DATA, compiled=False)
    compiled = train(make_model, lambda m: Adam().setup(m), DATA, compiled=True)
    assert compiled[2].t == 40
    assert_same_training(eager, compiled)


def _run_with_changes(compiled: bool) -> tuple:
    """Adam steps with a hook added, the state reloaded and a parameter's array replaced on the way."""
    dz.random.seed(0)
    model = MLP((10, 3))
    optimizer = Adam().setup(model)
    step = _stepper(model, optimizer, compiled)
    losses = []
    for i, (x, t) in enumerate(DATA[:24]):
        if i == 5:
            optimizer.add_hook(WeightDecay(1e-2))
        if i == 8:
            optimizer.hooks.clear()
        if i == 11:
            saved = optimizer.state_dict()
            optimizer.load_state_dict(saved)
            for slots in optimizer.state.values():
                slots["m"] *= 0.5
        if i == 14:
            layer = model.layers[0]
            layer.W.data = layer.W.data * 0.9  # a new array of the same shape and dtype
        if i == 18:
            optimizer.add_hook(ClipGrad(0.1))
        losses.append(float(step(x, t).data))
    return losses, model, optimizer


def test_hooks_reloaded_state_and_replaced_arrays_are_seen_as_in_eager_mode() -> None:
    assert_same_training(_run_with_changes(False), _run_with_changes(True))


def test_a_gradient_from_outside_the_graph_is_applied_as_in_eager_mode() -> None:
    """A parameter the step does not use, holding a gradient: eager update() applies it every step."""

    def run(compiled: bool) -> tuple:
        dz.random.seed(0)
        model = MLP((10, 3))
        model(DATA[0][0])
        extra = dz.Parameter(np.ones((2, 2), np.float32), name="extra")
        model.extra = extra
        optimizer = MomentumSGD(0.1).setup(model)

        def step(x, t):
            for layer in model.layers:
                layer.cleargrads()
            loss = F.softmax_cross_entropy(model(x), t)
            loss.backward()
            optimizer.update()
            return loss
        run_step = dz.compile(step) if compiled else step
        losses = []
        for i, (x, t) in enumerate(DATA[:6]):
            extra.grad = np.full((2, 2), 0.5, np.float32) if i % 2 else None
            losses.append(float(run_step(x, t).data))
        return losses, model, optimizer

    eager, compiled = run(False), run(True)
    assert_same_training(eager, compiled)
    assert not np.array_equal(compiled[1].extra.data, np.ones((2, 2), np.float32))


def test_a_read_only_array_put_in_after_preparing_is_refused_before_anything_changes() -> None:
    dz.random.seed(0)
    model = MLP((10, 3))
    optimizer = Adam().setup(model)
    step = _stepper(model, optimizer, compiled=True)
    for x, t in DATA[:3]:
        step(x, t)
    frozen = model.layers[1].W.data.copy()
    frozen.flags.writeable = False
    model.layers[1].W.data = frozen
    before = {name: p.data.copy() for name, p in model.named_params()}
    with np.testing.assert_raises_regex(ValueError, r"'l1/W' is read-only.*nothing was updated"):
        step(*DATA[3])
    assert optimizer.t == 3
    for name, p in model.named_params():
        np.testing.assert_array_equal(p.data, before[name], err_msg=name)


def _denormal_training(compiled: bool) -> tuple[tuple, list]:
    """(losses, model, optimizer) and the first moment of ``l0/W``'s row 0 after each step, of Adam
    steps where the first input column is 0, so ``l0/W``'s row 0 gets a gradient of exactly 0,
    and its first moment is set to a float32 just above the denormals before every step: a step that
    flushes denormals leaves it 0, any other leaves 0.9 of it, a denormal."""
    dz.random.seed(0)
    model = MLP((3,))
    optimizer = Adam().setup(model)
    step = _stepper(model, optimizer, compiled)
    losses, moments = [], []
    for x, t in DATA[:2 * optimizer.FLUSH_EVERY + 1]:  # the last step is a flushing one
        x = x.copy()
        x[:, 0] = 0
        if "l0/W" in optimizer.state:
            optimizer.state["l0/W"]["m"][0] = np.float32(1.2e-38)
        losses.append(float(step(x, t).data))
        moments.append(optimizer.state["l0/W"]["m"][0].copy())
    return (losses, model, optimizer), moments


def test_the_denormal_flushing_steps_are_the_eager_ones() -> None:
    """Replays flush on exactly the steps eager update() flushes on (whatever its rule is)."""
    (eager, eager_moments), (compiled, compiled_moments) = _denormal_training(False), _denormal_training(True)
    assert_same_training(eager, compiled)
    np.testing.assert_array_equal(np.array(eager_moments), np.array(compiled_moments))
    assert np.all(eager_moments[-1] == 0) and np.all(eager_moments[-2] != 0)  # the test sees a flush


# -- updates in the backward pass (the memory plan's update_in_backward) ---------------------------------
def test_each_gradient_is_handed_over_right_after_the_backward_that_makes_it() -> None:
    model = MLP((6, 4, 3))
    step = _stepper(model, Adam().setup(model), compiled=True)
    step(*DATA[0])
    nodes = step.graph.nodes
    kinds = [n.op for n in nodes]
    backwards = [i for i, n in enumerate(nodes) if n.kind == "backward" and len(n.outputs) > 1]
    for i in backwards:  # a layer's backward, then its parameters' set_grad nodes, before the next backward
        grads = {v.id for v in nodes[i].outputs}
        handed = [n for n in nodes[i + 1:] if n.kind == "set_grad" and n.inputs[0].id in grads]
        assert handed and all(kinds[nodes.index(n) - 1] in ("set_grad", nodes[i].op) for n in handed)
        assert all(n.attrs["update_in_backward"] and n.inputs[0] in n.free_after for n in handed)
    update = nodes[-1]
    assert update.kind == "update" and update.inputs == [] and update.attrs["update_in_backward"]


def test_a_replayed_step_drops_the_gradients_unless_the_optimizer_keeps_them() -> None:
    model = MLP((6, 3))
    optimizer = Adam().setup(model)
    step = _stepper(model, optimizer, compiled=True)
    step(*DATA[0])
    step(*DATA[1])
    assert all(p.grad is None for p in model.params())
    optimizer.update_in_backward = False  # read at every step, not only when compiling
    step(*DATA[2])
    assert all(p.grad is not None for p in model.params())


def test_a_parameter_read_after_backward_is_updated_after_that_read() -> None:
    """A product with ``W`` after ``loss.backward()`` sees the weights before the update, as in eager mode."""

    def run(compiled: bool) -> tuple:
        dz.random.seed(0)
        model = MLP((6, 3))
        optimizer = MomentumSGD(0.1).setup(model)

        def step(x, t):
            model.cleargrads()
            loss = F.softmax_cross_entropy(model(x), t)
            loss.backward()
            norm = F.sum(F.matmul(x, model.layers[0].W))
            optimizer.update()
            return loss, norm

        run_step = dz.compile(step) if compiled else step
        norms = [float(run_step(x, t)[1].data) for x, t in DATA[:4]]
        return norms, model, optimizer

    eager, compiled = run(False), run(True)
    assert eager[0] == compiled[0]
    assert_same_training(([0.0], *eager[1:]), ([0.0], *compiled[1:]))


def test_gradients_accumulated_over_steps_are_kept_for_the_next_step() -> None:
    """Without ``cleargrads()`` each step adds to the gradient the last one left (here, from the first
    step on: the graph is traced on parameters that hold gradients): no update in backward."""

    def run(compiled: bool) -> tuple:
        dz.random.seed(0)
        model = MLP((6, 3))
        optimizer = Adam().setup(model)
        F.softmax_cross_entropy(model(DATA[0][0]), DATA[0][1]).backward()

        def step(x, t):
            loss = F.softmax_cross_entropy(model(x), t)
            loss.backward()
            optimizer.update()
            return loss

        run_step = dz.compile(step) if compiled else step
        losses = [float(run_step(x, t).data) for x, t in DATA[:4]]
        return (losses, model, optimizer), run_step

    (eager, _), (compiled, step) = run(False), run(True)
    assert_same_training(eager, compiled)
    assert not any(n.attrs.get("update_in_backward") for n in step.graph.nodes)


def test_a_replayed_step_never_holds_every_weight_gradient_at_once() -> None:
    """Three 500x500 weights (1 MB of gradient each) and tiny activations: an eager step holds all three
    gradients before updating; a replay holds one gradient and the optimizer's scratch at a time."""
    rng = np.random.default_rng(0)
    x, t = rng.standard_normal((2, 500)).astype(np.float32), rng.integers(0, 500, 2)
    peaks = {}
    for compiled in (False, True):
        dz.random.seed(0)
        model = MLP((500, 500, 500))
        step = _stepper(model, Adam().setup(model), compiled)
        for _ in range(3):  # trace, then replays: lazy parameters, optimizer state and buffers made
            step(x, t)
        tracemalloc.start()
        try:
            step(x, t)
            peaks[compiled] = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    gradient = 500 * 500 * 4
    assert peaks[False] > 3 * gradient
    assert peaks[True] < 2.5 * gradient


def test_parameters_of_a_branch_not_taken_are_not_updated_as_in_eager_mode() -> None:
    """Through ``dz.cond``, the second layer gets no gradient when the branch without it runs: its
    weights and Adam moments stay, the first layer's move (updated with it as one small group)."""

    def run(compiled: bool) -> tuple:
        dz.random.seed(0)
        model = MLP((4, 3))
        optimizer = Adam().setup(model)
        first, second = model.layers

        def step(x, t):
            model.cleargrads()
            h = F.relu(first(x))
            y = dz.cond(F.sum(x) > 0, lambda a: second(a), lambda a: a[:, :3] * 2.0, h)
            loss = F.softmax_cross_entropy(y, t)
            loss.backward()
            optimizer.update()
            return loss

        run_step = dz.compile(step) if compiled else step
        second(np.zeros((1, 4), np.float32))  # its parameters exist before the first step
        losses, moments = [], []
        for i, (x, t) in enumerate(DATA[:8]):
            x = -np.abs(x) if i % 3 == 1 else np.abs(x)  # the first (traced) step takes the second layer
            losses.append(float(run_step(x, t).data))
            moments.append(optimizer.state.get("l1/W", {}).get("m", np.zeros(1)).copy())
        return (losses, model, optimizer), moments

    (eager, eager_moments), (compiled, compiled_moments) = run(False), run(True)
    assert_same_training(eager, compiled)
    for a, b in zip(eager_moments, compiled_moments):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(compiled_moments[1], compiled_moments[0])  # step 1 took the other branch
    assert not np.array_equal(compiled_moments[2], compiled_moments[1])


@pytest.mark.parametrize("make_optimizer", [
    lambda m: SGD(0.1).setup(m), lambda m: MomentumSGD(0.05).setup(m), lambda m: Adam().setup(m),
    lambda m: AdamW().setup(m),
], ids=["SGD", "MomentumSGD", "Adam", "AdamW"])
def test_a_large_weight_alone_and_the_small_ones_together_equal_eager_over_twenty_steps(make_optimizer) -> None:
    """l0/W has more than SMALL_ELEMENTS elements (updated alone), the others are updated as a flat
    group; 20 steps pass a denormal-flushing one (the 17th)."""
    make_model = lambda: MLP((200, 3))  # noqa: E731
    data = batches(20, (4, SMALL_ELEMENTS // 200 + 1), 3)
    eager = train(make_model, make_optimizer, data, compiled=False)
    compiled = train(make_model, make_optimizer, data, compiled=True)
    assert compiled[1].layers[0].W.data.size > SMALL_ELEMENTS and compiled[2].t == 20
    assert_same_training(eager, compiled)


def test_a_saved_and_loaded_step_updates_in_backward_and_continues_alike(tmp_path) -> None:
    dz.random.seed(0)
    model = MLP((200, 3))
    optimizer = Adam().setup(model)
    step = _stepper(model, optimizer, compiled=True)
    data = batches(8, (4, SMALL_ELEMENTS // 200 + 1), 3)
    for x, t in data[:3]:
        step(x, t)
    step.save(tmp_path / "step.dzg")
    loaded = dz.load_compiled(tmp_path / "step.dzg")
    marked = [n for n in loaded.graph.nodes if n.attrs.get("update_in_backward")]
    assert [n.kind for n in marked] == ["set_grad"] * 4 + ["update"]
    for x, t in data[3:]:
        np.testing.assert_array_equal(loaded(x, t).data, step(x, t).data)
    (loaded_optimizer,) = loaded.optimizers
    assert loaded_optimizer.t == optimizer.t == 8
    assert all(p.grad is None for p in loaded.parameters.values())  # updated in backward
    for name, p in model.named_params():
        np.testing.assert_array_equal(loaded.parameters[name].data, p.data, err_msg=name)
        for key, value in optimizer.state[name].items():
            np.testing.assert_array_equal(loaded_optimizer.state[name][key], value, err_msg=f"{name}.{key}")
