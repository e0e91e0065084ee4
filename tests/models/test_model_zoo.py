"""MLP, VGG16 and ResNet: structure, parameter names (those of the book's weight files) and shapes."""
from __future__ import annotations

import numpy as np
import pytest

import dezero_core as dz
from dezero_core import functions as F
from dezero_core.models import MLP, VGG16, ResNet, ResNet50


def test_mlp_layers_are_named_l0_l1_and_sized_by_fc_output_sizes():
    model = MLP((5, 3), in_size=4)
    assert [(n, p.shape) for n, p in model.named_params()] == [
        ("l0/W", (4, 5)), ("l0/b", (5,)), ("l1/W", (5, 3)), ("l1/b", (3,))]


def test_mlp_uses_the_books_sigmoid_by_default():
    model = MLP((2, 1), in_size=1)
    x = np.array([[0.5]], np.float32)
    hidden = 1 / (1 + np.exp(-(x @ model.l0.W.data + model.l0.b.data)))
    np.testing.assert_allclose(model(x).data, hidden @ model.l1.W.data + model.l1.b.data, rtol=1e-5)


def test_mlp_takes_another_activation():
    model = MLP((2, 1), activation=F.relu, in_size=1)
    model.l0.W.data[...] = -1.0
    model.l0.b.data[...] = 0.0
    np.testing.assert_allclose(model(np.array([[3.0]], np.float32)).data, model.l1.b.data[None])


def test_mlp_trains_on_a_tiny_problem():
    dz.random.seed(0)
    model = MLP((8, 1), activation=F.tanh, in_size=1)
    optimizer = dz.optimizers.Adam(lr=0.05).setup(model)
    x = np.linspace(-1, 1, 16, dtype=np.float32)[:, None]
    t = x ** 2
    for _ in range(200):
        loss = F.mean_squared_error(model(x), t)
        model.cleargrads()
        loss.backward()
        optimizer.update()
    assert float(loss.data) < 0.01


def test_vgg16_has_the_books_layer_names():
    model = VGG16()
    names = sorted({name.split("/")[0] for name, _ in model.named_params()})
    assert names == sorted(["conv1_1", "conv1_2", "conv2_1", "conv2_2", "conv3_1", "conv3_2", "conv3_3",
                            "conv4_1", "conv4_2", "conv4_3", "conv5_1", "conv5_2", "conv5_3", "fc6", "fc7", "fc8"])


def test_vgg16_forward_on_a_small_image_gives_1000_scores():
    dz.random.seed(0)
    with dz.test_mode():
        y = VGG16()(np.zeros((1, 3, 32, 32), np.float32))
    assert y.shape == (1, 1000)


def test_vgg16_preprocess_makes_a_bgr_mean_subtracted_chw_array():
    image = np.zeros((4, 5, 3), np.float32)
    image[..., 0] = 200.0  # red
    x = VGG16.preprocess(image)
    assert x.shape == (3, 4, 5)
    np.testing.assert_allclose(x[:, 0, 0], [-103.939, -116.779, 200.0 - 123.68], rtol=1e-6)


def test_resnet_rejects_an_unknown_depth():
    with pytest.raises(ValueError, match="50, 101, 152"):
        ResNet(34)


@pytest.fixture(scope="module")
def resnet50():
    dz.random.seed(0)
    return ResNet50()


def test_resnet50_has_the_books_structure(resnet50):
    names = [name for name, _ in resnet50.named_params()]
    assert {n.split("/")[0] for n in names} == {"conv1", "bn1", "res2", "res3", "res4", "res5", "fc6"}
    assert sorted({n.split("/")[1] for n in names if n.startswith("res4/")}) == ["a", "b1", "b2", "b3", "b4", "b5"]
    assert resnet50.res3.a.conv4.W.shape == (512, 256, 1, 1)  # the projection shortcut
    assert resnet50.res5.b2.conv2.W.shape == (512, 512, 3, 3)
    assert resnet50.fc6.W.shape == (2048, 1000)


def test_resnet50_has_as_many_parameters_as_the_reference_architecture(resnet50):
    convs_and_fc = sum(p.size for p in resnet50.params() if p.data is not None)
    # every BatchNorm is lazy until the first forward; their gamma and beta add 53,120 parameters.
    # 25,557,032 is torchvision's count; Chainer's (and the book's) conv1 also has a bias of 64.
    assert convs_and_fc + 53_120 == 25_557_032 + 64


def test_resnet50_forward_gives_1000_scores(resnet50):
    with dz.test_mode():
        y = resnet50(np.zeros((1, 3, 32, 32), np.float32))
    assert y.shape == (1, 1000)
