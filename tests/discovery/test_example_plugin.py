"""The example plugin distribution (examples/plugin-example), installed: a function, a layer and
behaviour hooks, used by name with no change to the core."""
from __future__ import annotations

from pathlib import Path

import pytest

import dezero_core
from dezero_core import Variable, functions as F, using_config
from dezero_core.discovery import registry
from dezero_core.plugin_manager import get_plugin_manager

np = pytest.importorskip("numpy")
if "softsign" not in registry("dezero.functions"):
    pytest.skip("dezero-example-plugin is not installed: pip install -e examples/plugin-example",
                allow_module_level=True)

DIST = "dezero-example-plugin"


def test_the_plugins_entries_come_from_its_distribution() -> None:
    for group, name in (("dezero.functions", "softsign"), ("dezero.layers", "Scale"), ("dezero.plugins", "example")):
        entry = registry(group).entry(name)
        assert (entry.dist, entry.version) == (DIST, "0.1.0")


def test_the_core_never_mentions_the_plugin() -> None:
    core = Path(dezero_core.__file__).parent
    mentions = [str(p) for p in core.rglob("*.py") if "softsign" in p.read_text() or "dezero_example" in p.read_text()]
    assert not mentions


def test_softsign_is_a_function_of_dezero_core_functions_by_name() -> None:
    x = Variable(np.array([-3.0, 0.0, 1.0]))
    y = F.softsign(x)
    np.testing.assert_allclose(y.data, [-0.75, 0.0, 0.5])
    assert "softsign" in dir(F)


def test_softsign_backward_is_one_over_one_plus_abs_x_squared() -> None:
    x = Variable(np.array([-3.0, 1.0]))
    F.softsign(x).backward()
    np.testing.assert_allclose(x.grad.data, [1 / 16, 1 / 4])


def test_softsign_second_derivative_through_create_graph() -> None:
    x = Variable(np.array([-3.0, 1.0]))
    F.softsign(x).backward(create_graph=True)
    gx = x.grad
    x.cleargrad()
    gx.backward()
    np.testing.assert_allclose(x.grad.data, [2 / 64, -2 / 8])  # -2 sign(x) / (1 + |x|)**3


def test_softsign_keeps_float32() -> None:
    x = Variable(np.ones(3, dtype=np.float32))
    y = F.softsign(x)
    y.backward()
    assert y.dtype == np.float32 and x.grad.dtype == np.float32


def test_the_scale_layer_is_found_by_name_and_learns_its_parameter() -> None:
    pytest.importorskip("dezero_core.layers")
    scale = registry("dezero.layers").get("Scale")(init=2.0)
    x = np.array([1.0, 2.0, 3.0], dtype=np.float32)
    y = scale(x)
    F.sum(y).backward()
    np.testing.assert_allclose(y.data, [2.0, 4.0, 6.0])
    (name, gamma), = scale.named_params()
    assert name == "gamma" and gamma.dtype == np.float32 and float(gamma.grad.data) == 6.0


def test_the_plugins_hooks_run_through_the_plugin_manager(capsys) -> None:
    pm = get_plugin_manager()
    plugin = pm.get_plugin(f"{DIST}:example")
    only_example = pm.subset_hook_caller("dezero_epoch_end", [p for p in pm.get_plugins() if p is not plugin])
    with using_config("example_report", True):  # the flag its dezero_configure declared
        only_example(trainer=None, epoch=2, record={"loss": 0.125, "accuracy": 0.5})
    only_example(trainer=None, epoch=3, record={"loss": 0.1})  # flag off: silent
    assert capsys.readouterr().out == "[dezero-example-plugin] epoch 2: accuracy=0.5, loss=0.125\n"
