"""Checkpoint write and read: format 2 (safetensors + JSON, today's) against format 1 (the pickle
dezero-core wrote before, re-created here as it was written), on the state of a Trainer of an MLP
784-1000-10 after one Adam step (~9.5 MB: weights and both moments, float32).

Seven A/B pairs (5 calls each) alternate the two formats so that a shared machine's load falls on
both; printed: file sizes and the format-2/format-1 time ratios (medians). Reading format 1 goes
through today's reader (the inert-stand-in unpickler), the only way it is read now. Run with
``OPENBLAS_NUM_THREADS=1 python benchmarks/bench_checkpoint_format.py``.
"""
import hashlib
import os
import pickle
import shutil
import statistics
import tempfile
import time

import numpy as np

import dezero_core
from dezero_core import functions as F
from dezero_core.models import MLP
from dezero_core.optimizers import Adam
from dezero_core.training import Trainer, load_checkpoint, save_checkpoint
from dezero_core.serialization import atomic_write
from dezero_core.training.checkpoint import MAGIC

dezero_core.random.seed(0)
model = MLP((1000, 10), in_size=784)
opt = Adam().setup(model)
model.cleargrads()
F.softmax_cross_entropy(model(np.ones((2, 784), np.float32)), np.array([0, 1])).backward()
opt.update()
trainer = Trainer(model, F.softmax_cross_entropy, opt, [])
state = trainer.state_dict()
folder = tempfile.mkdtemp()
new, old = os.path.join(folder, "new.dzc"), os.path.join(folder, "old.dzc")


def write_old() -> None:
    """What save_checkpoint did before: pickle, length, SHA-256, atomic write (temp, fsync, rename)."""
    payload = pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL)
    header = MAGIC + len(payload).to_bytes(8, "big") + hashlib.sha256(payload).digest()
    atomic_write(old, lambda f: (f.write(header), f.write(payload)))


def timed(fn, n: int = 5) -> float:
    """Seconds per call of ``fn``."""
    start = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - start) / n


w, r = [], []
for _ in range(7):
    w.append(timed(lambda: save_checkpoint(new, state)) / timed(write_old))
    r.append(timed(lambda: load_checkpoint(new)) / timed(lambda: load_checkpoint(old)))
print(f"size: format 2 {os.path.getsize(new)} B, format 1 {os.path.getsize(old)} B")
print(f"write format 2 / format 1: median {statistics.median(w):.2f} ({', '.join(f'{x:.2f}' for x in w)})")
print(f"read  format 2 / format 1 (both through today's safe readers): median {statistics.median(r):.2f} "
      f"({', '.join(f'{x:.2f}' for x in r)}); format 2 read {timed(lambda: load_checkpoint(new)) * 1e3:.1f} ms")
shutil.rmtree(folder)
