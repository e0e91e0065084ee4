"""``VGG16`` (Simonyan & Zisserman, 2014), as in the book and Chainer."""
from __future__ import annotations

from typing import Any

from dezero_core import functions as F
from dezero_core.backend.selection import get_backend
from dezero_core.graph.variable import Variable
from dezero_core.layers.conv import Conv2d
from dezero_core.layers.linear import Linear
from dezero_core.models.model import Model
from dezero_core.models.pretrained import load_pretrained

#: (number of 3x3 convolutions, channels) of the five blocks, each followed by 2x2 max pooling
BLOCKS = ((2, 64), (2, 128), (3, 256), (3, 512), (3, 512))
#: ImageNet's per-channel mean in BGR order, subtracted by :meth:`VGG16.preprocess`
MEAN_BGR = (103.939, 116.779, 123.68)


class VGG16(Model):
    """Thirteen 3x3 convolutions ``conv{block}_{i}`` and three fully connected layers ``fc6..fc8``.

    Input: ``(N, 3, 224, 224)`` images from :meth:`preprocess`; output: 1000 ImageNet class scores.
    ``pretrained=True`` loads the book's weights (downloaded once, see :mod:`.pretrained`).
    """

    def __init__(self, pretrained: bool = False) -> None:
        super().__init__()
        for b, (n, channels) in enumerate(BLOCKS, start=1):
            for i in range(1, n + 1):
                setattr(self, f"conv{b}_{i}", Conv2d(channels, kernel_size=3, stride=1, pad=1))
        self.fc6 = Linear(4096)
        self.fc7 = Linear(4096)
        self.fc8 = Linear(1000)
        if pretrained:
            load_pretrained(self, "VGG16")

    def forward(self, x: Any) -> Variable:
        """Class scores for the image batch ``x``."""
        for b, (n, _) in enumerate(BLOCKS, start=1):
            for i in range(1, n + 1):
                x = F.relu(getattr(self, f"conv{b}_{i}")(x))
            x = F.pooling(x, 2, 2)
        x = F.reshape(x, (x.shape[0], -1))
        x = F.dropout(F.relu(self.fc6(x)))
        x = F.dropout(F.relu(self.fc7(x)))
        return self.fc8(x)

    @staticmethod
    def preprocess(image: Any, size: tuple[int, int] | None = (224, 224), dtype: Any = "float32",
                   backend: Any = None) -> Any:
        """A PIL image (or an (H, W, 3) RGB array) as VGG's input: resized, BGR, mean-subtracted, (3, H, W)."""
        if hasattr(image, "convert"):  # a PIL image
            image = image.convert("RGB")
            if size:
                image = image.resize(size)
        b = get_backend(backend)
        xp = b.xp
        dtype = getattr(xp, dtype) if isinstance(dtype, str) else dtype
        array = b.asarray(image, dtype=dtype)
        bgr = xp.stack([array[:, :, 2], array[:, :, 1], array[:, :, 0]])  # (3, H, W)
        return bgr - xp.reshape(xp.asarray(MEAN_BGR, dtype=dtype), (3, 1, 1))
