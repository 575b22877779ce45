// wrk runs of the proxy benchmark: a saturating run or one paced at a fixed rate, with the CPU time
// the process under test (and its children) spent per request, read from /proc.
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

// ---- CPU accounting: user+system time of a process and its children (nginx master + worker) ----

export function cpuTicks(pid, children = true) {
  let total = 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    total += Number(f[11]) + Number(f[12]); // utime, stime
    if (!children) return total;
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const kids = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
      for (const k of kids ? kids.split(' ') : []) total += cpuTicks(Number(k));
    }
  } catch {
    // Exited.
  }
  return total;
}
const ticksPerSecond = 100;

// ---- wrk ----

export const reportLua = `
done = function(summary, latency, requests)
  io.write(string.format('{"requests":%d,"durationUs":%d,"errors":%d,"p50Us":%d,"p90Us":%d,"p99Us":%d,"p999Us":%d,"maxUs":%d}\\n',
    summary.requests, summary.duration,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status + summary.errors.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9), latency.max))
end
`;

// Pacing: every request is scheduled at t0 + n/rate for the thread's n-th request (open-loop
// schedule, ms resolution of wrk's timer), so the offered rate stays fixed whatever the latency.
export function pacedScript(work, rate) {
  const file = join(work, `paced-${rate}.lua`);
  writeFileSync(
    file,
    `local ffi = require("ffi")
ffi.cdef[[ typedef struct { long tv_sec; long tv_usec; } timeval; int gettimeofday(timeval *tv, void *tz); ]]
local tv = ffi.new("timeval")
local function nowMs() ffi.C.gettimeofday(tv, nil); return tonumber(tv.tv_sec) * 1000 + tonumber(tv.tv_usec) / 1000 end
local t0 = nil
local n = 0
local interval = 1000 / ${rate}
delay = function()
  local now = nowMs()
  if t0 == nil then t0 = now end
  local due = t0 + n * interval
  n = n + 1
  if due > now then return math.floor(due - now) end
  return 0
end
${reportLua}`,
  );
  return file;
}

export function runWrk(wrk, connections, port, script, seconds, pid = undefined, sidePid = undefined) {
  const before = pid ? cpuTicks(pid) : 0;
  // The gateway alone (`sidePid`): HAProxy, its child, is counted in `pid`.
  const sideBefore = sidePid ? cpuTicks(sidePid, false) : 0;
  const args = [
    '-t1',
    `-c${connections}`,
    `-d${seconds}s`,
    '--timeout',
    '5s',
    '-s',
    script,
    `http://127.0.0.1:${port}/`,
  ];
  const r = spawnSync(wrk, args, { encoding: 'utf8' });
  const line = r.stdout.split('\n').find((l) => l.startsWith('{"requests"'));
  if (!line) throw new Error(`wrk gave no report: ${r.stdout}\n${r.stderr}`);
  const j = JSON.parse(line);
  const cpuS = pid ? (cpuTicks(pid) - before) / ticksPerSecond : undefined;
  const sideS = sidePid ? (cpuTicks(sidePid, false) - sideBefore) / ticksPerSecond : undefined;
  return {
    // CPU time of the proxy process (the upstream for `direct`) per request, in microseconds.
    cpuUsPerRequest: cpuS === undefined ? undefined : Math.round((cpuS / j.requests) * 1e7) / 10,
    // The HAProxy rows: their gateway's (Node) CPU per request, beside HAProxy's.
    gatewayCpuUsPerRequest: sideS === undefined ? undefined : Math.round((sideS / j.requests) * 1e7) / 10,
    rps: Math.round((j.requests / j.durationUs) * 1e6),
    p50Ms: j.p50Us / 1000,
    p90Ms: j.p90Us / 1000,
    p99Ms: j.p99Us / 1000,
    p999Ms: j.p999Us / 1000,
    maxMs: j.maxUs / 1000,
    errors: j.errors,
    requests: j.requests,
  };
}
