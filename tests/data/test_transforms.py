"""Transforms: hand-computed results, dtypes kept, Pillow transforms when Pillow is there."""
import numpy as np
import pytest

from dezero_core.data import transforms as T


def test_normalize_scalar_mean_and_std():
    x = np.array([[0.0, 2.0], [4.0, 6.0]], dtype=np.float32)
    np.testing.assert_array_equal(T.Normalize(2.0, 2.0)(x), [[-1, 0], [1, 2]])


def test_normalize_keeps_float32():
    assert T.Normalize(0.5, 0.25)(np.ones((2, 3), np.float32)).dtype == np.float32


def test_normalize_turns_integer_pixels_into_float32_not_float64():
    assert T.Normalize(0.0, 255.0)(np.full((2, 3), 255, np.uint8)).dtype == np.float32


def test_normalize_per_channel_of_image_batches():
    x = np.ones((2, 3, 4, 4), np.float32)
    y = T.Normalize(mean=[0.0, 1.0, 2.0], std=[1.0, 1.0, 0.5])(x)
    np.testing.assert_array_equal(y[:, :, 0, 0], [[1, 0, -2], [1, 0, -2]])


def test_normalize_per_feature_of_flat_batches():
    y = T.Normalize(mean=[1.0, 2.0], std=[1.0, 4.0])(np.array([[1.0, 6.0]], np.float32))
    np.testing.assert_array_equal(y, [[0.0, 1.0]])


def test_flatten_keeps_the_batch_axis():
    assert T.Flatten()(np.zeros((5, 1, 28, 28))).shape == (5, 784)


def test_astype_by_name():
    assert T.AsType("int32")(np.ones(3, np.float64)).dtype == np.int32


def test_tofloat_and_toint_defaults():
    assert T.ToFloat()(np.ones(2, np.uint8)).dtype == np.float32
    assert T.ToInt()(np.ones(2, np.float32)).dtype == np.int64


def test_unknown_dtype_name_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown dtype 'float31'"):
        T.AsType("float31")(np.ones(2))


def test_compose_applies_in_order():
    x = np.array([[[1, 2], [3, 4]]], np.uint8)
    y = T.Compose([T.Flatten(), T.ToFloat(), T.Normalize(1.0, 2.0)])(x)
    np.testing.assert_array_equal(y, [[0.0, 0.5, 1.0, 1.5]])


def test_compose_of_batched_transforms_is_batched():
    assert T.Compose([T.Flatten(), T.ToFloat()]).batched
    assert not T.Compose([T.Flatten(), lambda x: x]).batched


def test_mixed_compose_runs_batched_parts_on_a_batch_of_one():
    y = T.Compose([lambda img: img + 1, T.Flatten()])(np.zeros((2, 2), np.float32))
    np.testing.assert_array_equal(y, [1, 1, 1, 1])


def test_pillow_transforms_make_chw_arrays():
    Image = pytest.importorskip("PIL.Image")
    img = Image.fromarray(np.arange(48, dtype=np.uint8).reshape(4, 4, 3))
    chain = T.Compose([T.Convert("RGB"), T.Resize(4), T.CenterCrop(2), T.ToArray()])
    y = chain(img)
    assert y.shape == (3, 2, 2) and y.dtype == np.float32
    np.testing.assert_array_equal(y[:, 0, 0], [15, 16, 17])  # pixel (row 1, col 1) of the 4×4 image


def test_pillow_round_trip_through_to_pil():
    Image = pytest.importorskip("PIL.Image")
    x = np.arange(12, dtype=np.float32).reshape(3, 2, 2)
    img = T.ToPIL()(x)
    assert img.size == (2, 2) and img.mode == "RGB"
    np.testing.assert_array_equal(T.ToArray()(img), x)


def test_center_crop_larger_than_the_image_is_an_error():
    Image = pytest.importorskip("PIL.Image")
    with pytest.raises(ValueError, match="larger than the image"):
        T.CenterCrop(8)(Image.new("L", (4, 4)))


def test_image_transforms_without_pillow_say_how_to_get_it(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "PIL", None)  # as if Pillow were not installed
    monkeypatch.delitem(sys.modules, "dezero_core.data.image", raising=False)
    with pytest.raises(ImportError, match="pip install pillow"):
        T.Resize


def test_unknown_transform_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="Blur"):
        T.Blur
