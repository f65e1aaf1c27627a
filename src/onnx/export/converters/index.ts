// The module index of the built-in converters: each module registers its classes' converters in the
// layer registry when it loads (see registerBuiltinConverter), so adding a converter to one of them
// needs no edit here; a new converter module adds its import line.
import './attention';
import './basic';
import './convolutional';
import './merge';
import './normalization';
import './pooling';
import './quantized';
import './recurrent';

export { builtinConverterClassNames } from './util';
