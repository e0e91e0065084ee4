"""Inputs of the wrong number or shape: errors that name the function and both shapes."""
from __future__ import annotations

import numpy as np
import pytest

from dezero_core import Variable, functions as F


def _v(*shape: int) -> Variable:
    return Variable(np.zeros(shape, dtype=np.float32))


def test_mean_squared_error_refuses_to_broadcast_n1_against_n() -> None:
    with pytest.raises(ValueError, match=r"mean_squared_error: x0 and x1 must have the same shape, got "
                                         r"\(4, 1\) and \(4,\)"):
        F.mean_squared_error(_v(4, 1), _v(4))


def test_softmax_cross_entropy_gives_the_expected_label_shape() -> None:
    with pytest.raises(ValueError, match=r"softmax_cross_entropy: labels t must have shape \(4,\) for "
                                         r"scores x of shape \(4, 3\).*got \(4, 1\)"):
        F.softmax_cross_entropy(_v(4, 3), np.zeros((4, 1), dtype=np.int64))


def test_softmax_cross_entropy_needs_a_class_axis() -> None:
    with pytest.raises(ValueError, match=r"softmax_cross_entropy: x must have shape \(N, C\).*got shape \(4,\)"):
        F.softmax_cross_entropy(_v(4), np.zeros(4, dtype=np.int64))


def test_sigmoid_cross_entropy_needs_matching_shapes() -> None:
    with pytest.raises(ValueError, match=r"sigmoid_cross_entropy: x and t must have the same shape, got "
                                         r"\(3,\) and \(3, 1\)"):
        F.sigmoid_cross_entropy(_v(3), np.zeros((3, 1), dtype=np.int64))


def test_concat_lists_every_shape() -> None:
    with pytest.raises(ValueError, match=r"concat: .*except along axis 1; got shapes \(2, 3\), \(3, 3\)"):
        F.concat([_v(2, 3), _v(3, 3)], axis=1)


def test_stack_needs_equal_shapes() -> None:
    with pytest.raises(ValueError, match=r"stack: every input needs the same shape; got shapes \(2, 3\), \(2, 4\)"):
        F.stack([_v(2, 3), _v(2, 4)])


def test_concat_of_nothing_is_refused() -> None:
    with pytest.raises(TypeError, match="concat: expected a non-empty list"):
        F.concat([])


def test_missing_input_names_the_function() -> None:
    with pytest.raises(TypeError, match=r"maximum\(\) missing 1 required positional argument: 'x2'"):
        F.maximum(_v(2))  # type: ignore[call-arg]


def test_axis_out_of_range_gives_the_valid_range() -> None:
    with pytest.raises(ValueError, match=r"concat: axis=2 is out of range for 2 dimensions \(valid: -2..1\)"):
        F.concat([_v(2, 3), _v(2, 3)], axis=2)


def test_squeeze_of_a_longer_axis_names_it() -> None:
    with pytest.raises(ValueError, match=r"squeeze: axis 1 has size 3 in shape \(2, 3\)"):
        F.squeeze(_v(2, 3), 1)


def test_split_into_unequal_sections_is_refused() -> None:
    with pytest.raises(ValueError, match="split: axis 0 of size 5 cannot be cut into 2 equal pieces"):
        F.split(_v(5, 2), 2)


def test_pad_width_per_axis_must_match_the_dimensions() -> None:
    with pytest.raises(ValueError, match=r"pad: pad_width=.* one \(before, after\) per axis \(2 axes\)"):
        F.pad(_v(2, 3), ((1, 1), (1, 1), (1, 1)))


def test_clip_with_crossed_bounds() -> None:
    with pytest.raises(ValueError, match="clip: x_min=1.0 is greater than x_max=0.0"):
        F.clip(_v(2), 1.0, 0.0)
