"""``ResNet50``, ``ResNet101`` and ``ResNet152`` (He et al., 2015), with the book's (Chainer's) layout.

The parameter names match the book's weight files: ``conv1``, ``bn1``, ``res2`` ... ``res5`` (each a
:class:`BuildingBlock` of one :class:`BottleneckA` ``a`` and several :class:`BottleneckB` ``b1``,
``b2``, ...), ``fc6``. The book's own ResNet passes Chainer-style ``(in, out, ...)`` arguments to its
``Conv2d(out, kernel, ...)``; here every convolution has the shape the architecture means.
"""
from __future__ import annotations

from typing import Any

from dezero_core import functions as F
from dezero_core.graph.variable import Variable
from dezero_core.layers.conv import Conv2d
from dezero_core.layers.layer import Layer
from dezero_core.layers.linear import Linear
from dezero_core.layers.normalization import BatchNorm
from dezero_core.models.model import Model
from dezero_core.models.pretrained import load_pretrained

#: bottlenecks per stage (res2 .. res5) for each depth
STAGES = {50: (3, 4, 6, 3), 101: (3, 4, 23, 3), 152: (3, 8, 36, 3)}


def _conv_bn(layer: Layer, index: int, in_channels: int, out_channels: int, kernel: int, stride: int) -> None:
    """Give ``layer`` the attributes ``conv{index}`` (no bias, 'same' padding) and ``bn{index}``."""
    setattr(layer, f"conv{index}", Conv2d(out_channels, kernel, stride, kernel // 2, nobias=True,
                                          in_channels=in_channels))
    setattr(layer, f"bn{index}", BatchNorm())


class BottleneckA(Layer):
    """1x1 -> 3x3 -> 1x1 convolutions that change the resolution, plus a 1x1 projection shortcut.

    ``downsample_fb`` puts the stride on the 3x3 convolution (Facebook's ResNet) instead of the
    first 1x1 (the original MSRA ResNet).
    """

    def __init__(self, in_channels: int, mid_channels: int, out_channels: int, stride: int = 2,
                 downsample_fb: bool = False) -> None:
        super().__init__()
        stride_1x1, stride_3x3 = (1, stride) if downsample_fb else (stride, 1)
        _conv_bn(self, 1, in_channels, mid_channels, 1, stride_1x1)
        _conv_bn(self, 2, mid_channels, mid_channels, 3, stride_3x3)
        _conv_bn(self, 3, mid_channels, out_channels, 1, 1)
        _conv_bn(self, 4, in_channels, out_channels, 1, stride)

    def forward(self, x: Any) -> Variable:
        """``relu(main(x) + projection(x))``."""
        h = F.relu(self.bn1(self.conv1(x)))
        h = F.relu(self.bn2(self.conv2(h)))
        h = self.bn3(self.conv3(h))
        return F.relu(h + self.bn4(self.conv4(x)))


class BottleneckB(Layer):
    """1x1 -> 3x3 -> 1x1 convolutions that keep the resolution, plus the identity shortcut."""

    def __init__(self, in_channels: int, mid_channels: int) -> None:
        super().__init__()
        _conv_bn(self, 1, in_channels, mid_channels, 1, 1)
        _conv_bn(self, 2, mid_channels, mid_channels, 3, 1)
        _conv_bn(self, 3, mid_channels, in_channels, 1, 1)

    def forward(self, x: Any) -> Variable:
        """``relu(main(x) + x)``."""
        h = F.relu(self.bn1(self.conv1(x)))
        h = F.relu(self.bn2(self.conv2(h)))
        return F.relu(self.bn3(self.conv3(h)) + x)


class BuildingBlock(Layer):
    """One stage: a :class:`BottleneckA` ``a``, then ``n_layers - 1`` :class:`BottleneckB` ``b1``, ``b2``, ..."""

    def __init__(self, n_layers: int, in_channels: int, mid_channels: int, out_channels: int, stride: int,
                 downsample_fb: bool = False) -> None:
        super().__init__()
        self.a = BottleneckA(in_channels, mid_channels, out_channels, stride, downsample_fb)
        self.blocks: list[Layer] = [self.a]
        for i in range(1, n_layers):
            block = BottleneckB(out_channels, mid_channels)
            setattr(self, f"b{i}", block)
            self.blocks.append(block)

    def forward(self, x: Any) -> Variable:
        """The bottlenecks in order."""
        for block in self.blocks:
            x = block(x)
        return x


class ResNet(Model):
    """ResNet with 50, 101 or 152 layers, for (N, 3, 224, 224) images and 1000 classes.

    ``pretrained=True`` loads the book's weights for that depth (downloaded once, see :mod:`.pretrained`).
    """

    def __init__(self, n_layers: int = 152, pretrained: bool = False) -> None:
        super().__init__()
        if n_layers not in STAGES:
            raise ValueError(f"n_layers must be one of {', '.join(map(str, STAGES))}, got {n_layers}")
        blocks = STAGES[n_layers]
        self.n_layers = n_layers
        self.conv1 = Conv2d(64, 7, 2, 3, in_channels=3)
        self.bn1 = BatchNorm()
        self.res2 = BuildingBlock(blocks[0], 64, 64, 256, 1)
        self.res3 = BuildingBlock(blocks[1], 256, 128, 512, 2)
        self.res4 = BuildingBlock(blocks[2], 512, 256, 1024, 2)
        self.res5 = BuildingBlock(blocks[3], 1024, 512, 2048, 2)
        self.fc6 = Linear(1000, in_size=2048)
        if pretrained:
            load_pretrained(self, f"ResNet{n_layers}")

    def forward(self, x: Any) -> Variable:
        """Class scores for the image batch ``x``."""
        x = F.relu(self.bn1(self.conv1(x)))
        x = F.pooling(x, kernel_size=3, stride=2)
        x = self.res5(self.res4(self.res3(self.res2(x))))
        n, c, h, w = x.shape
        x = F.reshape(F.average_pooling(x, (h, w), stride=1), (n, c))  # global average pooling
        return self.fc6(x)


class ResNet50(ResNet):
    """ResNet with 50 layers (stages of 3, 4, 6 and 3 bottlenecks)."""

    def __init__(self, pretrained: bool = False) -> None:
        super().__init__(50, pretrained)


class ResNet101(ResNet):
    """ResNet with 101 layers (stages of 3, 4, 23 and 3 bottlenecks)."""

    def __init__(self, pretrained: bool = False) -> None:
        super().__init__(101, pretrained)


class ResNet152(ResNet):
    """ResNet with 152 layers (stages of 3, 8, 36 and 3 bottlenecks)."""

    def __init__(self, pretrained: bool = False) -> None:
        super().__init__(152, pretrained)
