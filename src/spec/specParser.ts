/**
 * A berth.yaml parser for texts that differ little from one another: the control plane is asked to
 * render edit after edit of the same file. The text is cut at its services (`services:` at the top,
 * each service a block at one indentation), and a service whose block text was seen before is
 * neither parsed nor checked against the schema again: an edit of one service of 200 parses one.
 *
 * It gives exactly what `parseSpec` gives. Anything it cannot cut with certainty (flow style at the
 * top, a sequence, odd indentation, document markers), any text js-yaml may read differently (see
 * plainYaml.ts), and any problem at all go to `parseSpec`, which reports every problem with its line.
 */
import { z } from 'zod';
import { checkSpecSize, parseSpec, lazyLocator, loaded, type LoadedSpec } from './load.js';
import { parsePlainYaml } from './plainYaml.js';
import { appSchema, serviceSchema, type ServiceSpec } from './schema.js';
import { crossFindings } from './checks.js';

/** How many service blocks (and schema results) one parser remembers. */
const DEFAULT_SIZE = 4_000;

/** The app's schema with each service left for `serviceSchema` (its names and the non-empty check stay). */
const headSchema = appSchema.extend({
  services: z
    .record(appSchema.shape.services.keyType, z.unknown())
    .refine((s) => Object.keys(s).length > 0, 'an app needs at least one service'),
});

/** A text cut into the rest of the document and one block per service, or undefined. */
export interface SpecCuts {
  /** The text without the services' blocks; `services:` stays, followed by `null`. */
  head: string;
  /** Each service's block as written (its lines, indentation kept), in order. */
  services: { name: string; text: string }[];
}

const TOP_KEY = /^([A-Za-z_][\w-]*)[ \t]*:(?:[ \t]+#.*)?[ \t]*$|^([A-Za-z_][\w-]*)[ \t]*:[ \t]/;
const SERVICES_LINE = /^services[ \t]*:[ \t]*(?:#.*)?$/;
const CHILD_KEY = /^([a-z][a-z0-9-]*)[ \t]*:(?:[ \t]|$)/;

const isBlankOrComment = (line: string): boolean => {
  const t = line.trimStart();
  return t === '' || t.startsWith('#');
};
const indentOf = (line: string): number => line.length - line.trimStart().length;

/** Cuts a berth.yaml at its services, or undefined when its shape is not the plain one. */
export function cutServices(text: string): SpecCuts | undefined {
  const lines = text.split('\n');
  const head: string[] = [];
  const services: { name: string; lines: string[] }[] = [];
  let seenServices = false;
  let seenKey = false;
  let n = 0;
  while (n < lines.length) {
    const line = lines[n]!;
    if (isBlankOrComment(line) || indentOf(line) > 0) {
      // Lines of the current top-level key (blank lines, comments, indented content).
      if (!isBlankOrComment(line) && !seenKey) return undefined;
      head.push(line);
      n++;
      continue;
    }
    if (!TOP_KEY.test(line)) return undefined; // `---`, `...`, a directive, a quoted or complex key
    seenKey = true;
    if (!SERVICES_LINE.test(line)) {
      head.push(line);
      n++;
      continue;
    }
    if (seenServices) return undefined; // a duplicate key: parseSpec says so
    seenServices = true;
    head.push('services: null');
    n++;
    let childIndent = -1;
    while (n < lines.length) {
      const l = lines[n]!;
      if (isBlankOrComment(l)) {
        if (services.length > 0) services[services.length - 1]!.lines.push(l);
        else head.push(l);
        n++;
        continue;
      }
      const indent = indentOf(l);
      if (indent === 0) break;
      if (l.slice(0, indent).includes('\t')) return undefined;
      if (childIndent < 0) childIndent = indent;
      if (indent < childIndent) return undefined;
      if (indent === childIndent) {
        const name = CHILD_KEY.exec(l.slice(indent))?.[1];
        if (name === undefined) return undefined; // a sequence, a quoted or complex key
        services.push({ name, lines: [l] });
      } else services[services.length - 1]!.lines.push(l);
      n++;
    }
    if (services.length === 0) return undefined;
  }
  if (!seenServices) return undefined;
  return { head: head.join('\n'), services: services.map((s) => ({ name: s.name, text: s.lines.join('\n') })) };
}

/** A bounded map that forgets everything when full (entries are cheap to make again). */
function remember<V>(map: Map<string, V>, size: number, key: string, value: V): V {
  if (map.size >= size) map.clear();
  map.set(key, value);
  return value;
}

/** A service block as read: its data (`{ name: {...} }` as js-yaml gives it) and the schema's output for it. */
interface Block {
  name: string;
  data: unknown;
  output: ServiceSpec;
}

export class SpecParser {
  /** A service block's text → what it gives, or null: not plain, or not a valid service. */
  private readonly blocks = new Map<string, Block | null>();
  private readonly size: number;
  /** How many texts were parsed cut at their services, and how many whole by `parseSpec`. */
  readonly stats = { cut: 0, whole: 0 };

  constructor(size = DEFAULT_SIZE) {
    this.size = size;
  }

  /** Parses and validates berth.yaml text, like `parseSpec` (which it falls back to). */
  parse(text: string, file: string): LoadedSpec {
    checkSpecSize(text, file);
    const cut = this.tryIncremental(text, file);
    if (cut) {
      this.stats.cut++;
      return cut;
    }
    this.stats.whole++;
    return parseSpec(text, file);
  }

  private tryIncremental(text: string, file: string): LoadedSpec | undefined {
    const cuts = cutServices(text);
    if (!cuts) return undefined;
    const head = parsePlainYaml(cuts.head)?.data;
    if (head === null || typeof head !== 'object' || Array.isArray(head)) return undefined;
    const rawServices: Record<string, unknown> = {};
    const services: Record<string, ServiceSpec> = {};
    for (const { name, text: blockText } of cuts.services) {
      const block = this.block(blockText);
      if (!block || block.name !== name) return undefined;
      if (Object.hasOwn(rawServices, name)) return undefined; // a duplicate service: parseSpec says so
      rawServices[name] = block.data;
      services[name] = block.output;
    }
    const raw = head as Record<string, unknown>;
    if (!Object.hasOwn(raw, 'services') || raw.services !== null) return undefined;
    raw.services = rawServices;
    const result = headSchema.safeParse(raw);
    if (!result.success || crossFindings(raw).length > 0) return undefined;
    return loaded({ ...result.data, services }, text, file, lazyLocator(text));
  }

  /** A block read and checked against the service schema, once per text. */
  private block(text: string): Block | null {
    const known = this.blocks.get(text);
    if (known !== undefined) return known;
    let block: Block | null = null;
    const data = parsePlainYaml(text)?.data;
    if (data !== null && typeof data === 'object' && !Array.isArray(data) && Object.keys(data).length === 1) {
      const [name, value] = Object.entries(data)[0]!;
      const r = serviceSchema.safeParse(value);
      if (r.success) block = { name, data: value, output: r.data };
    }
    return remember(this.blocks, this.size, text, block);
  }
}
