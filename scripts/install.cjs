'use strict';
// npm install hook: use a prebuild for this platform when one ships, else build with cmake-js.
// A failed build is not fatal: the library then runs on its pure-TypeScript backend and says so.
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const root = path.resolve(__dirname, '..');
const prebuildDir = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`);
const hasPrebuild = fs.existsSync(prebuildDir) && fs.readdirSync(prebuildDir).some((f) => f.endsWith('.node'));

/**
 * Why the prebuild should not be used, or null. A prebuild built from other native sources than the
 * ones beside it (a checkout whose prebuild was not regenerated yet) is refused so the source build
 * below replaces it; the loader then prefers that build over the stale prebuild.
 */
function prebuildStale() {
  try {
    const { sourceHash } = require('./source-hash.cjs');
    const file = fs.readdirSync(prebuildDir).find((f) => f.endsWith('.node'));
    const built = require(path.join(prebuildDir, file)).info().buildHash;
    const wanted = sourceHash();
    return built === wanted ? null : `it was built from other native sources (buildHash ${built}, sources ${wanted})`;
  } catch (err) {
    return `it does not load (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`;
  }
}

const stale = hasPrebuild && !process.env.TENSORFORGE_BUILD_FROM_SOURCE ? prebuildStale() : null;
if (hasPrebuild && !process.env.TENSORFORGE_BUILD_FROM_SOURCE && stale === null) {
  console.log(`tensorforge: using prebuilt addon in ${path.relative(root, prebuildDir)}`);
  process.exit(0);
}
if (stale) console.warn(`tensorforge: not using the prebuilt addon in ${path.relative(root, prebuildDir)}: ${stale}; building from source`);

// The source-build tools are optional peer dependencies, so a prebuilt install never fetches them.
const missing = ['cmake-js', 'node-addon-api', 'node-api-headers'].filter((name) => {
  try {
    require.resolve(`${name}/package.json`, { paths: [root] });
    return false;
  } catch {
    return true;
  }
});
if (missing.length && stale) {
  console.warn(`tensorforge: cannot build the native addon (${missing.join(', ')} not installed); the prebuilt one will be tried.`);
  process.exit(0);
}
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
