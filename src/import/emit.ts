/**
 * Writes the import's two outputs as text: berth.yaml (with a header saying where it came from,
 * and over each service a comment naming what was not mapped) and the config-set script, a shell
 * script of `berth config set` commands that gives the variables their imported values.
 */
import { Document, isMap, isScalar, visit } from 'yaml';
import type { ServiceOut } from './context.js';
import type { RouteOut } from './mapRoutes.js';
import type { ImportedVariable } from './variables.js';

/** What berth.yaml is made from. */
export interface SpecParts {
  app: string;
  source: string;
  variables: ImportedVariable[];
  /** Write non-secret values as variable defaults instead of config-set values. */
  defaults: boolean;
  /** Names of the app's named volumes. */
  volumes: string[];
  /** Edge routes of the published HTTP ports. */
  routes: RouteOut[];
  services: { name: string; out: ServiceOut; unmapped: string[] }[];
}

function serviceObject(s: ServiceOut): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  if (s.image !== undefined) o.image = s.image;
  if (s.runAs !== undefined) o.runAs = s.runAs;
  if (s.kind !== undefined) o.kind = s.kind;
  if (s.placement !== undefined) o.placement = s.placement;
  if (s.entrypoint !== undefined) o.entrypoint = s.entrypoint;
  if (s.command !== undefined) o.command = s.command;
  if (s.cwd !== undefined) o.cwd = s.cwd;
  if (s.replicas !== undefined) o.replicas = s.replicas;
  if (s.backoffLimit !== undefined) o.backoffLimit = s.backoffLimit;
  if (s.ports.length) o.ports = s.ports.map((p) => (Object.keys(p).length === 1 ? p.port : p));
  if (s.dependsOn.length) o.dependsOn = s.dependsOn;
  if (Object.keys(s.env).length) o.env = s.env;
  if (s.files.length) o.files = s.files;
  if (s.volumes.length) o.volumes = s.volumes;
  if (s.health.readiness || s.health.liveness) o.health = s.health;
  if (s.resources.requests || s.resources.limits) o.resources = s.resources;
  if (s.rollout) o.rollout = s.rollout;
  if (s.restart) o.restart = s.restart;
  if (s.terminationGracePeriod !== undefined) o.terminationGracePeriod = s.terminationGracePeriod;
  if (s.stopSignal !== undefined) o.stopSignal = s.stopSignal;
  return o;
}

function variableObject(v: ImportedVariable, defaults: boolean): unknown {
  const withDefault = defaults && !v.secret && v.value !== undefined;
  if (!v.secret && !v.description) return withDefault ? v.value : null;
  return {
    ...(withDefault ? { default: v.value } : {}),
    ...(v.description ? { description: v.description } : {}),
    ...(v.secret ? { secret: true } : {}),
  };
}

/** The berth.yaml text. */
export function specText(parts: SpecParts): string {
  const vars = Object.fromEntries(parts.variables.map((v) => [v.name, variableObject(v, parts.defaults)]));
  const doc = new Document({
    name: parts.app,
    description: `Imported from ${parts.source}`,
    ...(parts.variables.length ? { variables: vars } : {}),
    ...(parts.volumes.length ? { volumes: Object.fromEntries(parts.volumes.map((v) => [v, null])) } : {}),
    services: Object.fromEntries(parts.services.map((s) => [s.name, serviceObject(s.out)])),
    ...(parts.routes.length ? { routes: parts.routes } : {}),
  });
  // Short lists of plain values read best on one line: ports, dependsOn, commands.
  visit(doc, {
    Seq(_key, node) {
      if (node.items.every(isScalar) && node.items.map((i) => String(i.value)).join(', ').length < 80) node.flow = true;
    },
  });
  const services = doc.get('services');
  if (isMap(services))
    for (const pair of services.items) {
      const s = parts.services.find((x) => isScalar(pair.key) && x.name === pair.key.value);
      if (s && s.unmapped.length && isScalar(pair.key))
        pair.key.commentBefore = ` not mapped from ${parts.source}: ${s.unmapped.join(', ')} (see the import report)`;
    }
  doc.commentBefore = [
    ` imported from ${parts.source} by \`berth import\`.`,
    ` Check it with \`berth validate\`; values live in the config set${parts.variables.some((v) => v.secret || !parts.defaults) ? ' (apply berth.config.sh)' : ''}.`,
  ].join('\n');
  return doc.toString({ lineWidth: 0, flowCollectionPadding: false, nullStr: '' });
}

/** `'...'` quoting for sh. */
export function shellQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/**
 * The config-set script, or undefined when there is nothing to set. `berth` can be replaced by
 * `$BERTH` (e.g. `BERTH="node dist/cli/main.js"`); extra arguments (`--env prod`) are passed on.
 */
export function configScript(
  app: string,
  source: string,
  variables: ImportedVariable[],
  defaults: boolean,
): string | undefined {
  const withValue = variables.filter((v) => v.value !== undefined);
  const plain = withValue.filter((v) => !v.secret && !defaults);
  const secret = withValue.filter((v) => v.secret);
  const missing = variables.filter((v) => v.value === undefined);
  if (plain.length === 0 && secret.length === 0 && missing.length === 0) return undefined;
  const pairs = (list: ImportedVariable[]) => list.map((v) => `  ${shellQuote(`${v.name}=${v.value}`)}`).join(' \\\n');
  const message = shellQuote(`imported from ${source}`);
  const lines = [
    '#!/bin/sh',
    `# Config set of app ${app}, imported from ${source} by \`berth import\`.`,
    '# Apply it to an environment:  sh berth.config.sh --env <env>',
    ...(secret.length ? ['# It holds secret values: keep it out of version control and delete it once applied.'] : []),
    'set -eu',
    `BERTH=\${BERTH:-berth}`,
  ];
  if (plain.length) lines.push(`$BERTH config set --app ${app} -m ${message} "$@" -- \\\n${pairs(plain)}`);
  if (secret.length) lines.push(`$BERTH config set --app ${app} --secret -m ${message} "$@" -- \\\n${pairs(secret)}`);
  if (missing.length) {
    lines.push('# These have no value in the compose environment: set them before deploying.');
    for (const v of missing)
      lines.push(
        `# $BERTH config set --app ${app}${v.secret ? ' --secret' : ''} "$@" -- ${shellQuote(`${v.name}=...`)}`,
      );
  }
  return `${lines.join('\n')}\n`;
}
