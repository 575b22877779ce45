/**
 * What every test of the conformance kit shares: the current setup, states of the kit's app, converge
 * options, observation and, on runtimes whose replicas answer, requests to what they serve.
 */
import { request } from 'undici';
import { expect } from 'vitest';
import type { ConvergeOptions, Runtime } from '../runtime.js';
import type { RuntimeEvent, ServiceStatus } from '../../model/observation.js';
import type { ServiceState } from '../../model/serviceState.js';
import type { TrafficSplit } from '../../model/routing.js';
import type { ConformanceSetup, StateOptions } from './setup.js';

/** A replica's answer to a request (see ServingView `requests`). */
export interface Answer {
  status: number;
  service?: string;
  version?: string;
  replica?: string;
  path?: string;
  /** The lines of the volume's file, when asked for `/volume`. */
  volume?: string[];
  text: string;
}

/** The kit's view of one test: the setup of the runtime under test and helpers over it. */
export class KitContext {
  readonly app = 'conform';
  readonly env = 'test';
  private current: ConformanceSetup | undefined;

  get s(): ConformanceSetup {
    if (this.current === undefined) throw new Error('the runtime under test is not set up');
    return this.current;
  }

  set(setup: ConformanceSetup | undefined): void {
    this.current = setup;
  }

  opts(events: RuntimeEvent[] = [], timeoutMs = 60_000): ConvergeOptions {
    return { signal: AbortSignal.timeout(timeoutMs), onEvent: (e) => events.push(e) };
  }

  state(
    service: string,
    replicas: number,
    hash: string,
    over: Partial<Omit<StateOptions, 'app' | 'env' | 'service' | 'replicas' | 'hash'>> = {},
  ): ServiceState {
    return this.s.makeState({ app: this.app, env: this.env, service, replicas, hash, revision: 1, ...over });
  }

  /** `stable` with `canary`'s version as its canary track, split by `traffic`. */
  withCanary(stable: ServiceState, canary: ServiceState, traffic: TrafficSplit): ServiceState {
    const { revision, configVersion, hash, replicas, workload } = canary;
    return { ...stable, canary: { revision, configVersion, hash, replicas, workload }, traffic };
  }

  async status(service: string, rt: Runtime = this.s.runtime): Promise<ServiceStatus | undefined> {
    return (await rt.observe(this.app, this.env)).services.find((x) => x.service === service);
  }

  /** The service's stable address as observed (it must have one). */
  async addressUrl(service: string, rt: Runtime = this.s.runtime): Promise<string> {
    const url = (await this.status(service, rt))?.address?.url;
    expect(url, `${service} has an address`).toBeTypeOf('string');
    return url!;
  }

  /**
   * GET `base` + `path` (with `headers`, `host` among them: fetch would drop it) as a new client: on a
   * connection of its own, closed after the answer (an idle keep-alive connection gets one more answer
   * from the old HAProxy worker after a reload, under the old table: docs/architecture.md). Read as a
   * replica's answer.
   */
  async ask(base: string, path: string, headers: Record<string, string> = {}): Promise<Answer> {
    const res = await request(new URL(path, base), { headers, reset: true, signal: AbortSignal.timeout(10_000) });
    const text = await res.body.text();
    try {
      const body = JSON.parse(text) as Omit<Answer, 'status' | 'text'>;
      return { status: res.statusCode, ...body, text };
    } catch {
      return { status: res.statusCode, text };
    }
  }

  /** The versions answering `n` requests to `path` at `base`, sorted (the answers must all be 200). */
  async versions(base: string, n: number, path = '/', headers: Record<string, string> = {}): Promise<string[]> {
    const answers: Answer[] = [];
    for (let i = 0; i < n; i++) answers.push(await this.ask(base, path, headers));
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200));
    return answers.map((a) => a.version!).sort();
  }

  /** Polls `fn` until it returns true (for what a runtime does after a call returned). */
  async eventually(fn: () => Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await fn())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
