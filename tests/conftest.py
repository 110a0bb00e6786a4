"""Test-wide settings.

One math thread per process: the models under test are tiny, and several processes (Dask workers,
subprocess writers, servers) share two cores; multi-threaded BLAS/OpenMP spinning under that contention
made tiny-model generation ~40x slower.
"""

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")  # tests never reach for a model hub

import torch  # noqa: E402

torch.set_num_threads(1)
