/**
 * Bad input and limits: a replica that cannot start or crashes says why (in its status and in the
 * failed converge), and a gateway listener that cannot bind its port fails the converge or the
 * routes and shows in `observe`.
 */
import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { RuntimeError } from '../../errors.js';
import type { Runtime } from '../runtime.js';
import { fixtureState, useLocalRuntime, waitFor } from './testdata/testing.js';

const local = useLocalRuntime();
const start = (): Runtime => local.start();
let held: Server | undefined;

afterEach(() => {
  held?.close();
  held = undefined;
});

const noop = { signal: new AbortController().signal, onEvent: () => undefined };
// The replicas that crash end their converge at the third crash (a crash loop): the progress deadline
// is far, so a loaded machine, slow to start three runs, cannot end one first and change the reason.
const quick = { maxSurge: 1, maxUnavailable: 0, progressDeadlineMs: 30_000 };

function withCommand(command: string[], extra: { cwd?: string } = {}, rollout = quick) {
  const base = fixtureState();
  return fixtureState({ workload: { ...base.workload, command, ...extra }, rollout });
}

async function failure(rt: Runtime, state: ReturnType<typeof fixtureState>): Promise<Error> {
  const err = await rt.converge(state, noop).then(
    () => new Error('converge succeeded'),
    (e: unknown) => e as Error,
  );
  return err;
}

describe('replicas that cannot run', () => {
  it('a command that does not exist: "command not found" in the status and the converge error', async () => {
    const rt = start();
    const err = await failure(rt, withCommand(['berth-no-such-command', '--serve']));
    // A crash loop: the converge fails after 3 crashes, not at the progress deadline.
    expect(err).toBeInstanceOf(RuntimeError);
    expect(err.message).toMatch(
      /^orders: crash loop: orders-\w+-\w+ crashed 3 times in a row without ever becoming ready; last exit: command not found: berth-no-such-command/,
    );
    const r = (await rt.observe('shop', 'dev')).services[0]!.replicas[0]!;
    expect(r.phase).toBe('backoff');
    expect(r.lastExit?.reason).toMatch(/^command not found: berth-no-such-command \(spawn .*ENOENT\)$/);
    expect(r.message).toMatch(/^back-off \d+ms restarting failed replica \(command not found/);
    const notFound = { code: 'exit.commandNotFound', params: { file: 'berth-no-such-command' } };
    expect(r.lastExit?.reasonMessage).toMatchObject({ ...notFound, text: r.lastExit?.reason });
    expect(r.messageDetail).toMatchObject({ code: 'event.backOff', params: { reason: notFound } });
    expect((err as { reasonMessage?: unknown }).reasonMessage).toMatchObject({
      code: 'release.crashLoopNoStderr',
      params: { lastExit: notFound },
    });
  });

  it('a shell command that does not exist: the shell says so in the reason', async () => {
    const rt = start();
    const err = await failure(rt, withCommand(['/bin/sh', '-c', 'berth-no-such-command']));
    expect(err.message).toMatch(
      /last exit: exited with code 127: .*berth-no-such-command: not found; last stderr: .*berth-no-such-command: not found$/,
    );
  });

  it('a working directory that does not exist', async () => {
    const rt = start();
    // Its restarts back off for seconds: the short progress deadline ends it sooner, naming why.
    const err = await failure(
      rt,
      withCommand(
        [process.execPath, '-e', '0'],
        { cwd: `${local.home}/missing` },
        { ...quick, progressDeadlineMs: 1200 },
      ),
    );
    expect(err.message).toContain(`the working directory ${local.home}/missing does not exist`);
    const r = (await rt.observe('shop', 'dev')).services[0]!.replicas[0]!;
    expect(r.lastExit?.reasonMessage).toMatchObject({
      code: 'exit.noWorkingDir',
      params: { dir: `${local.home}/missing` },
      text: `the working directory ${local.home}/missing does not exist`,
    });
  });

  it('a port already taken: the crash reason quotes the error line of stderr', async () => {
    held = createServer();
    await new Promise<void>((r) => held!.listen(0, '127.0.0.1', r));
    const port = (held.address() as { port: number }).port;
    const rt = start();
    const script = `require('http').createServer().listen(${port}, '127.0.0.1')`;
    const err = await failure(rt, withCommand([process.execPath, '-e', script]));
    expect(err.message).toContain(
      `exited with code 1: Error: listen EADDRINUSE: address already in use 127.0.0.1:${port}`,
    );
    const r = (await rt.observe('shop', 'dev')).services[0]!.replicas[0]!;
    // The converge ends at the third crash; the replica may be backing off or starting again by now.
    expect(r.lastExit?.reason).toContain(`exited with code 1: Error: listen EADDRINUSE`);
  });
});

describe('gateway listeners that cannot bind', () => {
  it('fail the converge and the routes with the port, and show in observe until the port is free', async () => {
    const rt = start();
    const state = fixtureState();
    await rt.converge(state, noop);
    const servicePort = local.gateway.current.services[0]!.port;
    local.gateway.takenPorts.add(servicePort);
    const err = await failure(rt, fixtureState({ hash: 'bbbbbbb2' }));
    expect(err).toBeInstanceOf(RuntimeError);
    expect(err.message).toBe(
      `orders: its address cannot listen on 127.0.0.1:${servicePort}: another process uses that port (EADDRINUSE)`,
    );
    await rt.applyRoutes(
      { app: 'shop', env: 'dev', routes: [{ pathPrefix: '/', service: 'orders', stripPrefix: false }] },
      noop,
    );
    const edgePort = local.gateway.current.edges[0]!.port;
    local.gateway.takenPorts.add(edgePort);
    const routesErr = await rt
      .applyRoutes(
        { app: 'shop', env: 'dev', routes: [{ pathPrefix: '/', service: 'orders', stripPrefix: false }] },
        noop,
      )
      .then(
        () => new Error('applyRoutes succeeded'),
        (e: unknown) => e as Error,
      );
    expect(routesErr.message).toBe(
      `the edge of shop/dev cannot listen on 127.0.0.1:${edgePort}: another process uses that port (EADDRINUSE)`,
    );
    const obs = await rt.observe('shop', 'dev');
    expect(obs.edge).toMatchObject({ port: edgePort, error: expect.stringContaining('EADDRINUSE') });
    expect(obs.services[0]!.address).toMatchObject({ port: servicePort, error: expect.stringContaining('EADDRINUSE') });
    // each with its code, the port's problem inside, for the console to translate
    const inUse = { code: 'listener.cannotListen', params: { port: edgePort, why: { code: 'listener.inUse' } } };
    expect(obs.edge?.errorMessage).toMatchObject({
      ...inUse,
      params: { ...inUse.params, what: { code: 'listener.edgeOf' } },
    });
    expect(obs.services[0]!.address?.errorMessage).toMatchObject({
      code: 'listener.cannotListen',
      params: { port: servicePort, what: { code: 'listener.addressOf', params: { service: 'orders' } } },
      text: obs.services[0]!.address?.error,
    });
    expect((err as { reasonMessage?: unknown }).reasonMessage).toMatchObject({
      code: 'release.rolloutFailed',
      params: {
        service: 'orders',
        error: { code: 'listener.cannotListen', params: { what: { code: 'listener.itsAddress' } } },
      },
    });
    expect((routesErr as { reasonMessage?: unknown }).reasonMessage).toMatchObject({ code: 'listener.cannotListen' });

    // Freed ports: observe asks the gateway to try again, and the errors go away.
    local.gateway.takenPorts.clear();
    const after = await waitFor(
      async () => {
        const o = await rt.observe('shop', 'dev');
        return o.edge && !('error' in o.edge) ? o : undefined;
      },
      5000,
      'the listeners to be retried',
    );
    expect(after.edge).toEqual({ url: `http://127.0.0.1:${edgePort}`, port: edgePort });
    expect(after.services[0]!.address).not.toHaveProperty('error');
  });
});
