"""Every function with a PyTorch equivalent against PyTorch: forward and every input gradient, in
float64 (to 1e-10) and float32 (to 1e-5), on random inputs.

PyTorch is an independent oracle: another team's kernels, another autograd. Each case gives our call
and PyTorch's on the same arrays; the gradient compared is that of ``sum(y * gy)`` for a random
``gy`` (so every output element counts with its own weight). Where our convention differs from
PyTorch's on purpose, the case passes PyTorch the arguments that make the two agree, and
:data:`CONVENTIONS` says why; nothing is skipped. Optimizers: tests/numerics/test_optimizers_against_pytorch.py.
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import pytest

from dezero_core import Variable, functions as F, test_mode

torch = pytest.importorskip("torch")
TF = torch.nn.functional

#: where our function differs from PyTorch's by design, and how the comparison bridges it
CONVENTIONS = {
    "linear": "W is (in, out), the book's layout; PyTorch's weight is (out, in): compared with W.T",
    "pooling": "stride defaults to 1 (the book's); PyTorch's to the kernel size: compared with an explicit "
               "stride. cover_all=False is PyTorch's ceil_mode=False",
    "average_pooling": "stride defaults to 1 (the book's); padding counts in the mean, as "
                       "count_include_pad=True (PyTorch's default too)",
    "softmax": "axis defaults to 1 (the class axis of a batch); PyTorch has no default dim",
    "softmax_cross_entropy": "ignores nothing unless ignore_index is given; PyTorch ignores -100 by "
                             "default: compared with the same explicit ignore_index",
    "var": "correction defaults to 0 (the array API's); PyTorch's to 1: compared with explicit corrections",
    "std": "as var",
    "batch_norm": "decay is the weight of the old running average (Chainer's, the book's): PyTorch's "
                  "momentum = 1 - decay; eps defaults to 2e-5 (Chainer's), PyTorch's to 1e-5",
    "split": "numpy's split (sections or cut indices) is torch.tensor_split, not torch.split",
    "im2col": "one row per window, (N*OH*OW, C*KH*KW); torch.nn.functional.unfold gives "
              "(N, C*KH*KW, OH*OW): compared after a transpose",
    "col2im": "takes im2col's layout; compared with torch.nn.functional.fold of the transposed columns",
    "deconv2d": "outsize (the output's size) where PyTorch takes output_padding = outsize - default size",
    "pad": "numpy's pad_width, one (before, after) per axis from the first; PyTorch lists pairs from the last",
    "one_hot": "float32 by default (what a float32 model consumes); PyTorch gives int64: compared as values",
    "max": "the gradient of a reduction over several equal maxima goes to the first (as argmax); PyTorch "
           "splits it evenly for a full reduction: compared on inputs without ties",
    "softplus": "computed as log1p(exp(-|bx|)) + max(bx, 0) everywhere; PyTorch returns x itself above "
                "beta*x > 20 (threshold): the two differ by less than exp(-20) relative there",
    "dropout": "not compared: the masks come from different random streams (the scaling 1/(1-p) is "
               "PyTorch's too; tests/functions/test_dropout.py checks the statistics)",
}

#: (forward rtol, gradient rtol) per dtype; absolute tolerances are these times the largest value
TOLERANCES = {"float64": 1e-10, "float32": 1e-5}


@dataclass
class Case:
    """``ours(*inputs)`` against ``theirs(*tensors)``; ``inputs(rng)`` draws float64 host arrays.

    Floating inputs are differentiated (they become Variables and tensors that require grad) unless
    listed in ``constant``; integer inputs (labels, ids) are passed as they are.
    """

    name: str
    ours: Callable[..., Any]
    theirs: Callable[..., Any]
    inputs: Callable[[np.random.Generator], list[np.ndarray]]
    constant: tuple[int, ...] = ()
    grad: bool = True
    id: str = field(default="")


def u(*shape: int, lo: float = -2.0, hi: float = 2.0, away: float | None = None):
    """A drawer of uniform values in [lo, hi), kept 0.05 from ``away`` (kinks)."""
    def draw(rng: np.random.Generator) -> np.ndarray:
        x = rng.uniform(lo, hi, shape)
        if away is not None:
            x = np.where(np.abs(x - away) < 0.05, away + 0.05 * np.sign(x - away + 1e-300), x)
        return x
    return draw


def labels(*shape: int, classes: int, low: int = 0):
    return lambda rng: rng.integers(low, classes, shape)


def distinct(*shape: int):
    """Values without ties (a permutation, spread and shuffled), for max/min and max pooling."""
    def draw(rng: np.random.Generator) -> np.ndarray:
        n = int(np.prod(shape))
        return (rng.permutation(n) / n * 4.0 - 2.0 + rng.uniform(0, 0.1 / n, n)).reshape(shape)
    return draw


def case(name: str, ours, theirs, *drawers, constant=(), grad=True, id=""):
    return Case(name, ours, theirs, lambda rng: [d(rng) for d in drawers], tuple(constant), grad, id)


def _random_geometry_cases(seed: int) -> list[Case]:
    """conv2d, deconv2d and both poolings on one random geometry (kernel, stride, pad per axis, image
    size): the index arithmetic is where an implementation would part from PyTorch's."""
    rng = np.random.default_rng(seed)
    k, s = tuple(int(v) for v in rng.integers(1, 5, 2)), tuple(int(v) for v in rng.integers(1, 4, 2))
    p = tuple(int(rng.integers(0, kk // 2 + 1)) for kk in k)  # PyTorch's pooling wants pad <= kernel / 2
    h, w = (int(kk + rng.integers(0, 6)) for kk in k)
    c_in, c_out = (int(v) for v in rng.integers(1, 4, 2))
    image, where = u(2, c_in, h, w), f"k{k} s{s} p{p} {h}x{w}"
    return [
        case("conv2d", lambda x, W, b: F.conv2d(x, W, b, s, p), lambda x, W, b: TF.conv2d(x, W, b, s, p),
             image, u(c_out, c_in, *k), u(c_out), id=where),
        case("deconv2d", lambda x, W, b: F.deconv2d(x, W, b, s, p), lambda x, W, b: TF.conv_transpose2d(x, W, b, s, p),
             u(2, c_in, h, w), u(c_in, c_out, *k), u(c_out), id=where),
        case("pooling", lambda x: F.pooling(x, k, s, p), lambda x: TF.max_pool2d(x, k, s, p),
             distinct(2, c_in, h, w), id=where),
        case("average_pooling", lambda x: F.average_pooling(x, k, s, p), lambda x: TF.avg_pool2d(x, k, s, p),
             image, id=where),
    ]


X = u(3, 4)
POS = u(3, 4, lo=0.3, hi=2.0)
IMG = u(2, 3, 7, 6)

CASES = [
    # arithmetic
    case("add", F.add, torch.add, X, u(4)),
    case("sub", F.sub, torch.sub, u(2, 1, 4), u(3, 4)),
    case("mul", F.mul, torch.mul, X, u(3, 1)),
    case("div", F.div, torch.div, X, u(4, lo=0.5, hi=2.0)),
    case("neg", F.neg, torch.neg, X),
    case("power", F.power, torch.pow, POS, X),
    case("pow", lambda x: F.pow(x, 3), lambda x: x ** 3, X, id="cube"),
    case("pow", lambda x: F.pow(x, -1.5), lambda x: x ** -1.5, POS, id="negative"),
    case("pow", lambda x: F.pow(x, 0), lambda x: x ** 0, u(4, lo=0.0, hi=0.0), id="zero at zero"),
    case("add_scalar", lambda x: F.add_scalar(x, 2.5), lambda x: x + 2.5, X),
    case("mul_scalar", lambda x: F.mul_scalar(x, -3.0), lambda x: x * -3.0, X),
    case("div_scalar", lambda x: F.div_scalar(x, 4.0), lambda x: x / 4.0, X),
    case("rsub_scalar", lambda x: F.rsub_scalar(x, 1.5), lambda x: 1.5 - x, X),
    case("rdiv_scalar", lambda x: F.rdiv_scalar(x, 3.0), lambda x: 3.0 / x, POS),
    case("rpow_scalar", lambda x: F.rpow_scalar(x, 2.0), lambda x: 2.0 ** x, X),
    # elementwise
    case("sin", F.sin, torch.sin, X), case("cos", F.cos, torch.cos, X), case("tanh", F.tanh, torch.tanh, X),
    case("exp", F.exp, torch.exp, X), case("log", F.log, torch.log, POS), case("sqrt", F.sqrt, torch.sqrt, POS),
    case("abs", F.abs, torch.abs, u(3, 4, away=0.0)), case("erf", F.erf, torch.erf, u(3, 4, lo=-3, hi=3)),
    case("clip", lambda x: F.clip(x, -0.5, 0.7), lambda x: torch.clamp(x, -0.5, 0.7), u(5, 4, away=0.7)),
    case("maximum", F.maximum, torch.maximum, distinct(3, 4), distinct(3, 4)),
    case("minimum", F.minimum, torch.minimum, distinct(3, 4), distinct(4)),
    case("where", lambda c, a, b: F.where(c > 0, a, b), lambda c, a, b: torch.where(c > 0, a, b), X, X, u(4),
         constant=(0,)),
    # activations
    case("sigmoid", F.sigmoid, torch.sigmoid, u(3, 4, lo=-30, hi=30)),
    case("relu", F.relu, torch.relu, u(3, 4, away=0.0)),
    case("leaky_relu", lambda x: F.leaky_relu(x, 0.1), lambda x: TF.leaky_relu(x, 0.1), u(3, 4, away=0.0)),
    case("softmax", F.softmax, lambda x: torch.softmax(x, 1), u(2, 5, 3, lo=-10, hi=10)),
    case("softmax", lambda x: F.softmax(x, -1), lambda x: torch.softmax(x, -1), X, id="last axis"),
    case("log_softmax", lambda x: F.log_softmax(x, -1), lambda x: torch.log_softmax(x, -1), u(3, 4, lo=-30, hi=30)),
    case("gelu", F.gelu, TF.gelu, u(3, 4, lo=-4, hi=4)),
    case("gelu", lambda x: F.gelu(x, "tanh"), lambda x: TF.gelu(x, approximate="tanh"), u(3, 4, lo=-4, hi=4),
         id="tanh"),
    case("silu", F.silu, TF.silu, u(3, 4, lo=-20, hi=20)),
    case("softplus", lambda x: F.softplus(x, 2.0), lambda x: TF.softplus(x, 2.0), u(3, 4, lo=-5, hi=5)),
    case("elu", lambda x: F.elu(x, 0.5), lambda x: TF.elu(x, 0.5), u(3, 4, away=0.0)),
    # reductions and statistics
    case("sum", F.sum, torch.sum, X),
    case("sum", lambda x: F.sum(x, 1, True), lambda x: torch.sum(x, 1, keepdim=True), u(2, 3, 4), id="axis"),
    case("mean", lambda x: F.mean(x, (0, 2)), lambda x: torch.mean(x, (0, 2)), u(2, 3, 4)),
    case("average", F.average, torch.mean, X),
    case("max", lambda x: F.max(x, 1), lambda x: torch.amax(x, 1), distinct(3, 5)),
    case("max", F.max, torch.max, distinct(3, 5), id="all"),
    case("min", lambda x: F.min(x, 0, True), lambda x: torch.amin(x, 0, keepdim=True), distinct(3, 5)),
    case("var", lambda x: F.var(x, 1), lambda x: torch.var(x, 1, correction=0), u(3, 5)),
    case("var", lambda x: F.var(x, None, correction=1), lambda x: torch.var(x), u(3, 5), id="unbiased"),
    case("std", lambda x: F.std(x, 0, correction=1), lambda x: torch.std(x, 0), u(4, 3)),
    case("logsumexp", lambda x: F.logsumexp(x, 1), lambda x: torch.logsumexp(x, 1), u(3, 4, lo=-50, hi=50)),
    # shapes
    case("reshape", lambda x: F.reshape(x, (2, -1)), lambda x: x.reshape(2, -1), X),
    case("transpose", F.transpose, lambda x: x.permute(2, 1, 0), u(2, 3, 4)),
    case("permute_dims", lambda x: F.permute_dims(x, (1, 2, 0)), lambda x: x.permute(1, 2, 0), u(2, 3, 4)),
    case("matrix_transpose", F.matrix_transpose, lambda x: x.mT, u(2, 3, 4)),
    case("broadcast_to", lambda x: F.broadcast_to(x, (2, 3, 4)), lambda x: x.expand(2, 3, 4), u(3, 1)),
    case("sum_to", lambda x: F.sum_to(x, (3, 1)), lambda x: x.sum_to_size(3, 1), u(2, 3, 4)),
    case("get_item", lambda x: F.get_item(x, (slice(1, None), [0, 2, 2])),
         lambda x: x[1:, [0, 2, 2]], X),
    case("expand_dims", lambda x: F.expand_dims(x, 1), lambda x: x.unsqueeze(1), X),
    case("unsqueeze", lambda x: F.unsqueeze(x, -1), lambda x: x.unsqueeze(-1), X),
    case("squeeze", lambda x: F.squeeze(x, 1), lambda x: x.squeeze(1), u(3, 1, 4)),
    case("flatten", F.flatten, lambda x: torch.flatten(x, 1), u(2, 3, 4)),
    case("concat", lambda a, b: F.concat([a, b], 1), lambda a, b: torch.cat([a, b], 1), u(2, 3), u(2, 2)),
    case("stack", lambda a, b: F.stack([a, b], -1), lambda a, b: torch.stack([a, b], -1), X, X),
    case("split", lambda x: F.split(x, [1, 3], 1), lambda x: torch.tensor_split(x, [1, 3], 1), u(2, 5)),
    case("split", lambda x: F.split(x, 3), lambda x: torch.tensor_split(x, 3), u(6, 2), id="sections"),
    case("pad", lambda x: F.pad(x, ((0, 1), (2, 0)), 0.5), lambda x: TF.pad(x, (2, 0, 0, 1), value=0.5), X),
    # linear algebra and layers' functions
    case("matmul", F.matmul, torch.matmul, u(5, 2, 3), u(3, 4)),
    case("matmul", F.matmul, torch.matmul, u(3), u(5, 3, 4), id="vector @ batch"),
    case("matmul", F.matmul, torch.matmul, u(2, 3), u(3), id="matrix @ vector"),
    case("matmul", F.matmul, torch.matmul, u(3), u(3), id="dot"),
    case("linear", F.linear, lambda x, W, b: TF.linear(x, W.T, b), u(4, 3), u(3, 2), u(2)),
    case("linear", F.linear, lambda x, W: TF.linear(x, W.T), u(2, 4, 3), u(3, 2), id="3-d, no bias"),
    case("embed_id", F.embed_id, TF.embedding, labels(2, 3, classes=5), u(5, 4)),
    case("layer_norm", lambda x, g, b: F.layer_norm(x, g, b, 1e-5),
         lambda x, g, b: TF.layer_norm(x, (4,), g, b, 1e-5), u(2, 3, 4), u(4), u(4)),
    # losses
    case("mean_squared_error", F.mean_squared_error, TF.mse_loss, X, X),
    case("softmax_cross_entropy", F.softmax_cross_entropy, TF.cross_entropy, u(6, 5, lo=-5, hi=5),
         labels(6, classes=5)),
    case("softmax_cross_entropy", lambda x, t: F.softmax_cross_entropy(x, t, ignore_index=-1, label_smoothing=0.2),
         lambda x, t: TF.cross_entropy(x, t, ignore_index=-1, label_smoothing=0.2), u(8, 5), labels(8, classes=5, low=-1),
         id="ignore_index, smoothing"),
    case("softmax_cross_entropy", F.softmax_cross_entropy, TF.cross_entropy, u(2, 5, 3), labels(2, 3, classes=5),
         id="spatial"),
    case("cross_entropy", F.cross_entropy, TF.cross_entropy, u(4, 3), labels(4, classes=3)),
    case("sigmoid_cross_entropy", F.sigmoid_cross_entropy, TF.binary_cross_entropy_with_logits,
         u(4, 3, lo=-30, hi=30), u(4, 3, lo=0, hi=1), constant=(1,)),
    case("binary_cross_entropy", F.binary_cross_entropy, TF.binary_cross_entropy, u(4, 3, lo=0.02, hi=0.98),
         u(4, 3, lo=0, hi=1), constant=(1,)),
    # convolution and pooling (many geometries: the index arithmetic is where they would differ)
    *[case("conv2d", lambda x, W, b, s=s, p=p: F.conv2d(x, W, b, s, p),
           lambda x, W, b, s=s, p=p: TF.conv2d(x, W, b, s, p), IMG, u(4, 3, kh, kw), u(4), id=f"{kh}x{kw} s{s} p{p}")
      for kh, kw, s, p in [(3, 3, 1, 0), (3, 2, 2, 1), (1, 1, 1, 0), (5, 3, (2, 1), (2, 0)), (2, 2, 3, 1)]],
    case("conv2d", lambda x, W: F.conv2d(x, W), lambda x, W: TF.conv2d(x, W), IMG, u(2, 3, 3, 3), id="no bias"),
    *[case("deconv2d", lambda x, W, b, s=s, p=p, o=o: F.deconv2d(x, W, b, s, p, o),
           lambda x, W, b, s=s, p=p, op=op: TF.conv_transpose2d(x, W, b, s, p, output_padding=op),
           u(2, 3, 4, 3), u(3, 2, kh, kw), u(2), id=f"{kh}x{kw} s{s} p{p} o{o}")
      for kh, kw, s, p, o, op in [(3, 3, 1, 0, None, 0), (3, 2, 2, 1, None, 0), (3, 3, 2, 1, (8, 6), (1, 1)),
                                  (4, 4, (2, 3), (1, 0), None, 0)]],
    *[case("pooling", lambda x, k=k, s=s, p=p: F.pooling(x, k, s, p),
           lambda x, k=k, s=s, p=p: TF.max_pool2d(x, k, s, p), distinct(2, 3, 7, 6), id=f"k{k} s{s} p{p}")
      for k, s, p in [(2, 2, 0), (3, 1, 1), (3, 2, 1), ((3, 2), (2, 1), (1, 0))]],
    *[case("average_pooling", lambda x, k=k, s=s, p=p: F.average_pooling(x, k, s, p),
           lambda x, k=k, s=s, p=p: TF.avg_pool2d(x, k, s, p, count_include_pad=True), IMG, id=f"k{k} s{s} p{p}")
      for k, s, p in [(2, 2, 0), (3, 1, 1), ((3, 2), (2, 1), (1, 0))]],
    *[c for geometry in range(16) for c in _random_geometry_cases(geometry)],
    case("im2col", lambda x: F.im2col(x, 3, 2, 1),
         lambda x: TF.unfold(x, 3, padding=1, stride=2).transpose(1, 2).reshape(-1, 27), IMG),
    case("col2im", lambda c: F.col2im(c, (2, 3, 7, 6), 3, 2, 1),
         lambda c: TF.fold(c.reshape(2, 12, 27).transpose(1, 2), (7, 6), 3, padding=1, stride=2), u(24, 27)),
    # not differentiable: forward only
    case("argmax", lambda x: F.argmax(x, 1), lambda x: torch.argmax(x, 1), distinct(3, 5), grad=False),
    case("argmin", lambda x: F.argmin(x, 0), lambda x: torch.argmin(x, 0), distinct(3, 5), grad=False),
    case("one_hot", lambda t: F.one_hot(t, 5), lambda t: TF.one_hot(t, 5), labels(4, 2, classes=5), grad=False),
    *[case(name, getattr(F, name), getattr(torch, theirs), u(3, 4, lo=-1, hi=1), u(4, lo=-1, hi=1), grad=False)
      for name, theirs in [("equal", "eq"), ("not_equal", "ne"), ("less", "lt"), ("less_equal", "le"),
                           ("greater", "gt"), ("greater_equal", "ge")]],
]


def _run(c: Case, dtype: str):
    """(our outputs, PyTorch's, our input gradients, PyTorch's), all as float64/int host arrays."""
    rng = np.random.default_rng(zlib.crc32(f"{c.name}[{c.id}]".encode()))  # the same draws in every run
    host = [a.astype(dtype) if a.dtype.kind == "f" else a for a in c.inputs(rng)]
    diff = [i for i, a in enumerate(host) if a.dtype.kind == "f" and i not in c.constant and c.grad]
    ours_in = [Variable(a) if i in diff else a for i, a in enumerate(host)]
    theirs_in = [torch.tensor(a, requires_grad=i in diff) for i, a in enumerate(host)]
    ys, ts = c.ours(*ours_in), c.theirs(*theirs_in)
    ys = ys if isinstance(ys, tuple) else (ys,)
    ts = ts if isinstance(ts, tuple) else (ts,)
    if not diff:
        return [y.data for y in ys], [t.numpy() for t in ts], [], []
    gys = [rng.standard_normal(tuple(y.shape)).astype(dtype) for y in ys]
    F.sum(F.stack([F.sum(y * gy) for y, gy in zip(ys, gys)])).backward()
    torch.stack([(t * torch.tensor(gy)).sum() for t, gy in zip(ts, gys)]).sum().backward()
    return ([y.data for y in ys], [t.detach().numpy() for t in ts],
            [ours_in[i].grad.data for i in diff], [theirs_in[i].grad.numpy() for i in diff])


def _close(got: Any, want: Any, dtype: str, what: str) -> None:
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    assert got.shape == want.shape, f"{what}: shape {got.shape}, PyTorch {want.shape}"
    tol = TOLERANCES[dtype]
    scale = float(np.max(np.abs(want))) if want.size else 0.0
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol * scale, err_msg=what)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("c", CASES, ids=[c.name + (f"[{c.id}]" if c.id else "") for c in CASES])
def test_function_agrees_with_pytorch(c: Case, dtype: str) -> None:
    ys, ts, gs, gts = _run(c, dtype)
    assert len(ys) == len(ts), f"{len(ys)} outputs, PyTorch {len(ts)}"
    for k, (y, t) in enumerate(zip(ys, ts)):
        if c.grad:
            assert y.dtype == np.dtype(dtype), f"output {k} has dtype {y.dtype}"
        _close(y, t, dtype, f"output {k}")
    for k, (g, gt) in enumerate(zip(gs, gts)):
        assert g.dtype == np.dtype(dtype)
        _close(g, gt, dtype, f"gradient of input {k}")


def test_every_registered_function_is_compared_or_its_difference_listed() -> None:
    compared = {c.name for c in CASES}
    missing = sorted(set(F.__all__) - compared - set(CONVENTIONS) - {"accuracy"})
    # accuracy: a metric, no PyTorch function (it is checked against numpy in tests/functions)
    assert missing == [], f"functions neither compared with PyTorch nor listed in CONVENTIONS: {missing}"


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_batch_norm_output_gradients_and_running_averages_agree_with_pytorch(dtype: str) -> None:
    rng = np.random.default_rng(1)
    x, gamma, beta = (rng.normal(1.0, 2.0, s).astype(dtype) for s in ((4, 3, 5, 2), (3,), (3,)))
    mean, var = np.zeros(3, dtype), np.ones(3, dtype)
    t_mean, t_var = torch.zeros(3, dtype=getattr(torch, dtype)), torch.ones(3, dtype=getattr(torch, dtype))
    ours = [Variable(a) for a in (x, gamma, beta)]
    theirs = [torch.tensor(a, requires_grad=True) for a in (x, gamma, beta)]
    gy = rng.standard_normal(x.shape).astype(dtype)
    y = F.batch_norm(ours[0], ours[1], ours[2], mean, var, decay=0.8, eps=1e-5)
    t = TF.batch_norm(theirs[0], t_mean, t_var, theirs[1], theirs[2], training=True, momentum=0.2, eps=1e-5)
    F.sum(y * gy).backward()
    (t * torch.tensor(gy)).sum().backward()
    _close(y.data, t.detach().numpy(), dtype, "output")
    for k in range(3):
        _close(ours[k].grad.data, theirs[k].grad.numpy(), dtype, f"gradient of input {k}")
    _close(mean, t_mean.numpy(), dtype, "running mean")
    _close(var, t_var.numpy(), dtype, "running variance (unbiased, as PyTorch's)")
    with test_mode():
        y = F.batch_norm(x, gamma, beta, mean, var, eps=1e-5)
    t = TF.batch_norm(torch.tensor(x), t_mean, t_var, torch.tensor(gamma), torch.tensor(beta), training=False, eps=1e-5)
    _close(y.data, t.numpy(), dtype, "test-mode output")


def test_softplus_above_pytorchs_threshold_differs_by_less_than_its_cutoff() -> None:
    x = np.array([10.5, 15.0, 40.0])
    got = F.softplus(x, 2.0).data
    want = TF.softplus(torch.tensor(x), 2.0).numpy()  # x itself: beta * x > 20
    np.testing.assert_allclose(got, want, rtol=np.exp(-20.0))
    assert not np.array_equal(got[:2], want[:2])  # ours keeps the log1p(exp(-2x)) / 2 term
