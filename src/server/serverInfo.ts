/**
 * How clients find the control plane of a data directory: `<home>/server.json` (written by the
 * running control plane) and `<home>/token` (the CLI's token, mode 0600). Kept free of the server's
 * dependencies so the CLI starts fast.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** What `<home>/server.json` holds. */
export interface ServerInfo {
  pid: number;
  startTime: number;
  url: string;
  version: string;
}

export const serverInfoFile = (home: string): string => join(home, 'server.json');

/** Path of the CLI's token file in a data directory. */
export const tokenFile = (home: string): string => join(home, 'token');

export async function readServerInfo(home: string): Promise<ServerInfo | undefined> {
  try {
    return JSON.parse(await readFile(serverInfoFile(home), 'utf8')) as ServerInfo;
  } catch {
    return undefined;
  }
}
