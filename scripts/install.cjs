'use strict';
// npm install hook: use a prebuild for this platform when one ships, else build with cmake-js.
// A failed build is not fatal: the library then runs on its pure-TypeScript backend and says so.
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const root = path.resolve(__dirname, '..');
const prebuildDir = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`);
const hasPrebuild = fs.existsSync(prebuildDir) && fs.readdirSync(prebuildDir).some((f) => f.endsWith('.node'));

if (hasPrebuild && !process.env.TENSORFORGE_BUILD_FROM_SOURCE) {
  console.log(`tensorforge: using prebuilt addon in ${path.relative(root, prebuildDir)}`);
  process.exit(0);
}

// The source-build tools are optional peer dependencies, so a prebuilt install never fetches them.
const missing = ['cmake-js', 'node-addon-api', 'node-api-headers'].filter((name) => {
  try {
    require.resolve(`${name}/package.json`, { paths: [root] });
    return false;
  } catch {
    return true;
  }
});
if (missing.length) {
  console.warn(
    `tensorforge: no prebuilt addon for ${process.platform}-${process.arch}; the pure-TypeScript backend will be used. ` +
      `To build the native addon, install ${missing.join(', ')} and run 'npm rebuild tensorforge' (needs cmake and a C++17 compiler).`,
  );
  if (process.env.TENSORFORGE_REQUIRE_NATIVE) process.exit(1);
  process.exit(0);
}

const result = spawnSync(process.execPath, [path.join(__dirname, 'build-native.cjs')], { cwd: root, stdio: 'inherit' });
if (result.status !== 0) {
  console.warn('tensorforge: building the native addon failed; the pure-TypeScript backend will be used.');
  if (process.env.TENSORFORGE_REQUIRE_NATIVE) process.exit(result.status ?? 1);
}
