/**
 * An exec probe inside a container, through the Engine API's exec: the command runs in the
 * container's namespaces (as its image's user), and passes when it exits 0 within the timeout.
 * The engine cannot kill an exec; one that overruns is left to end by itself, and fails the probe.
 */
import type Docker from 'dockerode';
import type { Readable } from 'node:stream';
import { execFailed, probeResult, type ProbeResult } from '../local/probes.js';
import { engineReason } from './engine.js';

/** Runs `command` inside `container`; never throws. */
export async function execProbe(
  container: Docker.Container,
  command: string[],
  timeoutMs: number,
): Promise<ProbeResult> {
  const file = command[0];
  if (file === undefined) return probeResult(false, 'probe.execEmpty');
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<ProbeResult>((resolve) => {
    timer = setTimeout(() => {
      abort.abort();
      resolve(probeResult(false, 'probe.execTimeout', { file, timeoutMs }));
    }, timeoutMs);
  });
  const run = async (): Promise<ProbeResult> => {
    const exec = await container.exec({
      Cmd: command,
      AttachStdout: true,
      AttachStderr: true,
      abortSignal: abort.signal,
    });
    const stream = (await exec.start({ hijack: true, stdin: false, abortSignal: abort.signal })) as unknown as Readable;
    let stderr = '';
    await new Promise<void>((resolve) => {
      let buf: Buffer = Buffer.alloc(0);
      stream.on('data', (chunk: Buffer) => {
        buf = Buffer.concat([buf, chunk]);
        while (buf.length >= 8) {
          const size = buf.readUInt32BE(4);
          if (buf.length < 8 + size) break;
          if (buf[0] === 2 && stderr.length < 4096) stderr += buf.subarray(8, 8 + size).toString('utf8');
          buf = buf.subarray(8 + size);
        }
      });
      stream.once('end', resolve);
      stream.once('close', resolve);
      stream.once('error', () => resolve());
      abort.signal.addEventListener('abort', () => stream.destroy());
    });
    const info = await exec.inspect();
    if (info.ExitCode === 0) return probeResult(true, 'probe.execOk', { file });
    return execFailed(file, info.ExitCode ?? null, null, stderr);
  };
  try {
    return await Promise.race([
      run().catch((err: unknown): ProbeResult =>
        probeResult(false, 'probe.execError', { file, error: engineReason(err) }),
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
