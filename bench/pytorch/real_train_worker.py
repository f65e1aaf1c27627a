"""PyTorch side of the real-network training cases (bench/cases/real-train.mjs; optional: runs only
if Debian's python3-torch and python3-torchvision are installed). Trains torchvision's module with
the weights of the ONNX file tensorforge imports (<name>-train.pt, written beside it by
bench/models/export-real-models.py): train mode (BatchNorm on batch statistics, running statistics
updated by momentum), SGD with momentum, cross-entropy on integer labels. Protocol on stdin/stdout,
one line each:
  init <threads> <name> <weights.pt> <data.bin> <batch> <size> <lr> <momentum>  -> ok
  logits                        -> the eval-mode logits of the batch, comma-separated (the cross-check)
  steploss                      -> the loss of one training step on the batch (taken before its update)
  step                          -> ok, after one training step on the batch
data.bin holds the images (batch x 3 x size x size float32) then the labels (batch float32).
"""
import sys
import numpy as np
import torch
from threads import set_threads
import torchvision.models as tvm

model = opt = x = y = None
lossf = torch.nn.CrossEntropyLoss()


def init(threads, name, weights, data, batch, size, lr, momentum):
    global model, opt, x, y
    set_threads(threads)
    model = getattr(tvm, name)(weights=None)
    model.load_state_dict(torch.load(weights))
    for m in model.modules():
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
            m.momentum = 0.1
        # The ONNX file is exported from eval mode, where Dropout (mobilenet_v2's classifier) is
        # the identity: both sides train the same function without it.
        if isinstance(m, torch.nn.Dropout):
            m.p = 0.0
    d = np.fromfile(data, dtype=np.float32)
    n = batch * 3 * size * size
    x = torch.from_numpy(d[:n].reshape(batch, 3, size, size).copy())
    y = torch.from_numpy(d[n:n + batch].astype(np.int64))
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)


def step():
    model.train()
    opt.zero_grad(set_to_none=True)
    loss = lossf(model(x), y)
    loss.backward()
    opt.step()
    return loss


for line in sys.stdin:
    parts = line.split()
    if not parts:
        continue
    if parts[0] == 'init':
        init(int(parts[1]), parts[2], parts[3], parts[4], int(parts[5]), int(parts[6]), float(parts[7]), float(parts[8]))
        print('ok', flush=True)
    elif parts[0] == 'logits':
        model.eval()
        with torch.no_grad():
            out = model(x)
        print(','.join(f'{v:.7g}' for v in out.flatten().tolist()), flush=True)
    elif parts[0] == 'steploss':
        print(float(step()), flush=True)
    elif parts[0] == 'step':
        step()
        print('ok', flush=True)
