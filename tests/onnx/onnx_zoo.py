"""The zoo the ONNX tests export: small versions of every model family the framework ships."""
from __future__ import annotations

from typing import Any

from dezero_core import functions as F
from dezero_core.layers import EmbedID, LSTM, BatchNorm, Conv2d, Linear
from dezero_core.models import MLP, Model


class SmallCNN(Model):
    """Conv2d - BatchNorm - ReLU - max pooling - Conv2d - average pooling - Linear, on (N, 1, 8, 8)."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = Conv2d(4, 3, 1, 1, in_channels=1)
        self.bn1 = BatchNorm(4)
        self.conv2 = Conv2d(6, 3, 1, 1, in_channels=4)
        self.fc = Linear(10, in_size=6 * 2 * 2)

    def forward(self, x: Any) -> Any:
        x = F.pooling(F.relu(self.bn1(self.conv1(x))), 2, 2)
        x = F.average_pooling(F.relu(self.conv2(x)), 2, 2)
        return self.fc(F.flatten(x))


class TextLSTM(Model):
    """Integer token ids (N, T) -> EmbedID -> LSTM over the T steps -> class scores.

    The ids are an int64 input of the exported file (embed_id exports as ``Gather``).
    """

    def __init__(self, vocabulary: int = 20, dim: int = 8, hidden: int = 12, classes: int = 3) -> None:
        super().__init__()
        self.embed = EmbedID(vocabulary, dim)
        self.lstm = LSTM(hidden, in_size=dim)
        self.fc = Linear(classes, in_size=hidden)

    def forward(self, tokens: Any) -> Any:
        self.lstm.reset_state()
        x = self.embed(tokens)
        h = None
        for t in range(x.shape[1]):
            h = self.lstm(x[:, t])
        self.lstm.reset_state()  # the state of a sequence stays inside the call
        return self.fc(h)


def mlp() -> Any:
    """The Digits MLP: 64 -> 100 -> 10."""
    return MLP((100, 10))
