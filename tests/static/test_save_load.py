"""Saving a compiled graph and loading it in a fresh process that never defined it."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

import dezero_core as dz
import dezero_core.functions as F
from dezero_core.layers import BatchNorm, Linear, Sequential
from dezero_core.static.save import GraphFileError
from static_helpers import batches, training_step

FRESH = """
import json, sys
import numpy as np
import dezero_core as dz
f = dz.load_compiled(sys.argv[1])
x = np.load(sys.argv[2])
out = f(x)
print(json.dumps({"out": np.asarray(out.data).tolist(), "inputs": f.input_names,
                  "modules": sorted(m for m in sys.modules if m.startswith("tests") or m == "__mp_main__")}))
"""


def _run_fresh(tmp_path, path, x):
    np.save(tmp_path / "x.npy", x)
    script = tmp_path / "load.py"
    script.write_text(FRESH)
    done = subprocess.run([sys.executable, str(script), str(path), str(tmp_path / "x.npy")],
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_traced_model_runs_in_a_fresh_process(tmp_path) -> None:
    dz.random.seed(0)
    model = Sequential(Linear(8), BatchNorm(), F.relu, Linear(3))
    x = np.random.default_rng(0).standard_normal((4, 5)).astype(np.float32)
    model(x)  # train mode once: running averages move away from their initial values
    with dz.test_mode():
        f = dz.compile(lambda x: F.softmax(model(x)))
        expected = f(x).data
        f.save(tmp_path / "model.dzg")
        eager = F.softmax(model(x)).data
    np.testing.assert_array_equal(expected, eager)
    result = _run_fresh(tmp_path, tmp_path / "model.dzg", x)
    np.testing.assert_array_equal(np.array(result["out"], np.float32), eager)
    assert result["inputs"] == ["x"] and result["modules"] == []


def test_a_symbolic_graph_with_its_gradient_round_trips(tmp_path) -> None:
    x = dz.symbol("x", (3,), "float64")
    y = F.sum(F.tanh(x) * dz.constant(np.array([1.0, 2.0, 3.0])))
    f = dz.compile([y, dz.grad(y, x)])
    f.save(tmp_path / "g.dzg")
    g = dz.load_compiled(tmp_path / "g.dzg")
    xv = np.array([0.1, 0.2, -0.3])
    for a, b in zip(f(x=xv), g(x=xv)):
        np.testing.assert_array_equal(a.data, b.data)
    assert str(g.graph) == str(f.graph)


def test_a_missing_function_class_is_named(tmp_path) -> None:
    x = dz.symbol("x", (2,), "float64")
    f = dz.compile(F.exp(x))
    f.save(tmp_path / "g.dzg")
    from dezero_core.fileformats import safetensors
    from dezero_core.serialization import read_bytes, save_arrays

    metadata, _ = safetensors.read(read_bytes(str(tmp_path / "g.dzg")))
    metadata["graph"] = metadata["graph"].replace("dezero_core.functions.elementwise:Exp", "dezero_gone.functions:Exp")
    save_arrays(tmp_path / "bad.dzg", {}, metadata)
    with pytest.raises(GraphFileError, match="needs dezero_gone.functions:Exp.*Install the distribution"):
        dz.load_compiled(tmp_path / "bad.dzg")


def test_a_graph_saved_before_the_functions_were_regrouped_still_loads(tmp_path) -> None:
    x = dz.symbol("x", (2, 3), "float64")
    parts = F.split(F.sqrt(F.maximum(x, 0.5)), [1], axis=0)
    rows = F.get_item(F.concat([parts[1], parts[0]], axis=0), np.array([1, 1, 0]))  # an index array
    y = F.sum(rows) + F.mean(x) + F.max(x)
    f = dz.compile([y, dz.grad(y, x)])
    f.save(tmp_path / "g.dzg")
    from dezero_core.fileformats import safetensors
    from dezero_core.serialization import load_arrays, read_bytes, save_arrays

    metadata, _ = safetensors.read(read_bytes(str(tmp_path / "g.dzg")))
    graph = metadata["graph"]
    for old, new, name in (("math", "elementwise", "Sqrt"), ("math", "elementwise", "Maximum"),
                           ("reduction", "reductions", "Sum"), ("statistics", "reductions", "Mean"),
                           ("statistics", "reductions", "Max"), ("shape", "indexing", "GetItem"),
                           ("shape_ops", "joining", "Split"), ("shape_ops", "joining", "Concat")):
        current = f"dezero_core.functions.{new}:{name}"
        assert current in graph, current  # the graph names each class where it lives now
        graph = graph.replace(current, f"dezero_core.functions.{old}:{name}")
    metadata["graph"] = graph
    save_arrays(tmp_path / "old.dzg", load_arrays(tmp_path / "g.dzg"), metadata)
    g = dz.load_compiled(tmp_path / "old.dzg")
    xv = np.array([[0.1, 0.9, 2.0], [1.5, -0.3, 0.7]])
    for a, b in zip(f(x=xv), g(x=xv)):
        np.testing.assert_array_equal(a.data, b.data)


def test_a_weights_file_is_not_a_graph(tmp_path) -> None:
    layer = Linear(2, in_size=2)
    layer.save_weights(tmp_path / "w.safetensors")
    with pytest.raises(GraphFileError, match="is not a saved compiled graph"):
        dz.load_compiled(tmp_path / "w.safetensors")


TRAIN_FRESH = """
import sys
import numpy as np
import dezero_core as dz
step = dz.load_compiled(sys.argv[1])
dz.random.set_state(step.random_state)  # draw (dropout) what the saving process would have drawn next
data = np.load(sys.argv[2])
losses = [float(step(data[f"x{i}"], data[f"t{i}"]).data) for i in range(int(data["n"]))]
out = {f"param:{k}": v.data for k, v in step.parameters.items()}
(opt,) = step.optimizers
out.update({f"state:{n}.{k}": a for n, slots in opt.state.items() for k, a in slots.items()})
np.savez(sys.argv[3], losses=np.array(losses), t=opt.t, **out)
"""


def _continue_in_fresh_process(tmp_path, path, data) -> dict:
    """Load the training step saved at ``path`` in a new interpreter and run it on ``data``: its losses,
    parameters (``param:name``), optimizer state (``state:name.slot``) and step count ``t``."""
    feeds = {"n": len(data)}
    for i, (x, t) in enumerate(data):
        feeds[f"x{i}"], feeds[f"t{i}"] = x, t
    np.savez(tmp_path / "data.npz", **feeds)
    script = tmp_path / "train.py"
    script.write_text(TRAIN_FRESH)
    subprocess.run([sys.executable, str(script), str(path), str(tmp_path / "data.npz"), str(tmp_path / "out.npz")],
                   capture_output=True, text=True, check=True)
    return dict(np.load(tmp_path / "out.npz"))


def _training_step(model, optimizer, clear: bool = True):
    return dz.compile(training_step(model, optimizer, clear=clear))


def _save_after(tmp_path, step, data, steps: int) -> dict:
    """Run the compiled ``step`` on the first ``steps`` batches of ``data``, save it, and continue from the
    file in a fresh process on the rest (see :func:`_continue_in_fresh_process`)."""
    for x, t in data[:steps]:
        step(x, t)
    step.save(tmp_path / "step.dzg")
    return _continue_in_fresh_process(tmp_path, tmp_path / "step.dzg", data[steps:])


def _assert_continues_alike(step, model, optimizer, result: dict, data) -> None:
    """The original compiled ``step`` run on ``data`` gives exactly what the fresh process gave."""
    losses = [float(step(x, t).data) for x, t in data]
    np.testing.assert_array_equal(result["losses"], losses)
    assert int(result["t"]) == optimizer.t
    for name, p in model.named_params():
        np.testing.assert_array_equal(result[f"param:{name}"], p.data, err_msg=name)
    for name, slots in optimizer.state.items():
        for key, a in slots.items():
            np.testing.assert_array_equal(result[f"state:{name}.{key}"], a, err_msg=f"{name}.{key}")


@pytest.mark.parametrize("hooks", [True, False], ids=["hooks", "update-in-backward"])
def test_a_saved_training_step_continues_training_in_a_fresh_process(tmp_path, hooks) -> None:
    # without hooks, the replay updates each parameter as soon as its gradient is final
    dz.random.seed(0)
    model = Sequential(Linear(16), F.relu, Linear(4))
    optimizer = dz.optimizers.Adam(lr=0.01).setup(model)
    if hooks:
        optimizer.add_hook(dz.optimizers.WeightDecay(1e-3))
        optimizer.add_hook(dz.optimizers.ClipGrad(0.5))
    step = _training_step(model, optimizer)
    data = batches(8, (5, 6), 4)
    result = _save_after(tmp_path, step, data, 3)
    assert int(result["t"]) == 8 and len(result["losses"]) == 5
    _assert_continues_alike(step, model, optimizer, result, data[3:])


def test_a_saved_step_that_accumulates_gradients_keeps_them(tmp_path) -> None:
    # no cleargrads(): each step adds to the gradient the parameters hold, so the file saves it; one
    # parameter frozen by a hook that holds it
    dz.random.seed(1)
    model = Sequential(Linear(8), BatchNorm(), F.tanh, Linear(3))
    optimizer = dz.optimizers.MomentumSGD(lr=0.05).setup(model)
    optimizer.add_hook(dz.optimizers.FreezeParam(next(model.params())))
    step = _training_step(model, optimizer, clear=False)
    data = batches(6, (4, 5), 3, seed=1)
    F.softmax_cross_entropy(model(data[0][0]), data[0][1]).backward()  # the trace finds gradients to add to
    result = _save_after(tmp_path, step, data, 2)
    _assert_continues_alike(step, model, optimizer, result, data[2:])


def test_a_saved_step_with_dropout_continues_with_the_random_state_it_was_saved_with(tmp_path) -> None:
    from dezero_core.layers import Dropout

    dz.random.seed(2)
    model = Sequential(Linear(16), F.relu, Dropout(0.5), Linear(3))
    optimizer = dz.optimizers.Adam(lr=0.01).setup(model)
    step = _training_step(model, optimizer)
    data = batches(6, (4, 5), 3, seed=2)
    result = _save_after(tmp_path, step, data, 2)
    _assert_continues_alike(step, model, optimizer, result, data[2:])


def test_a_loaded_step_names_its_parameters_and_optimizer(tmp_path) -> None:
    model = Linear(2, in_size=3)
    optimizer = dz.optimizers.SGD(lr=0.5).setup(model)
    step = _training_step(model, optimizer)
    x, t = np.ones((2, 3), np.float32), np.array([0, 1])
    step(x, t)
    step.save(tmp_path / "step.dzg")
    loaded = dz.load_compiled(tmp_path / "step.dzg")
    assert sorted(loaded.parameters) == ["W", "b"]
    (opt,) = loaded.optimizers
    assert type(opt) is dz.optimizers.SGD and opt.lr == 0.5 and opt.t == 1
    before = loaded.parameters["W"].data.copy()
    loaded(x, t)
    step(x, t)
    assert not np.array_equal(loaded.parameters["W"].data, before)
    np.testing.assert_array_equal(loaded.parameters["W"].data, model.W.data)


def test_a_hook_that_is_code_is_refused_by_name(tmp_path) -> None:
    model = Linear(2, in_size=3)
    optimizer = dz.optimizers.SGD().setup(model)

    def halve(params):
        for p in params:
            p.grad = p.grad.data / 2
    optimizer.add_hook(halve)
    step = _training_step(model, optimizer)
    step(np.ones((1, 3), np.float32), np.array([1]))
    with pytest.raises(TypeError, match=r"cannot save opt0\.SGD\.hooks\.0: '.*halve' is code, not data.*WeightDecay"):
        step.save(tmp_path / "step.dzg")
    assert not (tmp_path / "step.dzg").exists()


def test_a_forged_optimizer_class_must_be_an_optimizer(tmp_path) -> None:
    model = Linear(2, in_size=3)
    step = _training_step(model, dz.optimizers.SGD().setup(model))
    step(np.ones((1, 3), np.float32), np.array([1]))
    path = _forge(tmp_path, step, "dezero_core.optimizers.sgd:SGD", "dezero_core.layers.linear:Linear")
    with pytest.raises(GraphFileError, match="'dezero_core.layers.linear:Linear', which is not an Optimizer class"):
        dz.load_compiled(path)


def _forge(tmp_path, f, old: str, new: str) -> str:
    """The file ``f`` saves, with ``old`` replaced by ``new`` in its graph description."""
    from dezero_core.fileformats import safetensors
    from dezero_core.serialization import load_arrays, read_bytes, save_arrays

    f.save(tmp_path / "g.dzg")
    metadata, _ = safetensors.read(read_bytes(str(tmp_path / "g.dzg")))
    assert old in metadata["graph"]
    metadata["graph"] = metadata["graph"].replace(old, new)
    save_arrays(tmp_path / "forged.dzg", load_arrays(tmp_path / "g.dzg"), metadata)
    return str(tmp_path / "forged.dzg")


def test_a_forged_graph_cannot_make_the_loader_import_another_module(tmp_path) -> None:
    import sys

    x = dz.symbol("x", (2,), "float64")
    path = _forge(tmp_path, dz.compile(F.sin(x)), "dezero_core.functions.elementwise:Sin", "antigravity:geohash")
    with pytest.raises(GraphFileError, match="needs antigravity:geohash, but antigravity is neither dezero_core nor an installed package that registers"):
        dz.load_compiled(path)
    assert "antigravity" not in sys.modules  # (importing it would open a web browser)


def test_a_forged_graph_naming_a_class_that_is_not_a_function_is_refused(tmp_path) -> None:
    x = dz.symbol("x", (2,), "float64")
    path = _forge(tmp_path, dz.compile(F.sin(x)), "dezero_core.functions.elementwise:Sin",
                  "dezero_core.graph.variable:Variable")
    with pytest.raises(GraphFileError, match="'dezero_core.graph.variable:Variable', which is not a Function class"):
        dz.load_compiled(path)


def test_basic_indexing_saves_and_loads(tmp_path) -> None:
    x = dz.symbol("x", (3, 2), "float64")
    f = dz.compile(x[1] * 2 + x[0:2].sum())
    f.save(tmp_path / "g.dzg")
    g = dz.load_compiled(tmp_path / "g.dzg")
    xv = np.arange(6.0).reshape(3, 2)
    np.testing.assert_array_equal(g(x=xv).data, xv[1] * 2 + xv[0:2].sum())
    np.testing.assert_array_equal(g(x=xv).data, f(x=xv).data)


def test_a_file_of_format_version_1_still_loads(tmp_path) -> None:
    # version 1 stored each parameter's array in its leaf and named functions by index
    from dezero_core.fileformats import safetensors
    from dezero_core.serialization import load_arrays, read_bytes, save_arrays

    model = Linear(2, in_size=3)
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    f = dz.compile(lambda x: F.tanh(model(x)))
    expected = f(x).data
    f.save(tmp_path / "g.dzg")
    metadata, _ = safetensors.read(read_bytes(str(tmp_path / "g.dzg")))
    description = json.loads(metadata["graph"])
    variables = description.pop("variables")
    del description["optimizers"]
    for leaf in description["leaves"]:
        if leaf["kind"] == "param":
            leaf["value"] = variables[leaf["value"]["variable"]]["data"]
    for node in description["nodes"]:
        node["fn"] = node["fn"]["function"]
    description["version"] = "1"
    metadata["graph"] = json.dumps(description)
    save_arrays(tmp_path / "v1.dzg", load_arrays(tmp_path / "g.dzg"), metadata)
    loaded = dz.load_compiled(tmp_path / "v1.dzg")
    np.testing.assert_array_equal(loaded(x).data, expected)
    assert sorted(loaded.parameters) == ["W", "b"]
