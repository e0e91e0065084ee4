"""Weights files: safetensors written and read, the book's npz files read, damaged files named."""
from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest
from safetensors.numpy import load_file, save_file

from dezero_core.layers import Layer, Linear
from dezero_core.serialization import WeightsFileError, load_arrays, save_arrays


class Net(Layer):
    def __init__(self, seed: int = 0) -> None:
        super().__init__()
        import dezero_core

        dezero_core.random.seed(seed)
        self.l1 = Linear(4, in_size=3)
        self.l2 = Linear(2, in_size=4)


def test_weights_are_written_in_the_safetensors_layout(tmp_path):
    net = Net()
    net.save_weights(tmp_path / "w")
    loaded = load_file(tmp_path / "w")  # the safetensors library reads our files
    assert sorted(loaded) == ["l1/W", "l1/b", "l2/W", "l2/b"]
    np.testing.assert_array_equal(loaded["l1/W"], net.l1.W.data)
    assert loaded["l1/W"].dtype == np.float32


def test_a_file_of_the_safetensors_library_loads(tmp_path):
    source = Net(0).state_dict()
    save_file({k: np.ascontiguousarray(v) for k, v in source.items()}, tmp_path / "w.safetensors")
    net = Net(1)
    net.load_weights(tmp_path / "w.safetensors")
    for name, array in source.items():
        np.testing.assert_array_equal(net.state_dict()[name], array)


@pytest.mark.parametrize("dtype", ["bool", "uint8", "int16", "int32", "int64", "float16", "float32", "float64"])
def test_every_plain_dtype_round_trips_with_its_values(tmp_path, dtype):
    arrays = {"a": (np.arange(-3, 9).reshape(3, 4) % 7).astype(dtype), "scalar": np.asarray(3, dtype),
              "empty": np.zeros((0, 2), dtype), "transposed": np.arange(6).reshape(2, 3).T.astype(dtype)}
    save_arrays(tmp_path / "w", arrays)
    back = load_arrays(tmp_path / "w")
    for name, array in arrays.items():
        assert back[name].dtype == array.dtype and back[name].flags.writeable
        np.testing.assert_array_equal(back[name], array)


def test_the_books_npz_weights_still_load_in_c_and_fortran_order(tmp_path):
    source = Net(0).state_dict()
    stored = {k: np.asfortranarray(v) if k == "l1/W" else v for k, v in source.items()}
    np.savez(tmp_path / "book.npz", **stored)  # what the book's save_weights writes
    net = Net(1)
    net.load_weights(tmp_path / "book.npz")
    for name, array in source.items():
        np.testing.assert_array_equal(net.state_dict()[name], array)


def test_compressed_npz_loads(tmp_path):
    np.savez_compressed(tmp_path / "c.npz", data=np.arange(5.0), label=np.array([1, 2], np.int8))
    back = load_arrays(tmp_path / "c.npz")
    np.testing.assert_array_equal(back["data"], np.arange(5.0))
    assert back["label"].dtype == np.int8


@pytest.mark.parametrize("content,fault", [
    (b"", "is truncated: 0 bytes"),
    (bytes(range(256)) * 4, "is truncated or not a safetensors file"),
    (b"\x05\x00\x00\x00\x00\x00\x00\x00{bad}", "has a damaged header .not JSON"),
    (b"PK\x03\x04 and then nothing", "is a damaged or truncated zip archive"),
    # a forged header nested deeper than the JSON parser recurses (was a bare RecursionError)
    ((400_000).to_bytes(8, "little") + b"[" * 200_000 + b"]" * 200_000, "has a damaged header .not JSON"),
])
def test_a_damaged_file_is_named_with_what_is_wrong(tmp_path, content, fault):
    (tmp_path / "w.npz").write_bytes(content)
    with pytest.raises(WeightsFileError, match=rf"cannot load weights from .*w\.npz: it {fault}"):
        Net().load_weights(tmp_path / "w.npz")


def test_a_truncated_weights_file_is_named(tmp_path):
    Net().save_weights(tmp_path / "w")
    (tmp_path / "w").write_bytes((tmp_path / "w").read_bytes()[:-7])
    with pytest.raises(WeightsFileError, match=r"w: it is truncated: its header describes 104 bytes of data, the file holds 97"):
        Net().load_weights(tmp_path / "w")


def test_a_truncated_npz_is_named(tmp_path):
    np.savez(tmp_path / "w.npz", **Net().state_dict())
    (tmp_path / "w.npz").write_bytes((tmp_path / "w.npz").read_bytes()[:300])
    with pytest.raises(WeightsFileError, match=r"w\.npz: it is a damaged or truncated zip archive"):
        Net().load_weights(tmp_path / "w.npz")


@pytest.mark.parametrize("array,what", [
    (np.array([{"a": 1}], dtype=object), "'|O'"),
    (np.zeros(2, dtype=[("a", "<f4"), ("b", "<i4")]), r"\[\('a', '<f4'\), \('b', '<i4'\)\]"),
    (np.array(["x", "yz"]), "'<U2'"),
    (np.zeros(2, np.complex64), "'<c8'"),
])
def test_npz_arrays_other_than_plain_numbers_are_refused_before_use(tmp_path, array, what):
    np.savez(tmp_path / "w.npz", a=array)
    with pytest.raises(WeightsFileError, match=rf"holds 'a' with dtype {what}; only plain numeric and boolean"):
        load_arrays(tmp_path / "w.npz")


def test_a_safetensors_dtype_we_do_not_read_is_refused(tmp_path):
    header = b'{"a":{"dtype":"BF16","shape":[1],"data_offsets":[0,2]}}'
    (tmp_path / "w").write_bytes(len(header).to_bytes(8, "little") + header + b"\0\0")
    with pytest.raises(WeightsFileError, match="holds 'a' with dtype 'BF16'"):
        load_arrays(tmp_path / "w")


def test_overlapping_arrays_are_refused(tmp_path):
    header = (b'{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},'
              b'"b":{"dtype":"U8","shape":[2],"data_offsets":[1,3]}}')
    (tmp_path / "w").write_bytes(len(header).to_bytes(8, "little") + header + b"\0\0\0")
    with pytest.raises(WeightsFileError, match="the data of 'b' starts at byte 1, expected 2"):
        load_arrays(tmp_path / "w")


def test_integer_and_string_arrays_cannot_be_saved_as_objects(tmp_path):
    with pytest.raises(TypeError, match="cannot save 'a': dtype 'str32' cannot be stored"):
        save_arrays(tmp_path / "w", {"a": np.array(["x"])})
    assert not (tmp_path / "w").exists()


def test_an_array_named_like_the_formats_metadata_is_refused_before_writing(tmp_path):
    # it used to be written, and the file then failed to load ("damaged metadata")
    with pytest.raises(ValueError, match=r"cannot be named '__metadata__'.*rename it"):
        save_arrays(tmp_path / "w", {"__metadata__": np.ones(2)})
    assert not (tmp_path / "w").exists()
