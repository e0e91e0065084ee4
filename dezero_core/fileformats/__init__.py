"""The file formats of weights and checkpoints, read without trusting the file.

:mod:`.safetensors` is what the project writes; :mod:`.npz` and :mod:`.legacy_checkpoint` read the
files of earlier versions. Every reader checks a file's structure before it creates any array, allows
only the plain numeric and boolean dtypes of :data:`dezero_core.backend.host_io.DTYPES`, and raises
:class:`FileFormatError` saying what is wrong; callers add the file's path.
"""
from __future__ import annotations


class FileFormatError(ValueError):
    """A file that is not what it claims to be: damaged, truncated, forged or of another format."""


__all__ = ["FileFormatError"]
