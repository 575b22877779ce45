/**
 * Image builds on this machine (`Runtime.buildImage` of the local runtime, issue 17 point 2): the
 * context sent to the engine's Docker-compatible `/build` (Podman builds it with Buildah, Docker with
 * BuildKit or its classic builder), the build's output streamed line by line, then — for an
 * environment with a registry — a push with the registry's credentials (in the X-Registry-Auth header
 * only; every text made here is scrubbed of the password). The digest is the registry's manifest
 * digest after a push, else the local image id.
 */
import type { IncomingMessage } from 'node:http';
import { RuntimeError, UnavailableError } from '../../errors.js';
import type { BuiltImage, ImageBuildRequest } from '../../model/build.js';
import { MASK } from '../../model/mask.js';
import { engineReason, engineStatus, type Engine } from './engine.js';
import { imageReference } from './imageReference.js';

/** How many of the last log lines a failure carries (`details.logTail`). */
export const LOG_TAIL_LINES = 30;

export interface BuildImageOptions {
  onLog: (line: string) => void;
  signal?: AbortSignal;
}

interface StreamLine {
  stream?: string;
  status?: string;
  id?: string;
  error?: string;
  errorDetail?: { message?: string };
  aux?: { ID?: string; Digest?: string; Tag?: string };
  progress?: string;
}

/** Reads a JSON-lines stream, calling `onObject` per object (non-JSON lines as `{ stream }`). */
function readJsonLines(
  stream: NodeJS.ReadableStream,
  signal: AbortSignal | undefined,
  onObject: (o: StreamLine) => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const onAbort = (): void => {
      (stream as IncomingMessage).destroy?.();
      reject(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
    };
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    const take = (line: string): void => {
      const t = line.trim();
      if (!t) return;
      try {
        onObject(JSON.parse(t) as StreamLine);
      } catch {
        onObject({ stream: t });
      }
    };
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        take(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
      }
    });
    stream.on('error', (err) => {
      signal?.removeEventListener('abort', onAbort);
      reject(err);
    });
    stream.on('end', () => {
      signal?.removeEventListener('abort', onAbort);
      take(buf);
      resolve();
    });
  });
}

/** The password of `request`'s registry replaced in `text`. */
function scrub(request: ImageBuildRequest, text: string): string {
  const secret = request.auth?.password;
  return secret ? text.split(secret).join(MASK) : text;
}

/** Builds (and pushes) one image through `engine`: see the file's comment. */
export async function buildImage(
  engine: Engine,
  request: ImageBuildRequest,
  opts: BuildImageOptions,
): Promise<BuiltImage> {
  const tail: string[] = [];
  const log = (line: string): void => {
    const clean = scrub(request, line.replace(/\r/g, '').replace(/\n+$/, ''));
    for (const l of clean.split('\n')) {
      tail.push(l);
      if (tail.length > LOG_TAIL_LINES) tail.shift();
      opts.onLog(l);
    }
  };
  const fail = (what: string, reason: string): RuntimeError =>
    new RuntimeError(`${request.service}: ${what}: ${scrub(request, reason)}`, {
      details: { service: request.service, image: request.image, logTail: [...tail] },
    });

  let stream: NodeJS.ReadableStream;
  try {
    stream = await engine.docker.buildImage(
      // The whole folder: dockerode leaves out what .dockerignore says, and the engine does again.
      { context: request.contextDir, src: ['.'] },
      {
        t: request.image,
        dockerfile: request.dockerfile,
        buildargs: request.args,
        ...(request.target ? { target: request.target } : {}),
        rm: true,
        forcerm: true,
        ...(opts.signal ? { abortSignal: opts.signal } : {}),
      },
    );
  } catch (err) {
    if (engineStatus(err) === undefined)
      throw new UnavailableError(`${request.service}: the container engine does not answer: ${engineReason(err)}`);
    throw fail('the build failed', engineReason(err));
  }
  let failure: string | undefined;
  let id: string | undefined;
  await readJsonLines(stream, opts.signal, (o) => {
    if (o.error || o.errorDetail?.message) {
      failure ??= o.errorDetail?.message ?? o.error;
      log(failure ?? '');
      return;
    }
    if (o.aux?.ID) id = o.aux.ID;
    if (o.stream !== undefined) log(o.stream);
    else if (o.status !== undefined) log(`${o.status}${o.progress ? ` ${o.progress}` : ''}`);
  });
  if (failure !== undefined) throw fail('the build failed', failure.trim());
  // The id the engine tagged (the stream's aux or the tag's inspect: engines differ in what they announce).
  const inspected = (await engine.docker
    .getImage(request.image)
    .inspect()
    .catch((err: unknown) => {
      throw fail(`the build ended but the engine does not list ${request.image}`, engineReason(err));
    })) as { Id: string };
  id = inspected.Id ?? id;
  if (!request.push) return { image: request.image, digest: id.startsWith('sha256:') ? id : `sha256:${id}` };
  return { image: request.image, digest: await push(engine, request, log, fail, opts.signal) };
}

async function push(
  engine: Engine,
  request: ImageBuildRequest,
  log: (line: string) => void,
  fail: (what: string, reason: string) => RuntimeError,
  signal: AbortSignal | undefined,
): Promise<string> {
  const ref = imageReference(request.image);
  log(`pushing ${request.image}`);
  let stream: NodeJS.ReadableStream;
  try {
    const pushOptions = {
      tag: ref.tag ?? 'latest',
      ...(request.auth
        ? {
            authconfig: {
              username: request.auth.username,
              password: request.auth.password,
              serveraddress: request.auth.server,
            },
          }
        : {}),
      ...(signal ? { abortSignal: signal } : {}),
    };
    stream = await engine.docker.getImage(ref.name).push(pushOptions);
  } catch (err) {
    throw fail(`cannot push ${request.image}`, engineReason(err));
  }
  let failure: string | undefined;
  let digest: string | undefined;
  await readJsonLines(stream, signal, (o) => {
    if (o.error || o.errorDetail?.message) {
      failure ??= o.errorDetail?.message ?? o.error;
      return;
    }
    if (o.aux?.Digest) digest = o.aux.Digest;
    const said = /digest: (sha256:[0-9a-f]{64})/.exec(o.status ?? '');
    if (said) digest ??= said[1];
    if (o.status && !o.progress) log(o.status);
  });
  if (failure !== undefined) {
    const hint = /unauthorized|authentication required|denied|401|403/i.test(failure)
      ? request.auth
        ? ` (the credentials for ${ref.registry}, user ${request.auth.username}, are wrong or may not push)`
        : ` (${ref.registry} asks for credentials: add it to berth.yaml \`registries\` with a username and a password secret)`
      : '';
    throw fail(`cannot push ${request.image}`, `${failure.trim()}${hint}`);
  }
  if (!digest) throw fail(`pushed ${request.image}`, 'the engine did not say the digest the registry stored');
  log(`pushed ${request.image}@${digest}`);
  return digest;
}

/** `buildImage` through the engine `engine()` connects to; a missing engine fails naming the service. */
export function imageBuilder(
  engine: () => Promise<Engine>,
): (request: ImageBuildRequest, opts: BuildImageOptions) => Promise<BuiltImage> {
  return async (request, opts) => {
    let connected: Engine;
    try {
      connected = await engine();
    } catch (err) {
      throw new UnavailableError(
        `${request.service}: building its image needs a container engine: ${err instanceof Error ? err.message : engineReason(err)}`,
        { cause: err },
      );
    }
    return buildImage(connected, request, opts);
  };
}
