"""PyTorch side of the tutorial-CNN training benchmark (optional: runs only if Debian's
python3-torch is installed). Conv2d(1 -> 32, 3x3) -> ReLU -> MaxPool2d(2) -> Flatten ->
Linear(5408 -> 10), Adam, batch 64. Protocol on stdin/stdout, one line each:
  init <threads> <weights.bin> <data.bin> <n>   -> ok
  loss                                          -> the forward loss on the first batch
  fit <samples>                                 -> ok, after training one epoch over that many samples
The weights arrive in the Keras layouts (conv HWIO, dense [in, out] over an NHWC flatten) and are
converted, so both sides compute the same function.
"""
import sys
import numpy as np
import torch
from threads import set_threads

model = opt = x = y = None
BATCH = 64


def init(threads, weights_path, data_path, n):
    global model, opt, x, y
    set_threads(threads)
    w = np.fromfile(weights_path, dtype=np.float32)
    d = np.fromfile(data_path, dtype=np.float32)
    model = torch.nn.Sequential(
        torch.nn.Conv2d(1, 32, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2), torch.nn.Flatten(), torch.nn.Linear(32 * 13 * 13, 10)
    )
    sizes = [9 * 32, 32, 13 * 13 * 32 * 10, 10]
    parts = np.split(w, np.cumsum(sizes)[:-1])
    with torch.no_grad():
        # HWIO [3, 3, 1, 32] -> OIHW [32, 1, 3, 3]
        model[0].weight.copy_(torch.from_numpy(parts[0].reshape(3, 3, 1, 32).transpose(3, 2, 0, 1).copy()))
        model[0].bias.copy_(torch.from_numpy(parts[1]))
        # Keras rows are indexed (h, w, c); torch's flatten of NCHW is (c, h, w).
        dense = parts[2].reshape(13, 13, 32, 10).transpose(2, 0, 1, 3).reshape(13 * 13 * 32, 10)
        model[4].weight.copy_(torch.from_numpy(dense.T.copy()))
        model[4].bias.copy_(torch.from_numpy(parts[3]))
    # NHWC with C = 1 is NCHW after a reshape.
    x = torch.from_numpy(d[: n * 784].reshape(n, 1, 28, 28).copy())
    y = torch.from_numpy(d[n * 784 : n * 794].reshape(n, 10).copy()).argmax(1)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)


def fit(samples):
    perm = torch.randperm(samples)
    lossf = torch.nn.CrossEntropyLoss()
    for i in range(0, samples, BATCH):
        idx = perm[i : i + BATCH]
        opt.zero_grad()
        loss = lossf(model(x[idx]), y[idx])
        loss.backward()
        opt.step()


for line in sys.stdin:
    parts = line.split()
    if not parts:
        continue
    if parts[0] == "init":
        init(int(parts[1]), parts[2], parts[3], int(parts[4]))
        print("ok", flush=True)
    elif parts[0] == "loss":
        with torch.no_grad():
            out = torch.nn.functional.cross_entropy(model(x[:BATCH]), y[:BATCH])
        print(float(out), flush=True)
    elif parts[0] == "fit":
        fit(int(parts[1]))
        print("ok", flush=True)
