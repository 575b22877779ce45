// Every process Berth runs for supervision and routing, in groups, and their CPU and memory read from /proc:
// the control plane, the Node gateway (and its cluster workers), HAProxy (master and workers) and the
// replicas' shims. The services themselves (the shims' children) are not Berth's and are left out, as
// supervisord's programs are left out of supervisord's figure.
//
// CPU is each thread's sum_exec_runtime (/proc/<pid>/task/<tid>/schedstat, nanoseconds) rather than the
// utime+stime of /proc/<pid>/stat: those are whole 10 ms ticks, and a hundred shims that each run a few
// milliseconds a minute would each read 0 or 10 ms, so their sum over a 60 s window would be off by up to
// ±17 ms/s at 100 replicas. A thread that ends inside a window loses its time (idle, none should).
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const read = (path) => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
};

/** ppid and comm of every live process (zombies left out). */
function processTable() {
  const out = new Map();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const stat = read(`/proc/${d}/stat`);
    if (!stat) continue;
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (rest[0] === 'Z') continue;
    out.set(Number(d), { ppid: Number(rest[1]), comm: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) });
  }
  return out;
}

const descendants = (table, root) => {
  const out = [];
  const stack = [root];
  while (stack.length) {
    const p = stack.pop();
    for (const [pid, row] of table)
      if (row.ppid === p) {
        out.push(pid);
        stack.push(pid);
      }
  }
  return out;
};

/** shim.json files under home/run: one per replica. */
function shimPidsOf(home) {
  const pids = [];
  const walk = (d) => {
    let entries;
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name === 'shim.json') {
        const pid = JSON.parse(read(p) ?? '{}').shimPid;
        if (typeof pid === 'number') pids.push(pid);
      }
    }
  };
  walk(join(home, 'run'));
  return pids;
}

/**
 * Berth's processes of `home` in groups: `cp` (the server), `gw` (the Node gateway of gateway/gateway.json and
 * its Node children: cluster workers), `haproxy` (every haproxy process whose command line names the home:
 * master and workers, old ones still draining included), `shims` (the live shims of shim.json files, and a
 * Node shim pool's idle shims). `unknown` lists the home's other processes that are no service (no shim's
 * descendant): a new kind of process the table would miss.
 */
export function berthProcesses(home, cpPid) {
  const table = processTable();
  const gwPid = JSON.parse(read(join(home, 'gateway', 'gateway.json')) ?? '{}').pid;
  const cmd = (pid) => (read(`/proc/${pid}/cmdline`) ?? '').replaceAll('\0', ' ');
  const haproxy = [...table].filter(([pid, r]) => r.comm === 'haproxy' && cmd(pid).includes(home)).map(([p]) => p);
  const gw = table.has(gwPid)
    ? [gwPid, ...descendants(table, gwPid).filter((p) => table.get(p).comm !== 'haproxy')]
    : [];
  const shims = shimPidsOf(home).filter((p) => table.has(p));
  for (const [pid] of table) if (cmd(pid).includes(' --warm ') && cmd(pid).includes(home)) shims.push(pid);
  const known = new Set([cpPid, ...gw, ...haproxy, ...shims]);
  const services = new Set(shims.flatMap((s) => descendants(table, s)));
  const unknown = [];
  for (const [pid] of table) {
    if (known.has(pid) || services.has(pid) || pid === process.pid) continue;
    const c = cmd(pid);
    if (c.includes(home) || (read(`/proc/${pid}/environ`) ?? '').includes(`BERTH_HOME=${home}`)) unknown.push(pid);
  }
  return { cp: [cpPid], gw, haproxy, shims, unknown };
}

/** CPU ns of a process: the sum over its threads' schedstat run time (0 when it is gone). */
export function cpuNs(pid) {
  let ns = 0;
  let tids;
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return 0;
  }
  for (const tid of tids) {
    const s = read(`/proc/${pid}/task/${tid}/schedstat`);
    if (s) ns += Number(s.split(' ')[0]);
  }
  return ns;
}

/** RSS and PSS in MB of one process (smaps_rollup), zeros when it is gone. */
export function memMb(pid) {
  const text = read(`/proc/${pid}/smaps_rollup`);
  if (!text) return { rss: 0, pss: 0 };
  const kb = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0);
  return { rss: kb('Rss') / 1024, pss: kb('Pss') / 1024 };
}

/** CPU ns of each pid of `groups` now, to diff against later. */
export function cpuSnapshot(groups) {
  const out = new Map();
  for (const pids of Object.values(groups)) for (const p of pids) out.set(p, cpuNs(p));
  return out;
}

/**
 * Each group's CPU in ms per second between `before` (a cpuSnapshot) and now over `secs`, and its memory
 * summed: RSS and PSS. A process that started inside the window counts from 0, so a HAProxy worker a reload
 * made is counted whole.
 */
export function groupUsage(groups, before, secs) {
  const out = {};
  for (const [name, pids] of Object.entries(groups)) {
    let ns = 0;
    let rss = 0;
    let pss = 0;
    for (const p of pids) {
      ns += Math.max(0, cpuNs(p) - (before.get(p) ?? 0));
      const m = memMb(p);
      rss += m.rss;
      pss += m.pss;
    }
    out[name] = { count: pids.length, cpuMsPerS: ns / 1e6 / secs, rssMb: rss, pssMb: pss };
  }
  return out;
}
