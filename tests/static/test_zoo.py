"""Compiled training equals eager training for the models of the zoo (several steps, several optimizers)."""
from __future__ import annotations

import numpy as np
import pytest

import dezero_core as dz
import dezero_core.functions as F
from dezero_core.layers import GRU, LSTM, BatchNorm, Conv2d, Layer, Linear
from dezero_core.models import VGG16
from dezero_core.models.resnet import BuildingBlock
from dezero_core.optimizers import SGD, Adam, AdamW, MomentumSGD
from dezero_core.optimizers.hooks import ClipGrad, WeightDecay

from static_helpers import assert_same_training, batches, train


class SmallResNet(Layer):
    """conv-bn-relu, one ResNet stage (a projection bottleneck and an identity one), pooling, linear."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = Conv2d(8, 3, 1, 1, in_channels=3)
        self.bn1 = BatchNorm()
        self.res2 = BuildingBlock(2, 8, 4, 16, 2)
        self.fc = Linear(5)

    def forward(self, x):
        x = self.res2(F.relu(self.bn1(self.conv1(x))))
        n, c, h, w = x.shape
        return self.fc(F.reshape(F.average_pooling(x, (h, w), stride=1), (n, c)))


def test_small_resnet_with_batch_norm_trains_as_in_eager_mode() -> None:
    data = batches(3, (4, 3, 8, 8), 5)
    make_opt = lambda m: MomentumSGD(0.05).setup(m)  # noqa: E731
    eager = train(SmallResNet, make_opt, data, compiled=False)
    compiled = train(SmallResNet, make_opt, data, compiled=True)
    assert_same_training(eager, compiled)
    for (name, a), (_, b) in zip(eager[1].named_buffers(), compiled[1].named_buffers()):
        np.testing.assert_array_equal(a, b, err_msg=f"running average {name}")


def test_vgg16_on_a_small_input_trains_as_in_eager_mode() -> None:
    data = batches(2, (1, 3, 32, 32), 1000)
    make_opt = lambda m: SGD(0.01).setup(m)  # noqa: E731
    assert_same_training(train(VGG16, make_opt, data, compiled=False),
                         train(VGG16, make_opt, data, compiled=True))


class SequenceModel(Layer):
    """A recurrent layer over a whole sequence (reset per call), then a linear read-out per step."""

    def __init__(self, cell: type) -> None:
        super().__init__()
        self.rnn = cell(12)
        self.out = Linear(4)

    def __call__(self, xs):
        self.rnn.reset_state()
        return [self.out(self.rnn(xs[:, k])) for k in range(xs.shape[1])]


def _sequence_loss(ys, t):
    total = None
    for k, y in enumerate(ys):
        term = F.softmax_cross_entropy(y, t[:, k] if t.ndim == 2 else t)
        total = term if total is None else total + term
    return total


def _adam_with_hooks(model):
    optimizer = AdamW().setup(model)
    optimizer.add_hook(WeightDecay(1e-3))
    optimizer.add_hook(ClipGrad(1.0))
    return optimizer


@pytest.mark.parametrize("cell", [LSTM, GRU])
@pytest.mark.parametrize("make_opt", [lambda m: Adam().setup(m), _adam_with_hooks], ids=["Adam", "AdamW+hooks"])
def test_recurrent_models_over_a_sequence_train_as_in_eager_mode(cell, make_opt) -> None:
    rng = np.random.default_rng(1)
    data = [(rng.standard_normal((3, 6, 5)).astype(np.float32), rng.integers(0, 4, (3, 6))) for _ in range(3)]
    make_model = lambda: SequenceModel(cell)  # noqa: E731
    # within float32 rounding: batch_shared_weights sums the steps' weight gradients in one product
    assert_same_training(train(make_model, make_opt, data, compiled=False, loss_fn=_sequence_loss),
                         train(make_model, make_opt, data, compiled=True, loss_fn=_sequence_loss), exact=False)
