// supervisord (Debian's `supervisor`) as the benchmarks' alternative to Berth's supervision: a config
// in a temporary directory with one [program:] section per process, run in the foreground.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Starts `supervisord -n` on a config of `programs` (each a name and its section's `key=value` lines,
 * given the temp dir for log paths). Returns the process, the config (for `supervisorctl -c`) and
 * `stop()`, which ends supervisord and its programs and removes the directory unless `keep`.
 */
export function startSupervisord(programs, { keep = false } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'berth-bench-supervisord-'));
  const conf = join(dir, 'supervisord.conf');
  const lines = [
    '[supervisord]',
    `logfile=${dir}/supervisord.log`,
    `pidfile=${dir}/supervisord.pid`,
    `childlogdir=${dir}`,
    '[unix_http_server]',
    `file=${dir}/supervisor.sock`,
    '[rpcinterface:supervisor]',
    'supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface',
    '[supervisorctl]',
    `serverurl=unix://${dir}/supervisor.sock`,
  ];
  for (const p of programs) lines.push(`[program:${p.name}]`, ...p.lines(dir));
  writeFileSync(conf, `${lines.join('\n')}\n`);
  const proc = spawn('supervisord', ['-n', '-c', conf], { stdio: 'ignore' });
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await exited;
    }
    if (!keep) rmSync(dir, { recursive: true, force: true });
  };
  return { proc, conf, stop };
}
