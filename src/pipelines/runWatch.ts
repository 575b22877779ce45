/**
 * Who follows a pipeline run in this control plane (a step's `?follow=1` log): `notify(run)` is called
 * after each line written to one of the run's step logs and after each change the store records of the
 * run or its steps (a step's end, the run's end, a cancel), and wakes every watcher of that run.
 */
export class RunWatch {
  private readonly byRun = new Map<number, Set<() => void>>();

  /** Calls `changed` on each change of run `id` until the answered stop is called. */
  watch(id: number, changed: () => void): () => void {
    let set = this.byRun.get(id);
    if (!set) this.byRun.set(id, (set = new Set()));
    set.add(changed);
    return () => {
      set.delete(changed);
      if (set.size === 0 && this.byRun.get(id) === set) this.byRun.delete(id);
    };
  }

  notify(id: number): void {
    const set = this.byRun.get(id);
    if (set) for (const w of [...set]) w();
  }
}
