/**
 * One step of a rolling update of one track (Kubernetes' RollingUpdate with maxSurge/maxUnavailable,
 * rollout.ts), as replicas to start (by free slot) and replicas to stop; and how many a converge has.
 */
import type { ServiceState } from '../../model/serviceState.js';
import type { Track } from '../../model/routing.js';
import { Track as Tracks } from '../../model/routing.js';
import type { Replica } from './replica.js';
import { message, type Message } from '../../model/messages.js';
import { shortHash } from './replicaLaunch.js';
import { planRollout, rolloutLimits } from './rollout.js';
import { freeSlots } from './statefulRollout.js';

/** What the next step does: `slots` of new replicas to start, `victims` to stop, and the event saying so. */
export interface RollingStep {
  slots: number[];
  victims: Replica[];
  scaling?: Message;
}

/**
 * The next step toward `state` for the `live` replicas of `track` (none terminating), `pending` starts
 * under way in `pendingSlots`.
 */
export function rollingStep(
  state: ServiceState,
  track: Track,
  live: Replica[],
  pending: number,
  pendingSlots: number[],
): RollingStep {
  const limits = rolloutLimits(state.rollout, state.replicas);
  const fresh = live.filter((r) => r.hash === state.hash);
  const old = live.filter((r) => r.hash !== state.hash);
  const step = planRollout(
    {
      desired: state.replicas,
      newCount: fresh.length + pending,
      newReady: fresh.filter((r) => r.serving).length,
      oldCount: old.length,
      oldReady: old.filter((r) => r.serving).length,
    },
    limits,
  );
  const byAge = (a: Replica, b: Replica): number => a.record.created.localeCompare(b.record.created);
  const unready = old.filter((r) => !r.serving).sort(byAge);
  const ready = old.filter((r) => r.serving).sort(byAge);
  // Scale-down of the current hash: not-ready ones first, then the newest (Kubernetes' preference).
  const surplus = [...fresh].sort((a, b) => Number(a.serving) - Number(b.serving) || byAge(b, a));
  const victims = [
    ...unready.slice(0, step.removeUnhealthyOld),
    ...ready.slice(0, step.removeReadyOld),
    ...surplus.slice(0, step.removeNew),
  ];
  const total = fresh.length + pending + step.start - step.removeNew;
  const scaling =
    step.start > 0 || victims.length > 0
      ? message(track === Tracks.canary ? 'event.scalingCanary' : 'event.scaling', {
          service: state.service,
          hash: shortHash(state.hash),
          replicas: total,
          removing: victims.length,
        })
      : undefined;
  // Each new replica takes the lowest slot its version has free (BERTH_REPLICA_INDEX).
  const slots = freeSlots([...fresh.map((r) => r.record.index), ...pendingSlots], step.start);
  return { slots, victims, ...(scaling ? { scaling } : {}) };
}

/** How far a converge is: whether every track runs exactly its desired replicas, all ready, and nothing else. */
export function convergeCounts(
  all: Replica[],
  desired: ServiceState | undefined,
  canary: ServiceState | undefined,
  pendingStarts: ReadonlyMap<Track, number>,
): { done: boolean; newCount: number; newReady: number } {
  let done = all.length === (desired?.replicas ?? 0) + (canary?.replicas ?? 0);
  let newCount = 0;
  let newReady = 0;
  for (const track of [Tracks.stable, Tracks.canary]) {
    const target = track === Tracks.stable ? desired : canary;
    const want = target?.replicas ?? 0;
    const fresh = all.filter((r) => r.track === track && r.hash === target?.hash && !r.terminating);
    const ready = fresh.filter((r) => r.serving).length;
    newCount += fresh.length;
    newReady += ready;
    if ((pendingStarts.get(track) ?? 0) > 0 || fresh.length !== want || ready !== want) done = false;
  }
  return { done, newCount, newReady };
}
