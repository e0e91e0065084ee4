"""The name plugins written before the declaration moved import it by: ``Arg``, ``Sample``,
``checked`` and the rest live in :mod:`dezero_core.functions.spec`."""
from dezero_core.functions.spec import Arg, Check, Reference, Sample, check_of, checked

__all__ = ["Arg", "Check", "Reference", "Sample", "check_of", "checked"]
