"""PyTorch side of the MLP training benchmark (optional: runs only if Debian's python3-torch is
installed; nothing in tensorforge needs Python). Protocol on stdin/stdout, one line each:
  init <threads> <weights.bin> <data.bin> <n>   -> ok
  loss                                          -> the forward loss on the first batch
  fit <samples>                                 -> ok, after training one epoch over that many samples
"""
import sys
import numpy as np
import torch
from threads import set_threads

model = opt = x = y = None
BATCH = 128


def init(threads, weights_path, data_path, n):
    global model, opt, x, y
    set_threads(threads)
    w = np.fromfile(weights_path, dtype=np.float32)
    d = np.fromfile(data_path, dtype=np.float32)
    model = torch.nn.Sequential(torch.nn.Linear(784, 512), torch.nn.ReLU(), torch.nn.Linear(512, 10))
    sizes = [784 * 512, 512, 512 * 10, 10]
    parts = np.split(w, np.cumsum(sizes)[:-1])
    with torch.no_grad():
        # Our kernels are [in, out] (Keras layout); torch.nn.Linear stores [out, in].
        model[0].weight.copy_(torch.from_numpy(parts[0].reshape(784, 512).T.copy()))
        model[0].bias.copy_(torch.from_numpy(parts[1]))
        model[2].weight.copy_(torch.from_numpy(parts[2].reshape(512, 10).T.copy()))
        model[2].bias.copy_(torch.from_numpy(parts[3]))
    x = torch.from_numpy(d[: n * 784].reshape(n, 784).copy())
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
