// How much CPU other processes took while a case ran. This VM has 2 vCPUs shared with builds and
// tests run by others, and the load average cannot tell their load from the bench's own threads;
// /proc/stat (all CPU time) minus process.cpuUsage() (this process, every thread) can.
import fs from 'node:fs';
import os from 'node:os';

const USER_HZ = 100; // the kernel's clock-tick unit for /proc/stat on Linux

function readProcStat() {
  try {
    const line = fs.readFileSync('/proc/stat', 'utf8').split('\n', 1)[0];
    const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
    return { busyS: (user + nice + system + irq + softirq) / USER_HZ, stealS: (steal ?? 0) / USER_HZ };
  } catch {
    return null;
  }
}

/** Starts a probe; calling the returned function gives percentages of total machine capacity. */
export function startNoiseProbe() {
  const s0 = readProcStat();
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  return () => {
    const s1 = readProcStat();
    const c1 = process.cpuUsage(c0);
    const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
    if (!s0 || !s1 || wallS <= 0) return { otherCpuPct: null, stealPct: null, wallS };
    const capacityS = wallS * os.cpus().length;
    const oursS = (c1.user + c1.system) / 1e6;
    const otherS = Math.max(0, s1.busyS - s0.busyS - oursS);
    return {
      otherCpuPct: +((100 * otherS) / capacityS).toFixed(1),
      stealPct: +((100 * (s1.stealS - s0.stealS)) / capacityS).toFixed(1),
      wallS: +wallS.toFixed(1),
    };
  };
}
