"""Running an elementwise update on cache-sized row blocks of a parameter.

Adam's update is a chain of a dozen elementwise operations; on a weight matrix of a million elements
each operation streams the parameter, its gradient and its state through main memory. Cut into row
blocks of about :data:`BLOCK_ELEMENTS` elements, the whole chain runs on data that stays in the CPU's
cache: on an MLP's weights this about halves the optimizer's time, with the same arithmetic.

Blocks are basic slices, and the in-place updates must land in the parameter, so slices must be
views: that is checked once per backend, and a backend whose slices are copies updates whole arrays.
Only CPU backends that run one operation at a time gain from this, and they say so
(:attr:`~dezero_core.backend.ArrayBackend.blocked_updates`); a GPU backend would only launch more
kernels.
"""
from __future__ import annotations

from typing import Any

from dezero_core.backend.selection import backend_of

#: about 256 KiB of float32 per array: a block of the chain's arrays stays in a core's L2/L3 cache
BLOCK_ELEMENTS = 65536
#: smaller parameters are cache-resident anyway, and more blocks would only cost more calls
MIN_BLOCKED_ELEMENTS = 4 * BLOCK_ELEMENTS

_views_by_backend: dict[int, bool] = {}
Block = tuple  # (slice of the first axis, Ellipsis): the array API wants every axis indexed
#: (array type, shape) -> its blocks: computed once, then one lookup per parameter and step
_blocks_by_type_and_shape: dict[tuple[type, Any], list[Block] | None] = {}


def slices_are_views(backend: Any) -> bool:
    """Whether an in-place operation on ``a[i:j]`` changes ``a`` on this backend (probed once)."""
    key = id(backend)
    if key not in _views_by_backend:
        probe = backend.xp.zeros((2,))
        part = probe[0:1]
        part += 1
        _views_by_backend[key] = bool(probe[0] == 1)
    return _views_by_backend[key]


def row_blocks(shape: tuple[int, ...]) -> list[Block] | None:
    """Slices of the first axis, about :data:`BLOCK_ELEMENTS` elements each; None for one block."""
    per_row = 1
    for n in shape[1:]:
        per_row *= n
    if shape and shape[0] > 1 and shape[0] * per_row >= MIN_BLOCKED_ELEMENTS:
        rows = max(1, BLOCK_ELEMENTS // max(per_row, 1))
        if rows < shape[0]:
            return [(slice(i, min(i + rows, shape[0])), ...) for i in range(0, shape[0], rows)]
    return None


def blocks_of(data: Any) -> list[Block] | None:
    """The row blocks to update ``data`` by, or None to update it whole."""
    key = (type(data), data.shape)
    try:
        return _blocks_by_type_and_shape[key]
    except KeyError:
        pass
    backend = backend_of(data)
    blocks = None
    if backend.blocked_updates and slices_are_views(backend):
        blocks = row_blocks(tuple(data.shape))
    _blocks_by_type_and_shape[key] = blocks
    return blocks
