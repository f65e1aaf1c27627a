'use strict';
// Hash of everything that goes into the native binary. The build embeds it; a test compares it
// with the loaded binary so a stale prebuild can never be tested by accident.
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');

function listSources(dir) {
  const out = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listSources(full));
    else if (/\.(h|hpp|cpp|cc|inc|txt)$/.test(entry.name)) out.push(full);
  }
  return out;
}

function sourceHash() {
  const files = [path.join(root, 'CMakeLists.txt'), ...listSources(path.join(root, 'native', 'kernels')),
    ...listSources(path.join(root, 'native', 'binding'))];
  const hash = crypto.createHash('sha256');
  for (const file of files.map((f) => path.relative(root, f).split(path.sep).join('/')).sort()) {
    hash.update(file);
    hash.update('\0');
    // Line endings normalized so a checkout with CRLF hashes the same.
    hash.update(fs.readFileSync(path.join(root, file), 'utf8').replace(/\r\n/g, '\n'));
    hash.update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}

module.exports = { sourceHash };
if (require.main === module) process.stdout.write(sourceHash() + '\n');
