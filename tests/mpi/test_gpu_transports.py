"""The GPU paths of the gradients' allreduce: NCCL, CUDA-aware MPI, and host memory staging of
GPU arrays, each running the equivalence program of test_equivalence.py on the cupy backend.

They need NVIDIA GPUs and cupy, and skip with the reason elsewhere: nothing here is emulated.
"""
import subprocess
import sys

import numpy as np
import pytest

from launch import PROGRAMS, launch

sys.path.insert(0, str(PROGRAMS))
import equivalence  # noqa: E402


def _gpus() -> int:
    try:
        import cupy

        return cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:  # no cupy, no driver, no device
        pytest.skip(f"no usable NVIDIA GPU here ({type(exc).__name__}: {exc}); the NCCL, CUDA-aware MPI and "
                    f"GPU host-staging paths run only on a machine with GPUs and cupy")


def _cuda_aware() -> bool:
    probe = "from dezero_mpi.transports import cuda_aware_mpi; print(cuda_aware_mpi())"
    return subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60).stdout.strip() == "True"


@pytest.mark.parametrize("transport", ["nccl", "cuda-aware-mpi", "host"])
def test_two_gpu_ranks_end_with_the_weights_of_one_cpu_process(tmp_path, transport):
    gpus = _gpus()
    if gpus < 1:
        pytest.skip("cupy sees no GPU")
    if transport == "nccl" and gpus < 2:
        pytest.skip(f"NCCL needs a GPU per rank and this machine has {gpus}")
    if transport == "cuda-aware-mpi" and not _cuda_aware():
        pytest.skip("this MPI library is not CUDA-aware (the mpich wheel is not); a site MPI built with CUDA is")
    out = tmp_path / "weights.npz"
    run = launch(2, ["python", str(PROGRAMS / "equivalence.py"), str(out)], timeout=120,
                 env={"DEZERO_BACKEND": "cupy", "DEZERO_MPI_TRANSPORT": transport})
    assert run.returncode == 0, run.stderr
    weights = np.load(out)
    for optimizer, dtype in equivalence.CASES:
        for name, expected in equivalence.train(optimizer, dtype).items():
            atol = 1e-12 if dtype == "float64" else 8 * np.finfo(np.float32).eps
            np.testing.assert_allclose(weights[f"{optimizer}/{dtype}/{name}"], expected, rtol=0, atol=atol)
