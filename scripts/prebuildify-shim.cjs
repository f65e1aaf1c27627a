#!/usr/bin/env node
'use strict';
// prebuildify drives node-gyp (`rebuild --target=... --release`); we build with cmake-js instead.
// Node-API binaries do not depend on the target Node version, so the arguments are not needed.
require('./build-native.cjs');
