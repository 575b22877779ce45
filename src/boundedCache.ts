/** A small map that forgets its oldest entry beyond `size` (the render service's caches, the render's discovery tables). */
export function boundedCache<V>(size: number): { get(key: string): V | undefined; set(key: string, value: V): V } {
  const entries = new Map<string, V>();
  return {
    get: (key) => entries.get(key),
    set(key, value) {
      entries.set(key, value);
      if (entries.size > size) entries.delete(entries.keys().next().value!);
      return value;
    },
  };
}
