"""The Variable API: what a Variable says about its array, its graph links and its gradient."""
from __future__ import annotations

import weakref

import numpy as np
import pytest

from dezero_core import Parameter, Variable, functions as F

M23 = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]


def test_data_is_the_array_given(put) -> None:
    a = put(M23)
    assert Variable(a).data is a


def test_name_defaults_to_none_and_keeps_the_given_one(put) -> None:
    assert Variable(put(1.0)).name is None
    assert Variable(put(1.0), name="x").name == "x"


def test_a_new_variable_is_a_leaf_of_generation_zero(put) -> None:
    x = Variable(put(M23))
    assert x.creator is None
    assert x.generation == 0


def test_a_new_variable_has_no_gradient_yet(put) -> None:
    assert Variable(put(M23)).grad is None


def test_shape_ndim_size_and_dtype_are_those_of_the_data(put) -> None:
    x = Variable(put(M23, np.float32))
    assert (x.shape, x.ndim, x.size) == ((2, 3), 2, 6)
    assert x.dtype == x.data.dtype


def test_len_is_the_first_dimension(put) -> None:
    assert len(Variable(put(M23))) == 2


def test_len_of_a_0d_variable_is_a_type_error(put) -> None:
    with pytest.raises(TypeError):
        len(Variable(put(1.0)))


def test_repr_shows_the_values_aligned_under_the_first_row() -> None:
    x = Variable(np.array(M23))
    assert repr(x) == "variable([[1. 2. 3.]\n          [4. 5. 6.]])"


def test_repr_of_an_empty_variable() -> None:
    assert repr(Variable(None)) == "variable(None)"


def test_an_operation_output_records_its_creator_and_next_generation(put) -> None:
    x = Variable(put(M23))
    y = F.sin(F.sin(x))
    assert y.creator is not None and y.creator.inputs[0].creator.inputs[0] is x
    assert y.generation == 2


def test_the_creator_holds_its_output_weakly(put) -> None:
    y = F.sin(Variable(put(M23)))
    f, ref = y.creator, weakref.ref(y)
    del y
    assert ref() is None
    assert f.outputs[0]() is None


def test_reshape_takes_a_tuple_or_separate_sizes(put) -> None:
    x = Variable(put(M23))
    assert x.reshape((3, 2)).shape == (3, 2)
    assert x.reshape(3, 2).shape == (3, 2)
    assert x.reshape(6).shape == (6,)


def test_reshape_to_the_same_shape_returns_the_variable_itself(put) -> None:
    x = Variable(put(M23))
    assert x.reshape(2, 3) is x


def test_transpose_reverses_the_axes_by_default(put, host) -> None:
    x = Variable(put(M23))
    np.testing.assert_array_equal(host(x.transpose()), np.array(M23).T)


def test_transpose_takes_axes_as_a_tuple_or_separately(put) -> None:
    x = Variable(put(np.zeros((2, 3, 4))))
    assert x.transpose(1, 0, 2).shape == (3, 2, 4)
    assert x.transpose((2, 0, 1)).shape == (4, 2, 3)


def test_T_is_the_transpose(put, host) -> None:
    np.testing.assert_array_equal(host(Variable(put(M23)).T), np.array(M23).T)


def test_sum_reduces_all_axes_or_the_given_ones(put, host) -> None:
    x = Variable(put(M23))
    assert float(host(x.sum())) == 21.0
    np.testing.assert_array_equal(host(x.sum(axis=0)), [5.0, 7.0, 9.0])
    assert x.sum(axis=1, keepdims=True).shape == (2, 1)


def test_iterating_yields_the_rows(put, host) -> None:
    rows = list(Variable(put(M23)))
    assert len(rows) == 2
    np.testing.assert_array_equal(host(rows[1]), M23[1])


def test_variables_hash_by_identity(put) -> None:
    a, b = Variable(put(M23)), Variable(put(M23))
    assert len({a: 1, b: 2}) == 2


def test_truth_of_a_one_element_variable_is_its_value(put) -> None:
    assert Variable(put(1.0))
    assert not Variable(put(0.0))


def test_truth_of_a_several_element_variable_is_ambiguous(put) -> None:
    with pytest.raises((ValueError, TypeError)):
        bool(Variable(put(M23)) > 0)


def test_parameter_is_a_variable_with_a_gradient(put) -> None:
    p = Parameter(put(M23))
    F.sum(p * p).backward()
    assert isinstance(p, Variable) and p.grad is not None


def test_grad_is_a_variable_over_the_gradient_array(put) -> None:
    x = Variable(put(M23))
    F.sum(x).backward()
    assert isinstance(x.grad, Variable)
    assert x.grad.creator is None


def test_grad_can_be_set_and_cleared(put, host) -> None:
    x = Variable(put(M23))
    x.grad = Variable(put(np.ones((2, 3))))
    np.testing.assert_array_equal(host(x.grad), np.ones((2, 3)))
    x.cleargrad()
    assert x.grad is None
