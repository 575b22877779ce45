/** What every command gets: global options, and the control-plane client made on first use. */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { createClient, type Client } from './client.js';
import type { OutputFormat } from './output.js';

export interface GlobalOptions {
  home?: string;
  server?: string;
  token?: string;
  output: OutputFormat;
}

export interface CliContext {
  home: string;
  output: OutputFormat;
  client(): Promise<Client>;
}

/** The data directory: --home, then BERTH_HOME, then ~/.berth. */
export function resolveHome(flag?: string): string {
  return resolve(flag ?? process.env.BERTH_HOME ?? join(homedir(), '.berth'));
}

export function contextOf(cmd: Command): CliContext {
  const o = cmd.optsWithGlobals<GlobalOptions>();
  const home = resolveHome(o.home);
  let client: Promise<Client> | undefined;
  return {
    home,
    output: o.output,
    client: () =>
      (client ??= createClient({
        home,
        ...(o.server ? { server: o.server } : {}),
        ...(o.token ? { token: o.token } : {}),
      })),
  };
}
