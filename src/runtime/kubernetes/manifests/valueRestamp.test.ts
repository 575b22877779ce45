import { describe, expect, it } from 'vitest';
import type { KubernetesObject, ManifestInput } from './contract.js';
import type { ServiceState } from '../../../model/serviceState.js';
import { ManifestMemo } from './manifestMemo.js';
import { renderManifestsOnce } from './render.js';
import { fixtureInput, FIXTURE_TEXT } from './testdata/fixture.js';

/** Every way to change one field of a JSON value: each leaf changed, each object key left out. */
function mutations(value: unknown, path: (string | number)[] = []): { path: string; apply: (v: unknown) => unknown }[] {
  const out: { path: string; apply: (v: unknown) => unknown }[] = [];
  const at =
    (
      keys: (string | number)[],
      change: (leaf: unknown, parent: Record<string | number, unknown>, key: string | number) => void,
    ) =>
    (v: unknown) => {
      const copy = structuredClone(v) as Record<string | number, unknown>;
      let node = copy;
      for (const k of keys.slice(0, -1)) node = node[k] as Record<string | number, unknown>;
      change(node[keys[keys.length - 1]!], node, keys[keys.length - 1]!);
      return copy;
    };
  if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const keys = [...path, Array.isArray(value) ? Number(k) : k];
      out.push(...mutations(v, keys));
      if (!Array.isArray(value))
        out.push({
          path: `${keys.join('.')} left out`,
          apply: at(keys, (_l, parent, key) => Reflect.deleteProperty(parent, key)),
        });
    }
    return out;
  }
  if (path.length === 0) return out;
  const changed = (leaf: unknown): unknown =>
    typeof leaf === 'string'
      ? `${leaf}x`
      : typeof leaf === 'number'
        ? leaf + 1
        : typeof leaf === 'boolean'
          ? !leaf
          : 'x';
  out.push({ path: path.join('.'), apply: at(path, (leaf, parent, key) => (parent[key] = changed(leaf))) });
  return out;
}

/** The memo's render of `input`, or the message it throws. */
function attempt(render: () => { documents: string[] }): string {
  try {
    return render().documents.join('---\n');
  } catch (e) {
    return `throws: ${(e as Error).message}`;
  }
}

describe('restamping a service whose values alone changed', () => {
  it('renders what a render from scratch does for a change of any one field of any service’s state', () => {
    const base = fixtureInput({ secrets: 'masked' }).manifest;
    let checked = 0;
    const wrong: string[] = [];
    for (const name of Object.keys(base.services)) {
      for (const m of mutations(base.services[name])) {
        const changed: ManifestInput = {
          ...base,
          services: { ...base.services, [name]: m.apply(base.services[name]) as ServiceState },
        };
        const memo = new ManifestMemo();
        memo.render(base);
        const want = attempt(() => renderManifestsOnce(changed));
        const got = attempt(() => memo.render(changed));
        // A state no render accepts (a field the renderer needs left out) only has to be refused.
        if (want.startsWith('throws: ') ? !got.startsWith('throws: ') : got !== want) wrong.push(`${name}: ${m.path}`);
        checked++;
      }
    }
    expect(wrong).toEqual([]);
    expect(checked).toBeGreaterThan(200);
  });

  it('restamps the objects of a service whose values changed instead of building them again', () => {
    const memo = new ManifestMemo();
    const first = memo.render(fixtureInput({ secrets: 'masked' }).manifest);
    const text = FIXTURE_TEXT.replace('LOG_LEVEL: info', 'LOG_LEVEL: debug');
    const changed = fixtureInput({ secrets: 'masked' }, text).manifest;
    const second = memo.render(changed);
    expect(second.documents).toEqual(renderManifestsOnce(changed).documents);
    const find = (r: typeof first, kind: string, name: string) =>
      r.objects.find((o) => o.kind === kind && o.metadata.name === name) as KubernetesObject & {
        spec: { selector: unknown };
      };
    // api reads LOG_LEVEL: its ConfigMap is new, its Deployment the last one restamped (the same
    // selector object), its Service the same spec.
    expect(find(second, 'ConfigMap', 'api-config').data).not.toEqual(find(first, 'ConfigMap', 'api-config').data);
    const deployment = find(second, 'Deployment', 'api');
    expect(deployment).not.toBe(find(first, 'Deployment', 'api'));
    expect(deployment.spec.selector).toBe(find(first, 'Deployment', 'api').spec.selector);
    expect(find(second, 'Service', 'api').spec).toBe(find(first, 'Service', 'api').spec);
  });
});
