/**
 * The render path warmed in the background after the control plane starts. A control plane's first
 * `POST /api/v1/render` runs code that has never run in the process: V8 compiles each function on its
 * first call, zod builds its parsers, and nothing is optimized yet, which made the first render of a
 * 200-service app ~2× the later ones (docs/benchmarks.md, render). So once the API listens, the
 * built-in sample app (spec/warmApp.ts, never a user's data) is rendered twice — parsed, its release
 * and Kubernetes objects built, validated and printed — with memos of its own, one step per turn of
 * the event loop so a request waits for at most one step. Afterwards the caches of text the render
 * keeps across renders (printed lines, objects found valid, parsed templates and durations) are
 * emptied: what stays of it is compiled code, nothing a user's render could be answered from.
 * BERTH_RENDER_WARMUP=0 turns it off.
 */
import { createHmac } from 'node:crypto';
import { kubernetesRelease } from '../export/kubernetesRelease.js';
import { ServiceRenderMemo } from '../release/serviceMemo.js';
import { ManifestMemo } from '../runtime/kubernetes/manifests/manifestMemo.js';
import { forgetPrintedLines } from '../runtime/kubernetes/manifests/toYaml.js';
import { forgetValidObjects } from '../runtime/kubernetes/manifests/validate.js';
import { withSpecPositions } from '../runtime/kubernetes/specPositions.js';
import { forgetParsedTemplates } from '../spec/interpolate.js';
import type { LoadedSpec } from '../spec/load.js';
import { SpecParser } from '../spec/specParser.js';
import { forgetParsedDurations } from '../spec/units.js';
import { warmAppText } from '../spec/warmApp.js';

/** Where the warm-up is: `GET /api/v1/info` says it (the render benchmark waits for `done`). */
export type RenderWarmupState = 'running' | 'done' | 'off' | 'stopped' | 'failed';

export interface RenderWarmup {
  state(): RenderWarmupState;
  /** Ends the warm-up before its next step (the control plane is closing). */
  stop(): void;
}

/** Renders of the sample app: the second runs the code the first compiled, with its type feedback. */
const RENDERS = 2;
/** Services of the sample app: enough for every kind of object and spec field, ~50 ms a render once compiled. */
const SERVICES = 60;

/** Starts the warm-up (see the module's comment); `log` hears when it ends and how long it took. */
export function startRenderWarmup(
  opts: {
    log?: (msg: string, fields: Record<string, unknown>) => void;
    env?: NodeJS.ProcessEnv;
  } = {},
): RenderWarmup {
  const env = opts.env ?? process.env;
  let state: RenderWarmupState = env.BERTH_RENDER_WARMUP === '0' ? 'off' : 'running';
  if (state === 'off') return { state: () => state, stop: () => {} };
  const text = warmAppText(SERVICES);
  const started = performance.now();
  let cpuMs = 0;
  // Each step is one turn: a request that comes in meanwhile waits for one step, not the whole warm-up.
  const steps: (() => void)[] = [];
  for (let i = 0; i < RENDERS; i++) {
    let loaded: LoadedSpec | undefined;
    let manifest: ReturnType<typeof kubernetesRelease>['manifest'] | undefined;
    steps.push(
      () => (loaded = new SpecParser().parse(text, `/berth-render-warmup-${i}/berth.yaml`)),
      () =>
        ({ manifest } = kubernetesRelease({
          loaded: loaded!,
          environment: { name: 'warmup', defaults: {} },
          config: { version: 1, values: {}, files: {} },
          revision: 1,
          digestSecret: (s) => createHmac('sha256', 'berth-render-warmup').update(s).digest('hex'),
          memo: new ServiceRenderMemo(),
          options: { namespace: 'berth-render-warmup', secrets: 'masked' },
        })),
      () => void withSpecPositions(loaded!, () => new ManifestMemo().render(manifest!)).documents.join('---\n'),
    );
  }
  steps.push(() => {
    forgetPrintedLines();
    forgetValidObjects();
    forgetParsedTemplates();
    forgetParsedDurations();
  });
  const next = (): void => {
    if (state !== 'running') return;
    const step = steps.shift();
    if (step === undefined) {
      state = 'done';
      opts.log?.('render path warmed', {
        cpuMs: Math.round(cpuMs),
        wallMs: Math.round(performance.now() - started),
      });
      return;
    }
    const t0 = process.cpuUsage();
    try {
      step();
    } catch (err) {
      // A failure here is a bug in the render of the sample app; the control plane renders as it would cold.
      state = 'failed';
      opts.log?.('render warm-up failed', { err: err instanceof Error ? err.message : String(err) });
      return;
    } finally {
      const used = process.cpuUsage(t0);
      cpuMs += (used.user + used.system) / 1000;
    }
    setImmediate(next);
  };
  setImmediate(next);
  return {
    state: () => state,
    stop: () => {
      if (state === 'running') state = 'stopped';
    },
  };
}
