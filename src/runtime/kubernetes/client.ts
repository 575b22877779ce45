/**
 * The connection to a cluster: a kubeconfig (file, context) turned into the client-node APIs the
 * runtime uses, and one way to describe the errors they throw.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { ApiException, CoreV1Api, KubeConfig, KubernetesObjectApi, Log, Watch } from '@kubernetes/client-node';
import { NotFoundError, ValidationError } from '../../errors.js';
import { DEFAULT_RETRY, retrying, retryWatch, type RetryPolicy } from './retry.js';

/** The APIs of one cluster connection. */
export interface KubeClients {
  config: KubeConfig;
  /** Server-side apply, list and delete of any kind (resolves resources through discovery). */
  objects: KubernetesObjectApi;
  core: CoreV1Api;
  /** Watches; a watch that fails to open for a transient reason is opened again (retry.ts). */
  watch: Pick<Watch, 'watch'>;
  log: Log;
  /** The context in use. */
  context: string;
}

/** Loads a kubeconfig: `path`, else $KUBECONFIG, else ~/.kube/config; selects `context` when given. */
export function loadKubeConfig(opts: { kubeconfig?: string; context?: string }): KubeConfig {
  const kc = new KubeConfig();
  const file = opts.kubeconfig ?? (process.env.KUBECONFIG ? undefined : join(homedir(), '.kube', 'config'));
  if (file !== undefined && !existsSync(file))
    throw new NotFoundError(`kubeconfig ${file} does not exist (set KUBECONFIG or pass the kubeconfig path)`);
  if (file === undefined) kc.loadFromDefault();
  else kc.loadFromFile(file);
  if (opts.context !== undefined) {
    const known = kc.getContexts().map((c) => c.name);
    if (!known.includes(opts.context))
      throw new ValidationError(`kubeconfig has no context ${opts.context}`, [
        {
          file: file ?? process.env.KUBECONFIG,
          path: 'contexts',
          message: `known contexts: ${known.join(', ') || 'none'}`,
        },
      ]);
    kc.setCurrentContext(opts.context);
  }
  if (!kc.getCurrentCluster())
    throw new ValidationError('kubeconfig selects no cluster', [
      {
        file: file ?? process.env.KUBECONFIG,
        path: 'current-context',
        message: 'set a current context or pass --context',
      },
    ]);
  return kc;
}

/** The API calls the retry wrapper covers: every request/response call (not log streams). */
const RETRIED = /^(read|list|create|delete|patch|replace)/;

/**
 * The client-node APIs over a kubeconfig, their calls retried on transient errors (retry.ts); when
 * `closing` aborts, a retry's backoff under way ends at once (the call fails) instead of running out.
 */
export function createClients(kc: KubeConfig, retry: RetryPolicy = DEFAULT_RETRY, closing?: AbortSignal): KubeClients {
  const watch = new Watch(kc);
  return {
    config: kc,
    objects: retrying(KubernetesObjectApi.makeApiClient(kc), 'objects', retry, RETRIED, closing),
    core: retrying(kc.makeApiClient(CoreV1Api), 'core', retry, RETRIED, closing),
    watch: { watch: retryWatch(watch.watch.bind(watch), retry, closing) as Watch['watch'] },
    log: new Log(kc),
    context: kc.getCurrentContext(),
  };
}

/** The HTTP status of a failed API call, if it was one. */
export function apiStatus(err: unknown): number | undefined {
  if (err instanceof ApiException) return err.code;
  const code = (err as { statusCode?: unknown } | undefined)?.statusCode;
  return typeof code === 'number' ? code : undefined;
}

/** A one-line description of a failed API call: the Status message when the server sent one. */
export function describeApiError(err: unknown): string {
  if (err instanceof ApiException) {
    let body: unknown = err.body;
    if (typeof body === 'string') {
      try {
        body = JSON.parse(body);
      } catch {
        return `HTTP ${err.code}: ${body}`;
      }
    }
    const message = (body as { message?: unknown } | undefined)?.message;
    return `HTTP ${err.code}: ${typeof message === 'string' ? message : err.message}`;
  }
  return err instanceof Error ? err.message : String(err);
}
