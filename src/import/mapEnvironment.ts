/**
 * `environment` (list and map forms) and `env_file`. Each value goes to the config set as a
 * variable, and the service's `env` refers to it (`KEY: ${KEY}`), so values can differ per
 * environment and be versioned. Secret-looking ones (by name, by a password inside a URL, or
 * because they were interpolated from a secret-looking compose variable) become secret
 * variables. Values that only say where another service is (`redis:6379`) are rewritten to
 * Berth's discovery variables and stay in berth.yaml; a password inside a URL is split out
 * into a secret variable of its own.
 */
import path from 'node:path';
import type { ImportContext, ServiceContext } from './context.js';
import { literal, problemAt } from './context.js';
import { discoveryPrefix } from '../spec/templates.js';
import { findServiceRefs, portPartner, rewriteServiceRefs } from './discovery.js';
import type { AddressInfo, ServiceRef } from './discovery.js';
import { splitPassword } from './connectionPassword.js';
import type { PasswordSplit } from './connectionPassword.js';
import { parseDotenv } from './dotenv.js';
import { secretName, secretValue, variableName } from './names.js';
import { Variables } from './variables.js';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/** One environment variable of a service, after env_file and environment are merged. */
export interface EnvItem {
  key: string;
  /** undefined: a bare `KEY`, whose value compose takes from its own environment. */
  value: string | undefined;
  /** Compose path the report points at. */
  path: (string | number)[];
  /** Where the value came from, for the report (`.env.web:3`). */
  origin?: string;
}

/** Reads env_file then environment (which wins, as in compose); missing required files are errors. */
export async function collectEnv(ctx: ServiceContext): Promise<EnvItem[]> {
  const items = new Map<string, EnvItem>();
  const files = ctx.svc.env_file === undefined || ctx.svc.env_file === null ? [] : [ctx.svc.env_file].flat();
  for (let i = 0; i < files.length; i++) {
    const f = files[i]!;
    const rel = typeof f === 'string' ? f : f.path;
    const required = typeof f === 'string' ? true : (f.required ?? true);
    const at = [...ctx.path, 'env_file', ...(Array.isArray(ctx.svc.env_file) ? [i] : [])];
    const file = path.resolve(ctx.composeDir, rel);
    const text = await ctx.readText(file);
    if (text === undefined) {
      if (required)
        problemAt(
          ctx,
          at,
          `env file ${rel} does not exist (resolved to ${file}); mark it \`required: false\` if it is optional`,
        );
      else ctx.report.ignored(at, `optional env file ${rel} does not exist`);
      continue;
    }
    const parsed = parseDotenv(text, file, ctx.lookup);
    ctx.problems.push(...parsed.problems);
    for (const e of parsed.entries)
      items.set(e.key, { key: e.key, value: e.value, path: [...at, e.key], origin: `${rel}:${e.line}` });
  }
  const env = ctx.svc.environment;
  if (Array.isArray(env)) {
    env.forEach((entry, i) => {
      const eq = entry.indexOf('=');
      const key = eq < 0 ? entry : entry.slice(0, eq);
      items.set(key, { key, value: eq < 0 ? undefined : entry.slice(eq + 1), path: [...ctx.path, 'environment', i] });
    });
  } else if (env) {
    for (const [key, v] of Object.entries(env))
      items.set(key, { key, value: v === null ? undefined : String(v), path: [...ctx.path, 'environment', key] });
  }
  return [...items.values()];
}

/**
 * Ports for services that declare none but that others reach as `service:port`: compose needs no
 * declaration inside its network, Berth needs the port to give the service an address. Returns
 * every service reference found in the values (`db:5432`, `DB_HOST=db`), with who made it.
 */
export function inferPorts(
  services: ServiceContext[],
  envs: Map<string, EnvItem[]>,
): { ref: ServiceRef; by: string }[] {
  const infos = services.map((s) => ({ composeName: s.composeName, name: s.name }));
  // Every reference once (not once per target: Sentry's ~50 services made that 50 times the work).
  const refs: { ref: ServiceRef; by: string }[] = [];
  for (const s of services)
    for (const item of envs.get(s.composeName) ?? [])
      for (const ref of findServiceRefs(item.value ?? '', item.key, s.composeName, infos))
        refs.push({ ref, by: `${s.composeName} (${item.key}=${hidePassword(item.value ?? '')})` });
  for (const target of services) {
    if (target.out.ports.length > 0) continue;
    const found: { port: number; by: string }[] = [];
    for (const { ref, by } of refs)
      if (ref.composeName === target.composeName && ref.port !== undefined && !found.some((f) => f.port === ref.port))
        found.push({ port: ref.port, by });
    if (found.length === 0) continue;
    target.out.ports = found.map((f) => ({ port: f.port }));
    target.report.changed(
      target.path,
      `services.${target.name}.ports`,
      `port${found.length > 1 ? 's' : ''} ${found.map((f) => f.port).join(', ')} added: reached by ${found.map((f) => f.by).join(', ')}; compose needs no port declaration inside its network, Berth needs one to give the service an address`,
    );
  }
  return refs;
}

/** A value for the report with the password of a URL hidden (`postgres://app:***@db/app`). */
function hidePassword(value: string): string {
  return value.replace(/(:\/\/[^/\s:@]+:)[^/\s@]+@/g, '$1***@');
}

function usedSecretVariable(ctx: ImportContext, item: EnvItem): string | undefined {
  const name = (ctx.uses.get(item.path.join('.')) ?? []).find((n) => secretName(n));
  return name ? `made from the compose variable ${name}` : undefined;
}

function refsNote(refs: ServiceRef[]): string {
  if (refs.length === 0) return '';
  const done = refs.filter((r) => r.to).map((r) => `\`${r.text}\` → \`${r.to}\``);
  const left = refs.filter((r) => !r.to).map((r) => `\`${r.text}\``);
  return [
    done.length ? `; service address${done.length > 1 ? 'es' : ''} rewritten: ${done.join(', ')}` : '',
    left.length
      ? `; ${left.join(', ')} names another service by its compose host name: on one machine it must use that service's <SERVICE>_HOST and <SERVICE>_PORT`
      : '',
  ].join('');
}

/** Maps the merged environment of every service; URL passwords last, so they can share an existing secret. */
export function mapEnvironments(
  services: ServiceContext[],
  envs: Map<string, EnvItem[]>,
  addresses: AddressInfo[],
): void {
  const later: (() => void)[] = [];
  for (const ctx of services) {
    for (const item of envs.get(ctx.composeName) ?? []) {
      const to = `services.${ctx.name}.env.${item.key}`;
      const from = item.origin ? ` (${item.origin})` : '';
      if (!ENV_NAME.test(item.key)) {
        ctx.report.unmapped(
          item.path,
          `\`${item.key}\` is not an environment variable name Berth accepts (letters, digits, \`_\`, \`.\`, \`-\`)`,
        );
        continue;
      }
      const value = item.value ?? ctx.lookup(item.key);
      const byName = secretName(item.key);
      const secret = byName ?? (value === undefined ? undefined : secretValue(value)) ?? usedSecretVariable(ctx, item);
      const split = value === undefined || byName ? undefined : splitPassword(value);
      if (split) {
        later.push(() => splitOutPassword(ctx, item, split, addresses));
        continue;
      }
      const partner =
        value === undefined || secret
          ? undefined
          : portPartner(item.key, value, envs.get(ctx.composeName) ?? [], addresses);
      if (partner) {
        const port = `\${${discoveryPrefix(partner.name)}_PORT}`;
        ctx.out.env[item.key] = port;
        ctx.report.changed(
          item.path,
          to,
          `kept in berth.yaml${from}: \`${value}\` is the port of \`${partner.name}\`, named by the host beside it: \`${port}\`, its address's port (on one machine not ${value})`,
        );
        continue;
      }
      if (value !== undefined && !secret) {
        const r = rewriteServiceRefs(value, item.key, ctx.composeName, addresses);
        if (r.template !== undefined) {
          ctx.out.env[item.key] = r.template;
          ctx.report.changed(item.path, to, `kept in berth.yaml${from}${refsNote(r.refs)}`);
          continue;
        }
      }
      const v = ctx.variables.claim(Variables.envNames(item.key, ctx.name), value, {
        service: ctx.name,
        ...(secret === undefined ? {} : { secret }),
      });
      ctx.out.env[item.key] = `\${${v.name}}`;
      const refs = value === undefined ? [] : findServiceRefs(value, item.key, ctx.composeName, addresses);
      const notes = [
        value === undefined
          ? `variable ${v.name} has no value: compose takes it from its environment, where it is not set; set it in the config set before deploying`
          : `value${from} → config set, variable ${v.name}`,
        ...(v.name === item.key
          ? []
          : v.name === variableName(item.key)
            ? [`named ${v.name}: variable names have only letters, digits and \`_\``]
            : [`named ${v.name} because the key has other values in other services`]),
        ...(secret ? [`secret (${secret}): encrypted at rest, masked everywhere`] : []),
      ];
      const changed = value === undefined || secret !== undefined || v.name !== item.key || refs.length > 0;
      ctx.report.add(changed ? 'changed' : 'mapped', item.path, notes.join('; ') + refsNote(refs), to);
    }
  }
  for (const f of later) f();
}

function splitOutPassword(ctx: ServiceContext, item: EnvItem, split: PasswordSplit, addresses: AddressInfo[]): void {
  const { head, password, tail, kind } = split;
  const v = ctx.variables.claim([`${item.key}_PASSWORD`, `${item.key.toUpperCase()}_PASSWORD`], password, {
    service: ctx.name,
    secret: `the password in the ${kind} of ${item.key}`,
    shareSecret: true,
  });
  // A URL names its host after the password, a connection string anywhere (`Server=db;…`).
  const h = kind === 'URL' ? { refs: [] } : rewriteServiceRefs(head, item.key, ctx.composeName, addresses);
  const t = rewriteServiceRefs(tail, item.key, ctx.composeName, addresses);
  ctx.out.env[item.key] = `${h.template ?? literal(head)}\${${v.name}}${t.template ?? literal(tail)}`;
  ctx.report.changed(
    item.path,
    `services.${ctx.name}.env.${item.key}`,
    `the password inside the ${kind} → secret variable ${v.name} in the config set; the rest of the ${kind} stays in berth.yaml${refsNote([...h.refs, ...t.refs])}`,
  );
}
