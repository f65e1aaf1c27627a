#!/usr/bin/python3
"""Exports the networks of the bench group `real` (npm run bench -- --only real) as ONNX files.

A dev tool: Debian python3-torch + python3-torchvision, run with /usr/bin/python3. Users never need
it. Weights are random (weights=None, fixed seed): the bench measures speed, and random weights give
the same work as trained ones while needing no download. BatchNorm statistics are calibrated on
random inputs so activations keep a realistic scale (calibrate_batch_norm). Every model is exported in eval mode with
a dynamic batch axis, into a folder outside the repository (the files are large):

    /usr/bin/python3 bench/models/export-real-models.py [DIR] [--only name,name]

DIR defaults to $TENSORFORGE_REAL_MODELS, else ~/.cache/tensorforge/real-models. A manifest.json
beside the models lists each file's inputs (name, shape with 'N' for the batch axis, dtype) so the
bench can build inputs without parsing the graph.

The training cases of group `train` (resnet18, mobilenet_v2: TRAIN_MODELS) get a second export,
<name>-train.onnx: exported with training=TrainingMode.PRESERVE from eval mode, so BatchNormalization
nodes stay in the graph (an eval export folds them into the convolutions, leaving nothing to train
in batch-statistics mode), and with dynamic image height and width so the bench can train at a
smaller size for quick runs. Beside it, <name>-train.pt holds the same weights as a state_dict for
the PyTorch side of the case (bench/pytorch/real_train_worker.py), so both train one function.
Names in --only may be either list's (`--only train:resnet18` exports only the training copy).

    /usr/bin/python3 bench/models/export-real-models.py [DIR] --extra [--only name,name]

exports EXTRA_MODELS instead, a wider net of architectures and exporter settings (grouped and
inception-style convolutions, SE blocks, fused MBConv, a Swin and a ViT-B/16, segmentation heads
with bilinear Resize, older opsets, initializers listed as graph inputs, no constant folding,
dynamic image size), by default into ~/.cache/tensorforge/real-models-extra. The bench measures them
like the main set: npm run bench -- --only real --models ~/.cache/tensorforge/real-models-extra
"""
import json
import math
import os
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

OPSET = 17
SEED = 1234


def default_dir(extra=False):
    env = os.environ.get('TENSORFORGE_REAL_MODELS')
    if env and not extra:
        return env
    return os.path.join(os.path.expanduser('~'), '.cache', 'tensorforge', 'real-models-extra' if extra else 'real-models')


# --- hand-built small transformer and U-Net models -------------------------------------------


class Block(nn.Module):
    """Pre-norm transformer block (Q/K/V projections, softmax attention, GELU MLP); causal when seq is given."""

    def __init__(self, d, heads, seq=None):
        super().__init__()
        self.heads = heads
        self.ln1 = nn.LayerNorm(d)
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.ln2 = nn.LayerNorm(d)
        self.fc1 = nn.Linear(d, 4 * d)
        self.fc2 = nn.Linear(4 * d, d)
        self.causal = seq is not None
        if self.causal:
            self.register_buffer('mask', torch.triu(torch.full((seq, seq), float('-inf')), diagonal=1))

    def forward(self, x):
        b, t, d = x.shape
        h = self.heads
        q, k, v = self.qkv(self.ln1(x)).split(d, dim=2)
        q = q.reshape(b, t, h, d // h).transpose(1, 2)
        k = k.reshape(b, t, h, d // h).transpose(1, 2)
        v = v.reshape(b, t, h, d // h).transpose(1, 2)
        att = (q @ k.transpose(2, 3)) / math.sqrt(d // h)
        if self.causal:
            att = att + self.mask[:t, :t]
        y = (att.softmax(-1) @ v).transpose(1, 2).reshape(b, t, d)
        x = x + self.proj(y)
        return x + self.fc2(F.gelu(self.fc1(self.ln2(x))))


class SmallViT(nn.Module):
    """ViT: patch 4 on 32x32x3 (64 patches), d=64, 2 pre-norm encoder blocks, 4 heads, class token."""

    def __init__(self, d=64, layers=2, heads=4, patch=4, image=32, classes=10):
        super().__init__()
        self.patch = nn.Conv2d(3, d, patch, stride=patch)
        n = (image // patch) ** 2
        self.cls = nn.Parameter(torch.randn(1, 1, d) * 0.02)
        self.pos = nn.Parameter(torch.randn(1, n + 1, d) * 0.02)
        # Blocks written out: nn.TransformerEncoderLayer in eval mode takes a fused fast path that
        # torch.onnx cannot export.
        self.blocks = nn.ModuleList([Block(d, heads) for _ in range(layers)])
        self.norm = nn.LayerNorm(d)
        self.head = nn.Linear(d, classes)

    def forward(self, x):
        x = self.patch(x).flatten(2).transpose(1, 2)
        cls = self.cls.expand(x.shape[0], -1, -1)
        x = torch.cat([cls, x], dim=1) + self.pos
        for blk in self.blocks:
            x = blk(x)
        return self.head(self.norm(x[:, 0]))


class SmallGPT(nn.Module):
    """GPT decoder: vocab 256, seq 32, d=64, 2 causal blocks, 4 heads; int64 tokens in, logits out."""

    def __init__(self, vocab=256, d=64, layers=2, heads=4, seq=32):
        super().__init__()
        self.tok = nn.Embedding(vocab, d)
        self.pos = nn.Parameter(torch.randn(1, seq, d) * 0.02)
        self.blocks = nn.ModuleList([Block(d, heads, seq) for _ in range(layers)])
        self.norm = nn.LayerNorm(d)
        self.head = nn.Linear(d, vocab, bias=False)

    def forward(self, tokens):
        x = self.tok(tokens) + self.pos
        for blk in self.blocks:
            x = blk(x)
        return self.head(self.norm(x))


def conv_block(cin, cout):
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU(),
        nn.Conv2d(cout, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU())


class SmallUNet(nn.Module):
    """U-Net on 64x64x3: 3 levels (16, 32, 64 channels) + bottleneck 128, ConvTranspose up, skip concats."""

    def __init__(self, base=16, classes=2):
        super().__init__()
        c = [base, base * 2, base * 4, base * 8]
        self.down = nn.ModuleList([conv_block(3, c[0]), conv_block(c[0], c[1]), conv_block(c[1], c[2])])
        self.mid = conv_block(c[2], c[3])
        self.up = nn.ModuleList([nn.ConvTranspose2d(c[i + 1], c[i], 2, stride=2) for i in (2, 1, 0)])
        self.dec = nn.ModuleList([conv_block(2 * c[i], c[i]) for i in (2, 1, 0)])
        self.out = nn.Conv2d(c[0], classes, 1)

    def forward(self, x):
        skips = []
        for blk in self.down:
            x = blk(x)
            skips.append(x)
            x = F.max_pool2d(x, 2)
        x = self.mid(x)
        for up, dec, skip in zip(self.up, self.dec, reversed(skips)):
            x = dec(torch.cat([up(x), skip], dim=1))
        return self.out(x)


# --- the list -------------------------------------------------------------------------------


def torchvision_model(name):
    def build():
        import torchvision.models as tvm
        return getattr(tvm, name)(weights=None)
    return build


IMAGE = {'name': 'input', 'shape': ['N', 3, 224, 224], 'dtype': 'float32'}

# name -> (builder, inputs). Order: cheap first, so a partial run still covers many families.
MODELS = {
    'vit_small': (SmallViT, [{'name': 'input', 'shape': ['N', 3, 32, 32], 'dtype': 'float32'}]),
    'gpt_small': (SmallGPT, [{'name': 'tokens', 'shape': ['N', 32], 'dtype': 'int64', 'max': 256}]),
    'unet_small': (SmallUNet, [{'name': 'input', 'shape': ['N', 3, 64, 64], 'dtype': 'float32'}]),
    'shufflenet_v2_x0_5': (torchvision_model('shufflenet_v2_x0_5'), [IMAGE]),
    'squeezenet1_1': (torchvision_model('squeezenet1_1'), [IMAGE]),
    'mobilenet_v3_small': (torchvision_model('mobilenet_v3_small'), [IMAGE]),
    'regnet_x_400mf': (torchvision_model('regnet_x_400mf'), [IMAGE]),
    'mobilenet_v2': (torchvision_model('mobilenet_v2'), [IMAGE]),
    'efficientnet_b0': (torchvision_model('efficientnet_b0'), [IMAGE]),
    'resnet18': (torchvision_model('resnet18'), [IMAGE]),
    'resnet50': (torchvision_model('resnet50'), [IMAGE]),
    'densenet121': (torchvision_model('densenet121'), [IMAGE]),
    'convnext_tiny': (torchvision_model('convnext_tiny'), [IMAGE]),
}


# --- the wider set (--extra) ---------------------------------------------------------------


class SegmentationOut(nn.Module):
    """torchvision's segmentation models return a dict; the exported graph's output is its 'out'."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        return self.model(x)['out']


def segmentation_model(name):
    def build():
        import torchvision.models.segmentation as seg
        kwargs = {'weights': None, 'weights_backbone': None}
        if name.startswith('deeplab'):
            kwargs['aux_loss'] = False
        return SegmentationOut(getattr(seg, name)(**kwargs))
    return build


def vit_b_16():
    import torchvision.models as tvm
    model = tvm.vit_b_16(weights=None)
    # torchvision zero-initializes the head: every output would be 0 and a cross-check vacuous.
    nn.init.normal_(model.heads.head.weight, std=0.02)
    # Under no_grad in eval mode, nn.MultiheadAttention takes a fused fast path the exporter refuses.
    model.export_with_grad = True
    return model


IMAGE_299 = {'name': 'input', 'shape': ['N', 3, 299, 299], 'dtype': 'float32'}
IMAGE_240 = {'name': 'input', 'shape': ['N', 3, 240, 240], 'dtype': 'float32'}

# name -> (builder, inputs, export options). Options: opset, and the exporter's own settings.
EXTRA_MODELS = {
    'mnasnet0_5': (torchvision_model('mnasnet0_5'), [IMAGE], {}),
    'shufflenet_v2_x1_0': (torchvision_model('shufflenet_v2_x1_0'), [IMAGE], {}),
    'mobilenet_v3_large': (torchvision_model('mobilenet_v3_large'), [IMAGE], {}),
    'regnet_y_400mf': (torchvision_model('regnet_y_400mf'), [IMAGE], {}),
    'squeezenet1_0': (torchvision_model('squeezenet1_0'), [IMAGE], {}),
    'alexnet': (torchvision_model('alexnet'), [IMAGE], {}),
    'lraspp_mobilenet_v3_large': (segmentation_model('lraspp_mobilenet_v3_large'), [IMAGE], {}),
    'deeplabv3_mobilenet_v3_large': (segmentation_model('deeplabv3_mobilenet_v3_large'), [IMAGE], {}),
    'efficientnet_b1': (torchvision_model('efficientnet_b1'), [IMAGE_240], {}),
    'googlenet': (lambda: __import__('torchvision.models', fromlist=['googlenet']).googlenet(weights=None, aux_logits=False, init_weights=True), [IMAGE], {}),
    'resnet34': (torchvision_model('resnet34'), [IMAGE], {}),
    'efficientnet_v2_s': (torchvision_model('efficientnet_v2_s'), [IMAGE], {}),
    'resnext50_32x4d': (torchvision_model('resnext50_32x4d'), [IMAGE], {}),
    'inception_v3': (lambda: __import__('torchvision.models', fromlist=['inception_v3']).inception_v3(weights=None, aux_logits=False, init_weights=True), [IMAGE_299], {}),
    'swin_t': (torchvision_model('swin_t'), [IMAGE], {}),
    'vit_b_16': (vit_b_16, [IMAGE], {}),
    # Exporter settings older or other tools use.
    'resnet18_opset11_initializers_as_inputs': (torchvision_model('resnet18'), [IMAGE], {'opset': 11, 'keep_initializers_as_inputs': True}),
    'mobilenet_v2_opset9': (torchvision_model('mobilenet_v2'), [IMAGE], {'opset': 9}),
    'efficientnet_b0_opset10': (torchvision_model('efficientnet_b0'), [IMAGE], {'opset': 10}),
    'mobilenet_v2_unfolded': (torchvision_model('mobilenet_v2'), [IMAGE], {'do_constant_folding': False}),
    'resnet18_dynamic_hw': (torchvision_model('resnet18'), [IMAGE], {'dynamic_hw': True}),
}


def example_input(spec, batch=1):
    shape = [batch if d == 'N' else d for d in spec['shape']]
    if spec['dtype'] == 'int64':
        return torch.randint(0, spec.get('max', 2), shape, dtype=torch.int64)
    return torch.rand(shape)


def calibrate_batch_norm(model, inputs, batches=4, batch=8):
    """Sets BatchNorm running statistics from a few random batches (cumulative average).

    With fresh statistics (mean 0, variance 1) several random-init networks (MobileNets,
    EfficientNet) shrink their activations layer after layer to outputs of 1e-9..1e-14: a
    cross-check of outputs then checks nothing, and tiny intermediates can hit float32 denormals,
    which would time the CPU's slow path instead of the network. Calibrated statistics keep the
    activations O(1) as in a trained network.
    """
    norms = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    if not norms:
        return
    for m in norms:
        m.reset_running_stats()
        m.momentum = None
    model.train()
    with torch.no_grad():
        for _ in range(batches):
            model(*[example_input(s, batch) for s in inputs])


def export(name, out_dir, table=None):
    builder, inputs, options = (table or {}).get(name) or (*MODELS[name], {})
    options = dict(options)
    opset = options.pop('opset', OPSET)
    dynamic_hw = options.pop('dynamic_hw', False)
    export_options = {'do_constant_folding': True, **options}
    torch.manual_seed(SEED)
    model = builder()
    calibrate_batch_norm(model, inputs)
    model.eval()
    args = tuple(example_input(s) for s in inputs)
    file = os.path.join(out_dir, f'{name}.onnx')
    dynamic = {s['name']: ({0: 'N', 2: 'H', 3: 'W'} if dynamic_hw else {0: 'N'}) for s in inputs}
    dynamic['output'] = {0: 'N'}
    with torch.set_grad_enabled(getattr(model, 'export_with_grad', False)):
        torch.onnx.export(model, args, file, opset_version=opset, input_names=[s['name'] for s in inputs],
                          output_names=['output'], dynamic_axes=dynamic, **export_options)
    return {'file': f'{name}.onnx', 'inputs': inputs, 'opset': opset, 'seed': SEED, 'batchNormCalibrated': True,
            'params': sum(p.numel() for p in model.parameters())}


# The torchvision networks the `train` group trains (bench/cases/real-train.mjs).
TRAIN_MODELS = ['resnet18', 'mobilenet_v2']


def export_train(name, out_dir):
    builder, inputs = MODELS[name]
    torch.manual_seed(SEED)
    model = builder()
    calibrate_batch_norm(model, inputs)
    model.eval()
    args = tuple(example_input(s) for s in inputs)
    file = os.path.join(out_dir, f'{name}-train.onnx')
    dynamic = {s['name']: {0: 'N', 2: 'H', 3: 'W'} for s in inputs}
    dynamic['output'] = {0: 'N'}
    with torch.no_grad():
        torch.onnx.export(model, args, file, opset_version=OPSET, input_names=[s['name'] for s in inputs],
                          output_names=['output'], dynamic_axes=dynamic, do_constant_folding=True,
                          training=torch.onnx.TrainingMode.PRESERVE)
    # The PyTorch worker sets momentum back to PyTorch's default 0.1 (calibration cleared it): the
    # ONNX file carries momentum 0.9 in the ONNX sense either way.
    torch.save(model.state_dict(), os.path.join(out_dir, f'{name}-train.pt'))
    return {'file': f'{name}-train.onnx', 'weights': f'{name}-train.pt', 'inputs': inputs, 'opset': OPSET, 'seed': SEED,
            'batchNormCalibrated': True, 'batchNormKept': True, 'params': sum(p.numel() for p in model.parameters())}


def main(argv):
    only = None
    extra = False
    rest = []
    i = 0
    while i < len(argv):
        if argv[i] == '--only':
            only = argv[i + 1].split(',')
            i += 2
        elif argv[i] == '--extra':
            extra = True
            i += 1
        else:
            rest.append(argv[i])
            i += 1
    out_dir = os.path.abspath(rest[0] if rest else default_dir(extra))
    os.makedirs(out_dir, exist_ok=True)
    manifest_path = os.path.join(out_dir, 'manifest.json')
    manifest = {'models': {}}
    if os.path.exists(manifest_path):
        with open(manifest_path) as f:
            manifest = json.load(f)
    if extra:
        for name in only or list(EXTRA_MODELS):
            if name not in EXTRA_MODELS:
                sys.exit(f'unknown model {name}; known: {", ".join(EXTRA_MODELS)}')
            timed(name, lambda: manifest['models'].__setitem__(name, export(name, out_dir, EXTRA_MODELS)))
    else:
        manifest.setdefault('training', {})
        for name in only or list(MODELS) + [f'train:{n}' for n in TRAIN_MODELS]:
            train = name.startswith('train:')
            base = name[len('train:'):] if train else name
            if base not in MODELS or (train and base not in TRAIN_MODELS):
                sys.exit(f'unknown model {name}; known: {", ".join(MODELS)}, ' + ', '.join(f'train:{n}' for n in TRAIN_MODELS))
            if train:
                timed(name, lambda: manifest['training'].__setitem__(base, export_train(base, out_dir)))
            else:
                timed(name, lambda: manifest['models'].__setitem__(name, export(name, out_dir)))
    manifest['torch'] = torch.__version__
    try:
        import torchvision
        manifest['torchvision'] = torchvision.__version__
    except ImportError:
        pass
    with open(manifest_path, 'w') as f:
        json.dump(manifest, f, indent=2)
    print(f'models and manifest.json in {out_dir}')


def timed(name, fn):
    """Runs one export, printing its time; a failure is reported and must not cost the others."""
    t0 = time.time()
    try:
        fn()
        print(f'{name}: {time.time() - t0:.1f} s', flush=True)
    except Exception as e:
        print(f'{name}: FAILED {type(e).__name__}: {e}', flush=True)


if __name__ == '__main__':
    main(sys.argv[1:])
