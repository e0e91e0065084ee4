"""The cupy backend on a real GPU: native kernels, transfers, and training end to end.

Every test here needs a usable CUDA device and is skipped elsewhere with "no CUDA device: <why>".
The per-function numerics (every registered function, forward and backward, float32 and float64)
are the conformance suite's: ``pytest --pyargs dezero_core.testing --dezero-backend=cupy``.
"""
from __future__ import annotations

import numpy as np
import pytest

from dezero_core import Variable, functions as F, get_backend
from dezero_core.backend import auto_backend

RNG = np.random.default_rng(0)
# (N, C, H, W), kernel, stride, padding: square and not, strided, padded, a kernel as big as the image
CONV_CASES = [((2, 3, 5, 5), (3, 3), (1, 1), (1, 1)), ((1, 2, 7, 6), (3, 2), (2, 3), (0, 1)),
              ((2, 1, 4, 4), (4, 4), (1, 1), (0, 0)), ((3, 4, 8, 8), (2, 2), (2, 2), (0, 0))]


def im2col_reference(x: np.ndarray, kh, kw, sy, sx, ph, pw, pad_value=0.0) -> np.ndarray:
    n, c, h, w = x.shape
    oh, ow = (h + 2 * ph - kh) // sy + 1, (w + 2 * pw - kw) // sx + 1
    padded = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=pad_value)
    col = np.empty((n, c, kh, kw, oh, ow), x.dtype)
    for i in range(kh):
        for j in range(kw):
            col[:, :, i, j] = padded[:, :, i:i + sy * oh:sy, j:j + sx * ow:sx]
    return col


def col2im_reference(col: np.ndarray, shape, kh, kw, sy, sx, ph, pw) -> np.ndarray:
    n, c, h, w = shape
    oh, ow = col.shape[4:]
    padded = np.zeros((n, c, h + 2 * ph, w + 2 * pw), col.dtype)
    for i in range(kh):
        for j in range(kw):
            padded[:, :, i:i + sy * oh:sy, j:j + sx * ow:sx] += col[:, :, i, j]
    return padded[:, :, ph:ph + h, pw:pw + w]


# -- native kernels ---------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape,k,s,p", CONV_CASES)
def test_im2col_kernel_matches_the_numpy_reference(gpu, dtype, shape, k, s, p) -> None:
    x = RNG.standard_normal(shape).astype(dtype)
    got = gpu.to_host(gpu.im2col(gpu.from_host(x), *k, *s, *p))
    np.testing.assert_array_equal(got, im2col_reference(x, *k, *s, *p))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape,k,s,p", CONV_CASES)
def test_col2im_kernel_matches_the_numpy_reference(gpu, dtype, shape, k, s, p) -> None:
    col_shape = im2col_reference(np.zeros(shape), *k, *s, *p).shape
    col = RNG.standard_normal(col_shape).astype(dtype)
    got = gpu.to_host(gpu.col2im(gpu.from_host(col), shape, *k, *s, *p))
    np.testing.assert_allclose(got, col2im_reference(col, shape, *k, *s, *p), rtol=1e-6 if dtype == "float32" else 1e-13)


@pytest.mark.parametrize("shape,k,s,p", CONV_CASES)
def test_col2im_is_the_adjoint_of_im2col(gpu, shape, k, s, p) -> None:
    x = gpu.from_host(RNG.standard_normal(shape))
    col = gpu.im2col(x, *k, *s, *p)
    c = gpu.from_host(RNG.standard_normal(col.shape))
    left = float(gpu.xp.sum(col * c))  # <im2col(x), c> == <x, col2im(c)>
    right = float(gpu.xp.sum(x * gpu.col2im(c, shape, *k, *s, *p)))
    assert left == pytest.approx(right, rel=1e-12)


def test_im2col_fills_the_padding_with_pad_value(gpu) -> None:
    x = RNG.standard_normal((2, 3, 5, 4)).astype(np.float32)
    got = gpu.to_host(gpu.im2col(gpu.from_host(x), 3, 3, 2, 2, 1, 1, pad_value=-np.inf))
    np.testing.assert_array_equal(got, im2col_reference(x, 3, 3, 2, 2, 1, 1, pad_value=-np.inf))


def test_im2col_runs_on_the_device_of_its_input(gpu) -> None:
    devices = gpu.devices()
    if len(devices) < 2:
        pytest.skip(f"one CUDA device here ({devices[0]}): running on another GPU needs two")
    x = RNG.standard_normal((1, 2, 4, 4)).astype(np.float32)
    col = gpu.im2col(gpu.from_host(x, device=devices[1]), 2, 2, 1, 1, 0, 0)
    assert gpu.device_of(col) == devices[1]
    np.testing.assert_array_equal(gpu.to_host(col), im2col_reference(x, 2, 2, 1, 1, 0, 0))


def test_im2col_accepts_a_non_contiguous_image(gpu) -> None:
    x = RNG.standard_normal((3, 2, 5, 5)).astype(np.float32)
    view = gpu.from_host(x).transpose(1, 0, 2, 3)  # (2, 3, 5, 5), not C-contiguous
    got = gpu.to_host(gpu.im2col(view, 3, 3, 1, 1, 1, 1))
    np.testing.assert_array_equal(got, im2col_reference(x.transpose(1, 0, 2, 3), 3, 3, 1, 1, 1, 1))


def test_im2col_refuses_a_kernel_larger_than_the_padded_image(gpu) -> None:
    with pytest.raises(ValueError, match="a 5x5 kernel .* does not fit a 3x3 image"):
        gpu.im2col(gpu.from_host(np.zeros((1, 1, 3, 3), np.float32)), 5, 5, 1, 1, 0, 0)


@pytest.mark.parametrize("shape,k,s,p", CONV_CASES)
def test_kernels_agree_with_the_numpy_backend(gpu, shape, k, s, p) -> None:
    numpy_backend = get_backend("numpy")
    x = RNG.standard_normal(shape).astype(np.float32)
    col = numpy_backend.im2col(x, *k, *s, *p)
    np.testing.assert_array_equal(gpu.to_host(gpu.im2col(gpu.from_host(x), *k, *s, *p)), col)
    np.testing.assert_allclose(gpu.to_host(gpu.col2im(gpu.from_host(col), shape, *k, *s, *p)),
                               numpy_backend.col2im(col, shape, *k, *s, *p), rtol=1e-6)


def test_erf_keeps_float32(gpu) -> None:
    x = gpu.from_host(np.linspace(-3, 3, 7, dtype=np.float32))
    assert gpu.to_host(gpu.erf(x)).dtype == np.float32



# -- optimizer kernels (the body is emulated on the CPU in test_adam_kernel_emulation.py) ------------
@pytest.mark.parametrize("dtype,eps", [("float16", 1e-3), ("float32", 1e-8), ("float64", 1e-8)])
def test_fused_adam_equals_numpys_bit_for_bit(gpu, dtype, eps) -> None:
    # compiled with --fmad=false, every operation rounds once as numpy's do (eps=1e-8 is 0 in float16)
    numpy_adam, gpu_adam = get_backend("numpy").optimizer_kernel("adam"), gpu.optimizer_kernel("adam")
    rng = np.random.default_rng(0)
    host = [rng.standard_normal((50, 30)).astype(dtype), np.zeros((50, 30), dtype), np.zeros((50, 30), dtype)]
    device = [gpu.from_host(a) for a in host]
    for step_size in (0.1, 0.05, 0.03):
        grad = rng.standard_normal((50, 30)).astype(dtype)
        numpy_adam(host[0], grad, host[1], host[2], 0.9, 0.999, step_size, eps)
        gpu_adam(device[0], gpu.from_host(grad), device[1], device[2], 0.9, 0.999, step_size, eps)
    for want, got in zip(host, device):
        np.testing.assert_array_equal(gpu.to_host(got), want)


def test_adam_on_the_gpu_uses_the_fused_kernel(gpu) -> None:
    from dezero_core.layers import Linear
    from dezero_core.optimizers import Adam, adam as adam_module
    from dezero_cupy import kernels

    model = Linear(3, in_size=4).to_gpu()
    optimizer = Adam().setup(model)
    for p in model.params():
        p.grad = gpu.xp.ones(p.shape, dtype=p.data.dtype)
    optimizer.update()
    assert adam_module._kernels[gpu.xp.ndarray] is kernels.adam

# -- random -----------------------------------------------------------------------------------
def test_float16_draws_come_back_as_float16(gpu) -> None:
    generator = gpu.random_generator(0)
    for a in (generator.uniform(-1.0, 1.0, (8,), gpu.xp.float16), generator.normal(0.0, 1.0, (8,), gpu.xp.float16)):
        assert a.dtype == gpu.xp.float16


def test_random_state_of_another_bit_generator_is_refused(gpu) -> None:
    generator = gpu.random_generator(0)
    state = dict(generator.get_state(), bit_generator="Philox4x3210")
    with pytest.raises(ValueError, match="'Philox4x3210' bit generator"):
        generator.set_state(state)


# -- namespace (its names are checked without a GPU in test_cupy_namespace.py) -----------------
def test_core_array_helpers_recognise_cupy_arrays(gpu) -> None:
    # dezero_core.data and the checkpoints find arrays by __array_namespace__ (array API standard)
    from dezero_core.data.arrays import is_array

    assert is_array(gpu.from_host(np.zeros(3, np.float32)))


def test_checkpoint_state_on_the_gpu_is_copied_to_the_host(gpu, tmp_path) -> None:
    from dezero_core import using_backend
    from dezero_core.training.checkpoint import load_checkpoint, save_checkpoint

    save_checkpoint(tmp_path / "c", {"m": gpu.from_host(np.arange(3.0, dtype=np.float32)), "t": 3})
    with using_backend("numpy"):
        host = load_checkpoint(tmp_path / "c")
    assert isinstance(host["m"], np.ndarray) and host["t"] == 3
    np.testing.assert_array_equal(host["m"], [0.0, 1.0, 2.0])


# -- selection and transfers ----------------------------------------------------------------------
def test_auto_selection_prefers_a_usable_gpu(gpu) -> None:
    assert auto_backend() is gpu


def test_variable_round_trip_through_the_gpu_keeps_values_and_dtype(gpu) -> None:
    host = RNG.standard_normal((3, 4)).astype(np.float32)
    x = Variable(host.copy()).to_gpu()
    assert x.backend is gpu and isinstance(x.data, gpu.xp.ndarray)
    x.to_cpu()
    assert x.backend.name == "numpy" and x.dtype == np.float32
    np.testing.assert_array_equal(x.data, host)


def test_gradient_moves_with_its_variable(gpu) -> None:
    x = Variable(np.array([1.0, 2.0], np.float32))
    F.sum(x * x).backward()
    x.to("cupy:0")
    assert x.grad.backend is gpu
    np.testing.assert_array_equal(gpu.to_host(x.grad.data), [2.0, 4.0])


def test_backward_on_the_gpu_matches_the_cpu(gpu) -> None:
    host = RNG.standard_normal((4, 3)).astype(np.float32)
    grads = []
    for target in ("numpy", "cupy"):
        x = Variable(host.copy()).to(target)
        F.sum(F.tanh(x) * F.exp(x)).backward()
        grads.append(x.grad.backend.to_host(x.grad.data))
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-5)


def test_to_device_moves_between_gpus(gpu) -> None:
    devices = gpu.devices()
    if len(devices) < 2:
        pytest.skip(f"one CUDA device here ({devices[0]}): moving between GPUs needs two")
    x = Variable(np.arange(3.0, dtype=np.float32)).to_gpu(1)
    assert x.device == devices[1]
    np.testing.assert_array_equal(gpu.to_host(x.data), [0.0, 1.0, 2.0])


# -- training -----------------------------------------------------------------------------------
def _mlp():
    from dezero_core.models import MLP

    return MLP((16, 3), activation=F.relu, in_size=5, dtype=np.float32)


def _step(model, x, t) -> None:
    from dezero_core.optimizers import Adam

    optimizer = Adam().setup(model)
    for _ in range(3):
        model.cleargrads()
        F.softmax_cross_entropy(model(x), t).backward()
        optimizer.update()


def test_training_steps_on_the_gpu_match_the_cpu(gpu) -> None:
    x, t = RNG.standard_normal((8, 5)).astype(np.float32), RNG.integers(0, 3, 8)
    cpu, on_gpu = _mlp(), _mlp()
    on_gpu.load_state_dict(cpu.state_dict())
    on_gpu.to_gpu()
    _step(cpu, x, t)
    _step(on_gpu, gpu.from_host(x), gpu.from_host(t))
    for (name, p), (_, q) in zip(cpu.named_params(), on_gpu.named_params()):
        assert q.backend is gpu and q.dtype == np.float32, name
        np.testing.assert_allclose(gpu.to_host(q.data), p.data, rtol=1e-4, atol=1e-6, err_msg=name)


def test_weights_saved_from_a_gpu_model_load_onto_a_gpu_model(gpu, tmp_path) -> None:
    trained = _mlp().to_gpu()
    trained.save_weights(tmp_path / "w.npz")
    fresh = _mlp().to_gpu()
    fresh.load_weights(tmp_path / "w.npz")
    for (name, p), (_, q) in zip(trained.named_params(), fresh.named_params()):
        assert q.backend is gpu, name
        np.testing.assert_array_equal(gpu.to_host(q.data), gpu.to_host(p.data))


def test_data_loader_delivers_batches_on_the_gpu(gpu) -> None:
    from dezero_core.data import DataLoader, Dataset

    loader = DataLoader(Dataset(np.ones((6, 5), np.float32), np.zeros(6, np.int64)), batch_size=4).to_gpu()
    x, t = next(loader)
    assert gpu.owns(x) and gpu.owns(t) and x.shape == (4, 5)


def test_trainer_trains_on_the_gpu(gpu) -> None:
    from dezero_core.data import DataLoader, Dataset
    from dezero_core.optimizers import Adam
    from dezero_core.training import Trainer

    x, t = RNG.standard_normal((32, 5)).astype(np.float32), RNG.integers(0, 3, 32)
    model = _mlp()
    trainer = Trainer(model, F.softmax_cross_entropy, Adam().setup(model),
                      DataLoader(Dataset(x, t), batch_size=8), backend="cupy")
    trainer.fit(2)
    assert all(p.backend is gpu for p in model.params())
    assert np.isfinite(trainer.history[-1]["train_loss"])
