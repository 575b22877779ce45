/**
 * `berth render --offline`: the render without a control plane, berth.yaml's defaults the only values.
 * Its own module so the build can bundle it, with every module and package it loads, into one CommonJS
 * file run from V8's code cache (scripts/bundleCli.mjs → dist/cli/renderOffline.cjs): a cold CLI
 * otherwise spends most of the render loading a hundred ES modules (docs/benchmarks.md, render).
 */
import { createHmac } from 'node:crypto';
import { parseSpec } from '../../spec/load.js';
import { kubernetesRelease } from '../../export/kubernetesRelease.js';
import { withSpecPositions } from '../../runtime/kubernetes/specPositions.js';
import { renderManifestsOnce } from '../../runtime/kubernetes/manifests/render.js';

/** What `berth render --offline` was asked. */
export interface OfflineRenderOptions {
  env: string;
  namespace?: string;
  kubernetesVersion?: string;
  ingressClass?: string;
}

/** The rendered objects, and their YAML documents when the format is YAML. */
export interface OfflineRendered {
  yaml?: string;
  objects?: unknown[];
}

/** Renders, validates and prints once, as the control plane does, but keeps nothing for a next render (there is none). */
export function renderOffline(
  spec: { file: string; text: string },
  o: OfflineRenderOptions,
  format: string,
): OfflineRendered {
  const loaded = parseSpec(spec.text, spec.file);
  const { manifest } = kubernetesRelease({
    loaded,
    environment: { name: o.env, defaults: {} },
    config: { version: 0, values: {}, files: {} },
    revision: 0,
    // Offline values come from berth.yaml itself, so a fixed digest key reveals nothing new.
    digestSecret: (s) => createHmac('sha256', 'berth-offline').update(s).digest('hex'),
    options: {
      namespace: o.namespace ?? o.env,
      secrets: 'masked',
      ...(o.kubernetesVersion ? { kubernetesVersion: o.kubernetesVersion } : {}),
      ...(o.ingressClass ? { ingressClassName: o.ingressClass } : {}),
    },
  });
  const { objects, documents } = withSpecPositions(loaded, () => renderManifestsOnce(manifest));
  return format === 'yaml' ? { yaml: documents.join('---\n') } : { objects };
}
