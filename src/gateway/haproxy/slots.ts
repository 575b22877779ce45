/**
 * Which replica fills which server slot of a backend. A replica keeps its slot while it stays in
 * the table (so its pooled connections stay warm); a new one takes a slot that was already free
 * before this change, never one freed by it (that slot still drains its in-flight requests).
 * When free slots run out the backend grows, which is the one backend change that needs a reload.
 */
import type { Backend } from '../table.js';
import type { BackendModel, HaproxyModel, SlotServer } from './config.js';
import { nodeSlot, proxyName, slotName } from './config.js';

/** Slots a new backend starts with: a rolling update of a few replicas (surge + draining) fits. */
export const minSlots = 8;

/** The backend after a change, and the slots whose replica left (to drain). */
export interface SlotAssignment {
  backend: BackendModel;
  /** Slot names freed by this change. */
  freed: string[];
  /** True if a slot list had to grow. */
  grew: boolean;
}

const idOf = (s: { id: string; host: string; port: number }): string => `${s.id}@${s.host}:${s.port}`;

function assignTrack(
  current: readonly (SlotServer | undefined)[],
  wanted: readonly Backend[],
  track: 'stable' | 'canary',
  freed: string[],
): { slots: (SlotServer | undefined)[]; grew: boolean } {
  const want = new Map(wanted.map((b) => [idOf(b), b]));
  const slots: (SlotServer | undefined)[] = current.map((s, i) => {
    if (s === undefined) return undefined;
    if (want.delete(idOf(s))) return s;
    freed.push(slotName(track, i));
    return undefined;
  });
  const freedNow = new Set(freed);
  let grew = false;
  for (const b of want.values()) {
    const server: SlotServer = { id: b.id, host: b.host, port: b.port };
    const free = slots.findIndex((s, i) => s === undefined && !freedNow.has(slotName(track, i)));
    if (free !== -1) {
      slots[free] = server;
      continue;
    }
    grew = true;
    slots.push(server);
  }
  if (grew || slots.length < minSlots) {
    // Grow to twice what is in use, so the next rolling update fits without another reload.
    const target = Math.max(minSlots, 2 * slots.filter((s) => s !== undefined).length, slots.length);
    while (slots.length < target) slots.push(undefined);
  }
  return { slots, grew: grew && current.length > 0 };
}

/** Places `backends` (ready replicas of the table, per track) into the slots of `current`. */
export function assignSlots(
  key: string,
  current: BackendModel | undefined,
  backends: readonly Backend[],
): SlotAssignment {
  const freed: string[] = [];
  const stable = assignTrack(
    current?.stable ?? [],
    backends.filter((b) => (b.track ?? 'stable') === 'stable'),
    'stable',
    freed,
  );
  const canary = assignTrack(
    current?.canary ?? [],
    backends.filter((b) => b.track === 'canary'),
    'canary',
    freed,
  );
  return {
    backend: { key, stable: stable.slots, canary: canary.slots },
    freed,
    grew: stable.grew || canary.grew,
  };
}

/** Desired runtime state of one server slot. */
export interface SlotWant {
  addr: string | undefined;
  ready: boolean;
}

/** The runtime state of every slot of a backend: its replicas, and its `node` slot while Node serves it. */
export function slotWants(b: BackendModel): Map<string, SlotWant> {
  const node = b.nodePort !== undefined;
  const out = new Map<string, SlotWant>();
  const put = (name: string, s: { host: string; port: number } | undefined): void =>
    void out.set(name, { addr: s && `${s.host} ${s.port}`, ready: s !== undefined && !node });
  b.stable.forEach((s, i) => put(slotName('stable', i), s));
  b.canary.forEach((s, i) => put(slotName('canary', i), s));
  out.set(nodeSlot, { addr: node ? `127.0.0.1 ${b.nodePort}` : undefined, ready: node });
  return out;
}

/** The runtime state of every slot of `m`: its backends' and its edges' (the edge's `node` slot). */
export function modelWants(m: HaproxyModel): Map<string, SlotWant> {
  const out = new Map<string, SlotWant>();
  for (const b of m.backends) {
    for (const [slot, want] of slotWants(b)) out.set(`${proxyName('s', b.key)}/${slot}`, want);
  }
  for (const e of m.edges) {
    const node = e.nodePort !== undefined;
    out.set(`${proxyName('e', e.key)}/${nodeSlot}`, {
      addr: node ? `127.0.0.1 ${e.nodePort}` : undefined,
      ready: node,
    });
  }
  return out;
}
