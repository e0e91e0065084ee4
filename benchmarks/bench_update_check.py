"""What Optimizer.update()'s all-or-nothing check (``check_update``: every parameter writable, every
gradient of its parameter's shape, before anything changes) costs, against one whole Adam update.

Workload: MLP 784-100-10 (4 parameters), one backward of a batch of 100, then repeated updates.
Nine rounds alternate 20000 checks and 500 updates; printed: the medians, and the check as a share
of an update (which includes it). Run with ``OPENBLAS_NUM_THREADS=1 python benchmarks/bench_update_check.py``.
"""
import statistics
import time

import numpy as np

import dezero_core
from dezero_core import functions as F
from dezero_core.models import MLP
from dezero_core.optimizers import Adam

dezero_core.random.seed(0)
model = MLP((100, 10), in_size=784)
optimizer = Adam().setup(model)
x = np.random.default_rng(0).standard_normal((100, 784)).astype(np.float32)
model.cleargrads()
F.softmax_cross_entropy(model(x), np.arange(100) % 10).backward()
named = model.named_param_list()


def per_call(fn, n: int) -> float:
    """Seconds per call of ``fn``."""
    start = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - start) / n


checks, updates = [], []
for _ in range(9):
    checks.append(per_call(lambda: optimizer.check_update(named), 20000))
    updates.append(per_call(optimizer.update, 500))
check, update = statistics.median(checks), statistics.median(updates)
print(f"check_update {check * 1e6:.2f} us, update() {update * 1e6:.1f} us (check included): "
      f"the check is {check / update:.2%} of an update")
