'use strict';
// Builds the standalone check programs of native/devtools with g++ into a temporary directory
// (never into the repo) and runs them; exits non-zero if a compile or a check fails. The kernels
// are compiled the way CMakeLists.txt compiles them: the flags and ISA levels come from
// native/kernels/common/isa_levels.txt, and every <family>/*_body.cpp is built once per level
// with -DTF_ISA_LEVEL. The benches are compiled too (so they cannot rot) but only run by hand.
//
//   node scripts/check-native.cjs [--full] [--keep]
//     --full  the checks' default iteration counts (minutes) instead of the quick ones
//     --keep  leave the build directory in place and print it (to run the benches from there)
const { execFileSync, spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const kernels = path.join(root, 'native', 'kernels');
const devtools = path.join(root, 'native', 'devtools');
const args = new Set(process.argv.slice(2));
const full = args.has('--full');
const keep = args.has('--keep');

function readIsaLevels() {
  const levels = [];
  let common = [];
  for (const line of fs.readFileSync(path.join(kernels, 'common', 'isa_levels.txt'), 'utf8').split(/\r?\n/)) {
    if (!/^[a-z]/.test(line)) continue;
    const [name, ...rest] = line.trim().split(/\s+/);
    if (name === 'common') common = rest;
    else {
      // An optional families=a,b column limits the level to those families.
      const only = rest[1]?.startsWith('families=') ? rest[1].slice('families='.length).split(',') : null;
      levels.push({ name, level: rest[0], families: only, flags: rest.slice(only ? 2 : 1) });
    }
  }
  return { common, levels };
}

const { common, levels } = readIsaLevels();
// gnu++17 and NDEBUG: what CMake's C++17 standard and Release build type give the addon's compiles.
const baseFlags = [...common, '-std=gnu++17', '-DNDEBUG', `-I${path.join(root, 'native')}`];

// One compile job per object: the family's plain sources once, its bodies once per level.
function familyJobs(family, out) {
  const dir = path.join(kernels, family);
  const jobs = [];
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.cpp')).sort()) {
    const src = path.join(dir, file);
    const stem = `${family}_${file.slice(0, -4)}`;
    if (!file.endsWith('_body.cpp')) {
      jobs.push({ src, obj: path.join(out, `${stem}.o`), flags: baseFlags });
      continue;
    }
    for (const l of levels.filter((lv) => lv.families === null || lv.families.includes(family))) {
      jobs.push({ src, obj: path.join(out, `${stem}_${l.name}.o`), flags: [...baseFlags, ...l.flags, `-DTF_ISA_LEVEL=${l.level}`] });
    }
  }
  return jobs;
}

function compile(job) {
  return new Promise((resolve, reject) => {
    const argv = [...job.flags, '-c', job.src, '-o', job.obj];
    const child = spawn('g++', argv, { stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(job.obj) : reject(new Error(`g++ failed on ${path.relative(root, job.src)}`))));
  });
}

async function runAll(jobs, width) {
  const queue = [...jobs];
  const workers = Array.from({ length: Math.max(1, width) }, async () => {
    while (queue.length) await compile(queue.shift());
  });
  await Promise.all(workers);
}

function link(out, program, objects) {
  const exe = path.join(out, program);
  execFileSync('g++', [...baseFlags, path.join(devtools, `${program}.cpp`), ...objects, '-lpthread', '-o', exe], { stdio: 'inherit' });
  return exe;
}

function run(exe, argv) {
  console.log(`\n$ ${path.basename(exe)} ${argv.join(' ')}`);
  execFileSync(exe, argv, { stdio: 'inherit' });
}

async function main() {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'tf-check-native-'));
  let ok = false;
  try {
    const common = familyJobs('common', out);
    const gemm = familyJobs('gemm', out);
    const elementwise = familyJobs('elementwise', out);
    // The elementwise programs use a serial stand-in pool that cuts uneven chunks (see the README).
    const stubs = { src: path.join(devtools, 'stubs_for_elementwise.cpp'), obj: path.join(out, 'stubs_for_elementwise.o'), flags: baseFlags };
    const t0 = Date.now();
    await runAll([...common, ...gemm, ...elementwise, stubs], os.availableParallelism?.() ?? os.cpus().length);
    const objs = (jobs) => jobs.map((j) => j.obj);
    const gemmCheck = link(out, 'gemm_check', [...objs(common), ...objs(gemm)]);
    const ewCheck = link(out, 'elementwise_check', [...objs(elementwise), stubs.obj]);
    link(out, 'gemm_bench', [...objs(common), ...objs(gemm)]);
    link(out, 'elementwise_bench', [...objs(elementwise), stubs.obj]);
    console.log(`built in ${((Date.now() - t0) / 1000).toFixed(1)} s into ${out}`);
    run(ewCheck, full ? [] : ['--quick']);
    run(gemmCheck, full ? [] : ['--quick']);
    ok = true;
  } finally {
    if (keep) console.log(`\nkept ${out}`);
    else fs.rmSync(out, { recursive: true, force: true });
  }
  return ok;
}

main().then(
  (ok) => {
    console.log(ok ? '\nnative checks passed' : '\nnative checks FAILED');
    process.exit(ok ? 0 : 1);
  },
  (err) => {
    console.error(`\nnative checks FAILED: ${err.message}`);
    process.exit(1);
  },
);
