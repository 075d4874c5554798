// CPU and memory accounting of the workerd process that Miniflare spawns.
//
// Why this way: inside workerd, performance.now() and Date.now() only advance on I/O (a
// Spectre mitigation), so a worker cannot time its own CPU work. The kernel can: for every
// thread of the workerd process, /proc/<pid>/task/<tid>/schedstat starts with the nanoseconds
// that thread has spent on a CPU. Summing it over all threads (the isolate's thread, V8's GC
// and compiler threads, the KV simulator's storage threads) gives the CPU workerd spent, in
// ns, including the kernel time of its own socket calls. /proc/<pid>/stat utime+stime says
// the same at clock-tick resolution (10 ms); it is kept as a cross-check.
// Memory is VmRSS from /proc/<pid>/status: what the whole process holds in RAM.
import { readdirSync, readFileSync } from "node:fs";
import { execFileSync } from "node:child_process";

let clockTicks;
function clkTck() {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

function statFields(pid) {
  const text = readFileSync(`/proc/${pid}/stat`, "utf8");
  // comm may contain spaces; everything after the last ")" is space-separated.
  const close = text.lastIndexOf(")");
  const comm = text.slice(text.indexOf("(") + 1, close);
  const rest = text.slice(close + 2).split(" ");
  // rest[0] is field 3 (state); field N is rest[N - 3].
  return { comm, ppid: Number(rest[1]), utime: Number(rest[11]), stime: Number(rest[12]), starttime: Number(rest[19]) };
}

/** PIDs of `workerd` processes whose parent is this Node process. */
export function workerdChildren(parentPid = process.pid) {
  const pids = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = statFields(entry);
      if (stat.ppid === parentPid && stat.comm === "workerd")
        pids.push({ pid: Number(entry), starttime: stat.starttime });
    } catch {
      // the process went away while we looked
    }
  }
  return pids.sort((a, b) => a.starttime - b.starttime).map((p) => p.pid);
}

/** The workerd child that appeared since `before` (a list from workerdChildren()). */
export function newWorkerdChild(before) {
  const known = new Set(before);
  const fresh = workerdChildren().filter((pid) => !known.has(pid));
  if (fresh.length !== 1) throw new Error(`expected one new workerd child process, found ${fresh.length}`);
  return fresh[0];
}

/** CPU nanoseconds of the whole process: the sum over its threads of schedstat's first field. */
export function cpuNs(pid) {
  let total = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      total += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[0]);
    } catch {
      // a thread ended between readdir and read; its time is lost (rare, tiny)
    }
  }
  return total;
}

/** utime+stime of the whole process in ns, at clock-tick resolution (cross-check only). */
export function cpuTicksNs(pid) {
  const { utime, stime } = statFields(pid);
  return ((utime + stime) * 1e9) / clkTck();
}

/** One reading of both clocks. */
export function cpuSample(pid) {
  return { schedNs: cpuNs(pid), ticksNs: cpuTicksNs(pid) };
}

export function cpuDelta(before, after) {
  return { schedNs: after.schedNs - before.schedNs, ticksNs: after.ticksNs - before.ticksNs };
}

/** VmRSS and VmHWM of the process, KiB. */
export function memoryKiB(pid) {
  const text = readFileSync(`/proc/${pid}/status`, "utf8");
  const field = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(text)?.[1] ?? NaN);
  return { rssKiB: field("VmRSS"), hwmKiB: field("VmHWM") };
}

export function threadCount(pid) {
  return readdirSync(`/proc/${pid}/task`).length;
}
