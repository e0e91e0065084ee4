"""Transforms: callables a :class:`~dezero_core.data.Dataset` applies to its data or its labels.

A transform whose ``batched`` attribute is true works on a whole batch at once (the first axis
indexes the samples), so a batch of 100 images is normalised in one array operation instead of 100.
Every transform here is batched and uses only the array API standard; a plain function (the book's
``lambda x: x / 255``) counts as a per-sample transform and is applied sample by sample.

Image transforms that work on Pillow images (``Convert``, ``Resize``, ``CenterCrop``, ``ToArray``,
``ToPIL``) are per-sample and appear here only when Pillow is installed.
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

from dezero_core.data.arrays import length, namespace, row, stack

Transform = Callable[[Any], Any]

#: names served from :mod:`dezero_core.data.image`, which imports Pillow
IMAGE_TRANSFORMS = ("Convert", "Resize", "CenterCrop", "ToArray", "ToPIL")


def is_batched(transform: Transform | None) -> bool:
    """Whether ``transform`` takes a whole batch (``None``, the identity, counts as batched)."""
    return transform is None or bool(getattr(transform, "batched", False))


def apply_to_batch(transform: Transform | None, batch: Any) -> Any:
    """``transform`` applied to every sample of ``batch`` (an array, or a list of samples)."""
    if is_batched(transform):
        return batch if transform is None else transform(batch)
    return stack([transform(row(batch, i)) for i in range(length(batch))], like=batch)


def apply_to_sample(transform: Transform | None, sample: Any) -> Any:
    """``transform`` applied to one sample (a batched transform sees a batch of one)."""
    if transform is None:
        return sample
    if is_batched(transform):
        xp = namespace(sample)
        return transform(xp.expand_dims(xp.asarray(sample), axis=0))[0, ...]
    return transform(sample)


def _dtype(xp: Any, dtype: Any) -> Any:
    """``dtype`` as a dtype of namespace ``xp`` (a name such as ``"float32"`` or a dtype object)."""
    if isinstance(dtype, str):
        try:
            return getattr(xp, dtype)
        except AttributeError:
            raise ValueError(f"unknown dtype {dtype!r}: use an array-API name such as 'float32', "
                             f"'int64' or 'uint8'") from None
    return dtype


class Compose:
    """Apply several transforms in order.

    It is batched when all of its transforms are; otherwise it runs per sample, and its batched
    transforms see each sample as a batch of one.
    """

    def __init__(self, transforms: Sequence[Transform] = ()) -> None:
        self.transforms = list(transforms)
        self.batched = all(is_batched(t) for t in self.transforms)

    def __call__(self, x: Any) -> Any:
        if self.batched:
            for t in self.transforms:
                x = t(x)
            return x
        for t in self.transforms:
            x = apply_to_sample(t, x)
        return x

    def __repr__(self) -> str:
        return f"Compose({self.transforms!r})"


class Normalize:
    """``(x - mean) / std``, with a scalar or a per-channel (first sample axis) ``mean`` and ``std``.

    Integer input (raw pixels) is converted to float32 first, so that no float64 appears.
    """

    batched = True

    def __init__(self, mean: float | Sequence[float] = 0.0, std: float | Sequence[float] = 1.0) -> None:
        self.mean = mean
        self.std = std

    def __call__(self, x: Any) -> Any:
        xp = namespace(x)
        if not xp.isdtype(x.dtype, "real floating"):
            x = xp.astype(x, xp.float32)
        return (x - self._per_channel(xp, self.mean, x)) / self._per_channel(xp, self.std, x)

    @staticmethod
    def _per_channel(xp: Any, value: Any, x: Any) -> Any:
        if isinstance(value, (int, float)):
            return float(value)
        v = xp.asarray(value, dtype=x.dtype)
        # channels are the first axis of a sample: (C,) -> (C, 1, ..., 1) against (N, C, H, W)
        return xp.reshape(v, (v.shape[0],) + (1,) * max(x.ndim - 2, 0))

    def __repr__(self) -> str:
        return f"Normalize(mean={self.mean!r}, std={self.std!r})"


class Flatten:
    """Flatten every sample to one dimension: ``(N, C, H, W) -> (N, C*H*W)``."""

    batched = True

    def __call__(self, x: Any) -> Any:
        return namespace(x).reshape(x, (x.shape[0], -1))

    def __repr__(self) -> str:
        return "Flatten()"


class AsType:
    """Convert to ``dtype`` (an array-API name such as ``"float32"``, or a dtype object)."""

    batched = True

    def __init__(self, dtype: Any = "float32") -> None:
        self.dtype = dtype

    def __call__(self, x: Any) -> Any:
        xp = namespace(x)
        return xp.astype(x, _dtype(xp, self.dtype))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.dtype!r})"


class ToFloat(AsType):
    """Convert to a floating dtype (float32 unless told otherwise)."""

    def __init__(self, dtype: Any = "float32") -> None:
        super().__init__(dtype)


class ToInt(AsType):
    """Convert to an integer dtype (int64 unless told otherwise), e.g. labels stored as floats."""

    def __init__(self, dtype: Any = "int64") -> None:
        super().__init__(dtype)


def __getattr__(name: str) -> Any:
    if name in IMAGE_TRANSFORMS:
        import importlib

        return getattr(importlib.import_module("dezero_core.data.image"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["AsType", "Compose", "Flatten", "Normalize", "ToFloat", "ToInt", "apply_to_batch",
           "apply_to_sample", "is_batched"]
