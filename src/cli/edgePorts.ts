/** `--edge-port` of `berth env create|set`: `PORT`, `APP=PORT`, and `default` / `APP=default` to remove. */
import { InvalidArgumentError } from 'commander';
import { APP_NAME } from '../spec/names.js';

/** What `--edge-port` values ask for; `null` removes a setting. */
export interface EdgePortChange {
  edgePort?: number | null;
  edgePorts?: Record<string, number | null>;
}

function port(text: string, flag: string): number | null {
  if (text === 'default') return null;
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > 65535)
    throw new InvalidArgumentError(`"${flag}": expected a TCP port (1-65535), APP=PORT or default.`);
  return Number(text);
}

/** Commander's reducer for a repeatable `--edge-port`. */
export function edgePortFlag(value: string, previous: EdgePortChange = {}): EdgePortChange {
  const eq = value.indexOf('=');
  if (eq === -1) return { ...previous, edgePort: port(value, value) };
  const app = value.slice(0, eq);
  if (!APP_NAME.test(app)) throw new InvalidArgumentError(`"${value}": ${app || '(empty)'} is not an app name.`);
  const ports = new Map(Object.entries(previous.edgePorts ?? {}));
  ports.set(app, port(value.slice(eq + 1), value));
  return { ...previous, edgePorts: Object.fromEntries(ports) };
}
