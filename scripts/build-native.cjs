#!/usr/bin/env node
'use strict';
// Builds the addon with cmake-js into build/Release, embedding the source hash.
const { spawnSync } = require('node:child_process');
const path = require('node:path');
const { sourceHash } = require('./source-hash.cjs');

const root = path.resolve(__dirname, '..');
const cmakeJs = require.resolve('cmake-js/bin/cmake-js');
const jobs = process.env.TENSORFORGE_BUILD_JOBS || String(require('node:os').availableParallelism?.() ?? 2);
const args = [cmakeJs, 'compile', '--parallel', jobs, `--CDTF_SOURCE_HASH=${sourceHash()}`];
const result = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit', env: process.env });
process.exit(result.status ?? 1);
