"""Flush-to-zero of denormal floats on the calling CPU thread, through glibc's fegetmode/fesetmode.

Arithmetic on denormals (float32 magnitudes below 1.2e-38) takes a microcode assist on x86, about
100x slower than on normal numbers. Training drives values there and keeps them there: Adam's first
moment of a weight whose gradient is always exactly zero (an always-black pixel) decays by 0.9 per
step into the denormals, where ``0.9 * smallest denormal`` rounds back to itself, so every later
update of those entries pays the assist. Flushing (results to zero, and denormal inputs read as
zero) removes it, as TensorFlow does by default and ``torch.set_flush_denormal(True)`` does.

The mode is a register of each CPU thread: it applies to the calling thread and to threads that
thread starts afterwards (Linux copies the register into a new thread), not to threads already
running (a BLAS pool started earlier keeps its own mode).

Supported on Linux with glibc on x86_64 (MXCSR: FTZ and DAZ) and aarch64 (FPCR: FZ, which flushes
inputs and results alike); anywhere else :func:`unsupported_reason` says why and nothing changes.
"""
from __future__ import annotations

import contextlib
import ctypes
import os
import sys
from typing import Iterator

#: per architecture, glibc's ``femode_t`` as 32-bit words: (words, index of the word, its flush bits)
#: - x86_64: ``{unsigned short control_word; unsigned short reserved; unsigned int mxcsr}``;
#:   MXCSR bit 15 (FTZ: flush results) | bit 6 (DAZ: read denormal inputs as zero)
#: - aarch64: ``unsigned int``, the FPCR; bit 24 (FZ)
LAYOUTS = {"x86_64": (2, 1, 0x8040), "aarch64": (1, 0, 1 << 24)}


class _FloatMode:
    """The flush bits of this thread's floating-point mode, read and written through libm."""

    def __init__(self, libm: ctypes.CDLL, words: int, index: int, mask: int) -> None:
        self._mode_type = ctypes.c_uint32 * words
        self._index, self._mask = index, mask
        self._get, self._set = libm.fegetmode, libm.fesetmode
        for function in (self._get, self._set):
            function.argtypes, function.restype = [ctypes.c_void_p], ctypes.c_int

    def _read(self) -> ctypes.Array:
        mode = self._mode_type()
        if self._get(mode) != 0:
            raise OSError("fegetmode failed to read the floating-point mode")
        return mode

    def _write(self, mode: ctypes.Array) -> None:
        if self._set(mode) != 0:
            raise OSError(f"fesetmode refused the floating-point mode {list(mode)}")

    def flushing(self) -> bool:
        return self._read()[self._index] & self._mask == self._mask

    def switch(self, flush: bool) -> tuple[int, ...] | None:
        """Set (``flush``) or clear every flush bit; the mode's words before, to :meth:`restore`, or
        None when the bits were so already (one read, and a write only where something changes)."""
        mode = self._read()
        word = mode[self._index]
        wanted = word | self._mask if flush else word & ~self._mask
        if wanted == word:
            return None
        previous = tuple(mode)
        mode[self._index] = wanted
        self._write(mode)
        return previous

    def restore(self, previous: tuple[int, ...]) -> None:
        """Write back exactly the words :meth:`switch` found (x86's FTZ without DAZ stays so)."""
        self._write(self._mode_type(*previous))


def _load() -> tuple[_FloatMode | None, str | None]:
    """(the mode of this platform, None) or (None, why it is unsupported)."""
    if not sys.platform.startswith("linux"):
        return None, f"flushing denormals needs Linux with glibc; this is {sys.platform}"
    machine = os.uname().machine
    if machine not in LAYOUTS or ctypes.sizeof(ctypes.c_void_p) != 8:
        return None, (f"flushing denormals is implemented for 64-bit x86_64 and aarch64; this is {machine} "
                      f"with {8 * ctypes.sizeof(ctypes.c_void_p)}-bit pointers")
    try:
        libc = os.confstr("CS_GNU_LIBC_VERSION") or ""
    except (ValueError, OSError):  # not glibc (musl): femode_t's layout is glibc's
        libc = ""
    if not libc.startswith("glibc"):
        return None, "flushing denormals needs glibc (fegetmode/fesetmode); this C library is not glibc"
    try:
        return _FloatMode(ctypes.CDLL("libm.so.6"), *LAYOUTS[machine]), None
    except (OSError, AttributeError) as exc:  # glibc < 2.25 has no fegetmode
        return None, f"flushing denormals needs fegetmode/fesetmode of glibc >= 2.25 ({libc}): {exc}"


_MODE, _UNSUPPORTED = _load()


def unsupported_reason() -> str | None:
    """Why flushing denormals is unsupported on this platform, or None when it is supported."""
    return _UNSUPPORTED


@contextlib.contextmanager
def compute_scope(flush_denormals: bool = True) -> Iterator[bool]:
    """Flush denormals on this thread (or, ``flush_denormals=False``, keep them exact) inside the
    block, then restore the mode found; yields False, changing nothing, where unsupported."""
    if _MODE is None:
        yield False
        return
    previous = _MODE.switch(flush_denormals)
    try:
        yield True
    finally:
        if previous is not None:
            _MODE.restore(previous)


def is_flushing() -> bool:
    """Whether this thread flushes denormals now (every flush bit set; False where unsupported)."""
    return _MODE is not None and _MODE.flushing()
