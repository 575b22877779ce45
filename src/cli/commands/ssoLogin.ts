/**
 * `berth login --sso`: single sign-on from the CLI (docs/access.md "Single sign-on", docs/cli.md). The
 * CLI listens on 127.0.0.1:<free port>, makes a PKCE verifier and its challenge, asks the control plane
 * for the provider's sign-in URL (POST /api/v1/sso/cli), prints it (and opens a browser with --open);
 * the control plane sends the browser back to the CLI's /callback with a one-time code, which the CLI
 * exchanges with its verifier for a personal token (POST /api/v1/sso/cli/exchange), stored in
 * `<home>/credentials.json` for this control plane (the `berth login` command, login.ts, calls it).
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CliContext } from '../context.js';
import { printData } from '../output.js';
import { saveCredential } from '../credentials.js';
import { UnauthorizedError } from '../../errors.js';

/** How long the CLI waits for the browser to come back. */
const WAIT_MS = 5 * 60_000;

interface SignedIn {
  token: string;
  id: number;
  user: string;
  expiresAt: string | null;
}

const page = (title: string, text: string): string =>
  `<!doctype html><meta charset="utf-8"><title>${title}</title><body style="font-family:sans-serif;margin:3em"><h1>${title}</h1><p>${text}</p></body>`;

/** Waits on 127.0.0.1 for the browser's /callback: its code, or the error the control plane named. */
async function loopback(): Promise<{ port: number; result: Promise<string>; close(): void }> {
  let settle!: { ok: (code: string) => void; fail: (err: Error) => void };
  const result = new Promise<string>((ok, fail) => (settle = { ok, fail }));
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== '/callback') return void res.writeHead(404).end();
    const code = url.searchParams.get('code');
    const error = url.searchParams.get('error');
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    if (code) {
      res.end(page('Signed in to Berth', 'You can close this tab and go back to the terminal.'));
      settle.ok(code);
    } else {
      const why = error ?? 'no code';
      res.end(page('Berth sign-in failed', `The sign-in was refused (${why}): see the terminal.`));
      settle.fail(new UnauthorizedError(`single sign-on refused: ${why} (the control plane's log says why)`));
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const timer = setTimeout(() => settle.fail(new Error(`no sign-in within ${WAIT_MS / 60_000} minutes`)), WAIT_MS);
  return {
    port: (server.address() as AddressInfo).port,
    result,
    close() {
      clearTimeout(timer);
      server.closeAllConnections();
      server.close();
    },
  };
}

/** Opens `url` in the desktop's browser (best effort: the URL is printed anyway). */
function openBrowser(url: string): void {
  const [cmd, args] =
    process.platform === 'darwin'
      ? ['open', [url]]
      : process.platform === 'win32'
        ? ['cmd', ['/c', 'start', '', url]]
        : ['xdg-open', [url]];
  const child = spawn(cmd, args as string[], { stdio: 'ignore', detached: true });
  child.on('error', () => process.stderr.write(`could not open a browser (${cmd}): open the URL yourself\n`));
  child.unref();
}

export async function ssoLogin(ctx: CliContext, o: { open?: boolean; expiresIn?: string }): Promise<void> {
  const client = await ctx.client();
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const back = await loopback();
  try {
    const { url } = await client.post<{ url: string }>('/api/v1/sso/cli', { port: back.port, challenge });
    process.stderr.write(`Open this URL in a browser to sign in:\n\n  ${url}\n\nWaiting for the browser…\n`);
    if (o.open) openBrowser(url);
    const code = await back.result;
    const got = await client.post<SignedIn>('/api/v1/sso/cli/exchange', {
      code,
      verifier,
      ...(o.expiresIn ? { expiresIn: o.expiresIn } : {}),
    });
    await saveCredential(ctx.home, client.url, {
      token: got.token,
      user: got.user,
      id: got.id,
      expiresAt: got.expiresAt,
    });
    const shown = { user: got.user, server: client.url, tokenId: got.id, expiresAt: got.expiresAt };
    if (ctx.output !== 'table') return printData(ctx.output, shown);
    process.stdout.write(
      `signed in to ${client.url} as ${got.user} (token ${got.id}, expires ${got.expiresAt ?? 'never'})\n`,
    );
  } finally {
    back.close();
  }
}
