/**
 * Test support for alerts: a real HTTP receiver on 127.0.0.1 that records what it is sent and
 * answers as the test says, and a build of the sources a child process can run (Node 20 cannot run
 * TypeScript itself).
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/** One request a receiver got. */
export interface Received {
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface Receiver {
  /** `http://127.0.0.1:PORT`. */
  url: string;
  port: number;
  received: Received[];
  /** What the next requests are answered; a 200 with an empty body until set. */
  answer: (r: Received) => { status: number; body?: string };
  /** Resolves once `count` requests arrived. */
  waitFor(count: number, timeoutMs?: number): Promise<Received[]>;
  close(): Promise<void>;
}

/** Starts a receiver on `port` (0: a free one). */
export async function startReceiver(port = 0): Promise<Receiver> {
  const received: Received[] = [];
  const waiters: (() => void)[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: Received = { url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      const a = receiver.answer(r);
      received.push(r);
      res.writeHead(a.status, { 'content-type': 'application/json' }).end(a.body ?? '');
      for (const w of waiters.splice(0)) w();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const actual = (server.address() as AddressInfo).port;
  const receiver: Receiver = {
    url: `http://127.0.0.1:${actual}`,
    port: actual,
    received,
    answer: () => ({ status: 200 }),
    async waitFor(count, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (received.length < count) {
        if (Date.now() > deadline) throw new Error(`the receiver got ${received.length} of ${count} requests`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 100);
        });
      }
      return received;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return receiver;
}

const srcDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The sources of `folders` (and the files directly in src/) transpiled to a temp dir with node_modules linked. */
export async function buildForChild(folders: readonly string[]): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'berth-alerts-child-'));
  await writeFile(path.join(dir, 'package.json'), '{"type":"module"}');
  await symlink(path.join(path.dirname(srcDir), 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  await transpile(srcDir, path.join(dir, 'src'), false);
  for (const folder of folders) await transpile(path.join(srcDir, folder), path.join(dir, 'src', folder), true);
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

async function transpile(from: string, to: string, deep: boolean): Promise<void> {
  await mkdir(to, { recursive: true });
  for (const entry of await readdir(from, { withFileTypes: true })) {
    const source = path.join(from, entry.name);
    if (entry.isDirectory()) {
      if (deep) await transpile(source, path.join(to, entry.name), true);
    } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) {
      const { outputText } = ts.transpileModule(await readFile(source, 'utf8'), {
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
        fileName: source,
      });
      await writeFile(path.join(to, entry.name.replace(/\.ts$/, '.js')), outputText);
    }
  }
}
