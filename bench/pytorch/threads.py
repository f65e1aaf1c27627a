"""Thread count of a PyTorch worker, BLAS included.

torch.set_num_threads sets PyTorch's OpenMP pool only. Debian's torch does its GEMMs in the system
BLAS, and OpenBLAS keeps its own pthread pool sized to the machine: with set_num_threads(1) the MLP
worker's second OpenBLAS thread still did 29% of the CPU work of its fit (per-thread times from
/proc/self/task), so a "1 thread" PyTorch column was ~1.4 cores. The BLAS pool gets the same count.
"""
import ctypes
import torch


def set_threads(threads):
    torch.set_num_threads(threads)
    # libtorch loads the BLAS privately (RTLD_LOCAL), so it is found by path among the mapped
    # files: dlopen of an already loaded library returns that same copy. The reference BLAS has
    # no pool (and no such function) and is left as it is.
    with open("/proc/self/maps") as maps:
        paths = {line.split()[-1] for line in maps if "blas" in line and line.rstrip().endswith(".so.3")}
    for lib in sorted(paths):
        setter = getattr(ctypes.CDLL(lib), "openblas_set_num_threads", None)
        if setter is not None:
            setter(ctypes.c_int(threads))
