/**
 * Images on this machine: `Runtime.resolveImages` of the local runtime. Each distinct image is
 * inspected, pulled as its policy says (IfNotPresent, Always, Never) with the registry's credentials
 * when berth.yaml gives some, and resolved to the digest the revision records.
 *
 * The digest: the repository digest of the image's own repository when the engine lists one (what
 * the registry serves for the tag, so a rollback or another machine gets exactly these bytes), else
 * the image's id. A locally built image (`podman build`, `docker build`) was never pushed or pulled,
 * so it has no registry digest; its id (the digest of its config) still names exactly one image.
 *
 * The password of a registry goes into the engine's call only (its X-Registry-Auth header), never
 * into a query string, an event, an error or a file: every text this file makes is scrubbed of it.
 */
import type { IncomingMessage } from 'node:http';
import { RuntimeError, UnavailableError } from '../../errors.js';
import { message, said, type Message } from '../../model/messages.js';
import type { ImageRequest, ResolvedImage } from '../runtime.js';
import type { ImagePullPolicy, RegistryAuth } from '../../model/workload.js';
import type { RuntimeEvent } from '../../model/observation.js';
import { connectEngine, engineReason, engineStatus, type Engine } from './engine.js';
import { imageReference, sameRepository, type ImageReference } from './imageReference.js';
import { MASK } from '../../model/mask.js';

export interface ResolveImagesOptions {
  /** False: only look (plans and diffs); an image a deploy would pull is then left out of the result. */
  pull: boolean;
  signal?: AbortSignal;
  onEvent?: (e: RuntimeEvent) => void;
}

/** How often progress events are sent while a pull runs. */
const PROGRESS_EVERY_MS = 2_000;

/** What the engine says about an image (the parts used here). */
interface Inspected {
  id: string;
  repoDigests: string[];
  /** Podman's digest of the manifest the image was last pulled or built by. */
  podmanDigest?: string;
}

/** One image as asked for by one or more services. */
interface Wanted {
  image: string;
  ref: ImageReference;
  services: string[];
  policy: ImagePullPolicy;
  auth?: RegistryAuth;
}

/** The strongest policy wins when services share an image: Always, then IfNotPresent, then Never. */
const POLICY_RANK: Record<ImagePullPolicy, number> = { Never: 0, IfNotPresent: 1, Always: 2 };

/**
 * Makes each distinct image of `requests` present as its policy says and returns, per request in
 * order, the digest to record. Rejects naming the service(s) when an image is not found, a pull is
 * refused (credentials missing or wrong), the registry is unreachable, or `Never` finds it missing.
 */
export async function resolveImages(
  engine: Engine,
  requests: ImageRequest[],
  opts: ResolveImagesOptions,
): Promise<ResolvedImage[]> {
  const wanted = new Map<string, Wanted>();
  for (const r of requests) {
    const w = wanted.get(r.image);
    if (!w) {
      wanted.set(r.image, {
        image: r.image,
        ref: imageReference(r.image),
        services: [r.service],
        policy: r.pullPolicy,
        auth: r.auth,
      });
      continue;
    }
    if (!w.services.includes(r.service)) w.services.push(r.service);
    if (POLICY_RANK[r.pullPolicy] > POLICY_RANK[w.policy]) w.policy = r.pullPolicy;
    w.auth ??= r.auth;
  }
  const resolved = new Map<string, { digest: string; pulled: boolean } | undefined>();
  for (const w of wanted.values()) {
    opts.signal?.throwIfAborted();
    resolved.set(w.image, await resolveOne(engine, w, opts));
  }
  const out: ResolvedImage[] = [];
  for (const r of requests) {
    const got = resolved.get(r.image);
    if (got) out.push({ service: r.service, image: r.image, digest: got.digest, pulled: got.pulled });
  }
  return out;
}

async function resolveOne(
  engine: Engine,
  w: Wanted,
  opts: ResolveImagesOptions,
): Promise<{ digest: string; pulled: boolean } | undefined> {
  const present = await inspect(engine, w);
  const mustPull = w.policy === 'Always' || (w.policy === 'IfNotPresent' && !present);
  if (!present && w.policy === 'Never')
    throw new RuntimeError(
      `${who(w)}: image ${w.image} is not on this machine and its imagePullPolicy is Never (build or pull it first, e.g. \`podman pull ${w.image}\`, or use IfNotPresent)`,
      { details: { services: w.services, image: w.image, problem: 'notPresent' } },
    );
  if (!mustPull || !opts.pull) return present ? { digest: digestOf(w.ref, present), pulled: false } : undefined;
  const pullDigest = await pull(engine, w, opts);
  const after = await inspect(engine, w);
  if (!after) throw new RuntimeError(`${who(w)}: image ${w.image} was pulled but the engine does not list it`);
  return { digest: pullDigest ?? digestOf(w.ref, after), pulled: true };
}

/** The services an image is for, as errors name them. */
function who(w: Wanted): string {
  return w.services.join(', ');
}

/** The digest to record: the repository digest of its repository, else the image's id (see the top). */
function digestOf(ref: ImageReference, img: Inspected): string {
  const ofRepo = img.repoDigests
    .map((d) => ({ repo: d.slice(0, d.lastIndexOf('@')), digest: d.slice(d.lastIndexOf('@') + 1) }))
    .filter((d) => d.repo && sameRepository(imageReference(d.repo), ref))
    .map((d) => d.digest);
  if (ref.digest && ofRepo.includes(ref.digest)) return ref.digest;
  if (img.podmanDigest && ofRepo.includes(img.podmanDigest)) return img.podmanDigest;
  return ofRepo[0] ?? img.id;
}

async function inspect(engine: Engine, w: Wanted): Promise<Inspected | undefined> {
  let info: { Id: string; RepoDigests?: string[] };
  try {
    info = (await engine.docker.getImage(w.image).inspect()) as typeof info;
  } catch (err) {
    if (engineStatus(err) === 404) return undefined;
    throw engineFailure(w, `cannot inspect image ${w.image}`, err);
  }
  const out: Inspected = { id: info.Id, repoDigests: info.RepoDigests ?? [] };
  if (engine.kind === 'podman') {
    // Podman lists every manifest digest an image was known by; its own inspect says which one it was pulled by.
    const libpod = await dial<{ Digest?: string }>(engine, {
      path: `/v4.0.0/libpod/images/${encodeURIComponent(w.image)}/json`,
      method: 'GET',
      statusCodes: { 200: true, 404: 'no such image', 500: 'server error' },
    }).catch(() => undefined);
    if (typeof libpod?.Digest === 'string') out.podmanDigest = libpod.Digest;
  }
  return out;
}

function dial<T>(engine: Engine, options: Record<string, unknown>): Promise<T> {
  return new Promise((resolve, reject) =>
    engine.docker.modem.dial(options as never, (err: unknown, data: unknown) =>
      err ? reject(err) : resolve(data as T),
    ),
  );
}

/** One line of the engine's pull stream. */
interface PullLine {
  status?: string;
  id?: string;
  error?: string;
  errorDetail?: { message?: string };
  progressDetail?: { current?: number; total?: number };
}

/** Pulls `w.image`; resolves with the digest the engine announced (Docker does, Podman does not). */
async function pull(engine: Engine, w: Wanted, opts: ResolveImagesOptions): Promise<string | undefined> {
  const started = Date.now();
  emit(w, opts, 'Normal', 'Pulling', message('event.pulling', { image: w.image }));
  const { repository, tag } = splitForPull(w.ref);
  let stream: IncomingMessage;
  try {
    stream = await dial<IncomingMessage>(engine, {
      path: '/images/create?',
      method: 'POST',
      // Query options only: the credentials go in the X-Registry-Auth header.
      options: { fromImage: repository, tag },
      authconfig: w.auth
        ? { username: w.auth.username, password: w.auth.password, serveraddress: w.auth.server }
        : undefined,
      abortSignal: opts.signal,
      isStream: true,
      statusCodes: { 200: true, 401: 'unauthorized', 403: 'forbidden', 404: 'not found', 500: 'server error' },
    });
  } catch (err) {
    throw pullFailure(w, engineReason(err), err);
  }
  const layers = new Map<string, { done: boolean; current: number; total: number }>();
  let digest: string | undefined;
  let failure: string | undefined;
  let lastProgress = Date.now();
  await readLines(stream, opts.signal, (line) => {
    let obj: PullLine;
    try {
      obj = JSON.parse(line) as PullLine;
    } catch {
      return;
    }
    if (obj.error || obj.errorDetail?.message) {
      failure ??= obj.errorDetail?.message ?? obj.error;
      return;
    }
    const status = obj.status ?? '';
    const announced = /^Digest: (sha256:[0-9a-f]{64})/.exec(status);
    if (announced) digest = announced[1];
    if (obj.id && /layer|Download|Pull complete|Already exists|Extracting|Verifying/i.test(status)) {
      const l = layers.get(obj.id) ?? { done: false, current: 0, total: 0 };
      if (/complete|Already exists/i.test(status)) l.done = true;
      if (obj.progressDetail?.total) {
        l.current = obj.progressDetail.current ?? l.current;
        l.total = obj.progressDetail.total;
      }
      layers.set(obj.id, l);
    }
    if (Date.now() - lastProgress >= PROGRESS_EVERY_MS && layers.size > 0) {
      lastProgress = Date.now();
      const all = [...layers.values()];
      emit(
        w,
        opts,
        'Normal',
        'Pulling',
        message('event.pullProgress', {
          image: w.image,
          done: all.filter((l) => l.done).length,
          layers: all.length,
          megabytes: (all.reduce((s, l) => s + l.current, 0) / 1e6).toFixed(1),
        }),
      );
    }
  });
  if (failure !== undefined) throw pullFailure(w, failure);
  emit(
    w,
    opts,
    'Normal',
    'Pulled',
    message('event.pulled', { image: w.image, seconds: ((Date.now() - started) / 1000).toFixed(1) }),
  );
  return digest;
}

/** The engine wants the repository and the tag (or digest) apart. */
function splitForPull(ref: ImageReference): { repository: string; tag: string } {
  return { repository: ref.name, tag: ref.digest ?? ref.tag ?? 'latest' };
}

function readLines(
  stream: IncomingMessage,
  signal: AbortSignal | undefined,
  onLine: (l: string) => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const onAbort = (): void => {
      stream.destroy();
      reject(signal?.reason ?? new Error('aborted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (line) onLine(line);
      }
    });
    stream.on('error', (err) => {
      signal?.removeEventListener('abort', onAbort);
      reject(err);
    });
    stream.on('end', () => {
      signal?.removeEventListener('abort', onAbort);
      if (buf.trim()) onLine(buf.trim());
      resolve();
    });
  });
}

function emit(w: Wanted, opts: ResolveImagesOptions, type: RuntimeEvent['type'], reason: string, m: Message): void {
  if (!opts.onEvent) return;
  const time = new Date().toISOString();
  for (const service of w.services) opts.onEvent({ time, service, type, reason, ...said(m) });
}

/** `text` with the registry password replaced, wherever an engine or registry echoed it. */
function scrub(w: Wanted, text: string): string {
  const secret = w.auth?.password;
  return secret ? text.split(secret).join(MASK) : text;
}

/** A failed inspect: the engine itself is the problem (not running, permission denied, ...). */
function engineFailure(w: Wanted, what: string, err: unknown): Error {
  const reason = scrub(w, engineReason(err));
  const status = engineStatus(err);
  if (status === undefined) return new UnavailableError(`${who(w)}: ${what}: ${reason}`);
  return new RuntimeError(`${who(w)}: ${what}: ${reason}`);
}

/**
 * A refused or failed pull, classified by what the engine said: credentials missing or wrong, the
 * image not in the registry, the registry unreachable or speaking plain HTTP.
 */
export function pullFailure(
  w: Pick<Wanted, 'image' | 'services' | 'auth' | 'ref'>,
  said: string,
  cause?: unknown,
): Error {
  const reason = scrub(w as Wanted, said.trim());
  const registry = w.ref.registry;
  const head = `${w.services.join(', ')}: cannot pull ${w.image}`;
  const details = { services: w.services, image: w.image, registry };
  if (cause !== undefined && engineStatus(cause) === undefined)
    return new UnavailableError(`${head}: the container engine does not answer: ${reason}`);
  if (/unauthorized|authentication required|denied|401|403|forbidden/i.test(reason)) {
    const hint = w.auth
      ? `the credentials for ${registry} (user ${w.auth.username}) are wrong or not allowed to pull it`
      : `${registry} asks for credentials and none are given (add it to berth.yaml \`registries\` with a username and a password secret)`;
    return new RuntimeError(`${head}: pull refused: ${hint} (${reason})`, {
      details: { ...details, problem: 'unauthorized' },
    });
  }
  if (/manifest unknown|name unknown|not found|no such|404/i.test(reason))
    return new RuntimeError(`${head}: image not found in ${registry} (${reason})`, {
      details: { ...details, problem: 'notFound' },
    });
  if (/HTTP response to HTTPS client/i.test(reason))
    return new UnavailableError(
      `${head}: ${registry} speaks plain HTTP: list it as insecure for the engine (Podman: \`[[registry]] location = "${registry}" insecure = true\` in registries.conf; Docker: "insecure-registries" in daemon.json) (${reason})`,
    );
  if (/connection refused|no such host|dial tcp|i\/o timeout|timeout|unreachable|network|lookup|EOF|tls/i.test(reason))
    return new UnavailableError(`${head}: registry ${registry} is unreachable (${reason})`);
  return new RuntimeError(`${head}: ${reason}`, { details });
}

/**
 * The reference to create a container from so that it runs exactly the image a revision pinned
 * (`Workload.imageDigest` of `image`). A repository digest names an image only with its repository
 * (`repo@sha256:…`; both engines refuse a bare one), an image id only alone: the engine is asked
 * which of the two it has. With neither on the machine, `repo@digest`: pulling it fetches exactly the
 * pinned manifest (a locally built image that is gone cannot come back, and the pull says so).
 */
export async function pinnedReference(engine: Engine, image: string, digest: string): Promise<string> {
  const byRepository = `${imageReference(image).name}@${digest}`;
  for (const candidate of [byRepository, digest]) {
    const found = await engine.docker
      .getImage(candidate)
      .inspect()
      .then(
        () => true,
        (err: unknown) => {
          if (engineStatus(err) === 404) return false;
          throw err;
        },
      );
    if (found) return candidate;
  }
  return byRepository;
}

/** An engine connected on first use; a failed connection is forgotten, so the next call tries again. */
export function lazyEngine(env: NodeJS.ProcessEnv = process.env): () => Promise<Engine> {
  let connecting: Promise<Engine> | undefined;
  return () =>
    (connecting ??= connectEngine(env).catch((err: unknown) => {
      connecting = undefined;
      throw err;
    }));
}

/**
 * `resolveImages` over the engine `engine` gives (by default one connected on first use, through
 * the environment's sockets): what `LocalRuntime.resolveImages` is. An engine that is missing fails
 * naming the services that need it.
 */
export function imageResolver(
  engine: () => Promise<Engine> = lazyEngine(),
): (requests: ImageRequest[], opts: ResolveImagesOptions) => Promise<ResolvedImage[]> {
  return async (requests, opts) => {
    if (requests.length === 0) return [];
    let connected: Engine;
    try {
      connected = await engine();
    } catch (err) {
      const services = [...new Set(requests.map((r) => r.service))].join(', ');
      throw new UnavailableError(`${services}: ${err instanceof Error ? err.message : engineReason(err)}`, {
        cause: err,
      });
    }
    return resolveImages(connected, requests, opts);
  };
}
