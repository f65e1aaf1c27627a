import { argError, describe } from '../../errors';
import type { LayerConverter } from '../../onnx/export/converter';
import { attr, constF32, node } from '../../onnx/export/ops';
import { DataType } from '../../onnx/proto';
import { add, mul } from '../../ops/binary';
import { cast } from '../../ops/cast';
import type { Tensor } from '../../tensor/tensor';
import { Layer, type LayerArgs, type LayerConfig } from '../layer';
import { type ArgsOf, registerLayer } from '../registry';

/**
 * `x * scale + offset` (Keras `Rescaling`), e.g. `{ scale: 1 / 255 }` to bring pixels to [0, 1] or
 * `{ scale: 1 / 127.5, offset: -1 }` for [-1, 1]. Integer inputs are cast to float32.
 */
export class Rescaling extends Layer {
  readonly className = 'Rescaling';
  readonly scale: number;
  readonly offset: number;

  constructor(args: LayerArgs & { scale: number; offset?: number }) {
    super(args, 'rescaling');
    if (typeof args?.scale !== 'number' || !Number.isFinite(args.scale)) argError(this.name, 'scale', 'a finite number', describe(args?.scale));
    const offset = args.offset ?? 0;
    if (typeof offset !== 'number' || !Number.isFinite(offset)) argError(this.name, 'offset', 'a finite number', describe(args.offset));
    this.scale = args.scale;
    this.offset = offset;
  }

  call(xIn: Tensor): Tensor {
    const x = xIn.dtype === 'float32' ? xIn : cast(xIn, 'float32');
    const y = mul(x, this.scale);
    return this.offset === 0 ? y : add(y, this.offset);
  }

  override getConfig(): LayerConfig {
    return { ...super.getConfig(), scale: this.scale, offset: this.offset };
  }
}

export const convertRescaling: LayerConverter = (args, ctx) => {
  const layer = args.layer as Rescaling;
  let x = args.inputs[0]!;
  if (args.inputDtypes?.[0] === 'int32') x = node(ctx, 'Cast', [x], { to: attr.int(DataType.FLOAT) });
  const y = node(ctx, 'Mul', [x, constF32(ctx, [layer.scale])]);
  return [layer.offset === 0 ? y : node(ctx, 'Add', [y, constF32(ctx, [layer.offset])])];
};

export const rescalingFactories = {
  rescaling: (args: ArgsOf<typeof Rescaling>) => new Rescaling(args),
};

registerLayer('Rescaling', Rescaling, { onnx: convertRescaling });
