import { describe, expect, it } from 'vitest';
import { compareText } from './collate.js';

const root = new Intl.Collator('und');
const sign = (n: number): number => Math.sign(n);

/** A random string of `alphabet`, 0 to 8 characters (short, so pairs often share prefixes). */
function randomText(alphabet: string, next: () => number): string {
  let s = '';
  for (let n = Math.floor(next() * 9); n > 0; n--) s += alphabet[Math.floor(next() * alphabet.length)];
  return s;
}

/** A small deterministic generator (mulberry32), so a failure can be run again. */
function generator(seed: number): () => number {
  let t = seed;
  return () => {
    t = (t + 0x6d2b79f5) | 0;
    let r = Math.imul(t ^ (t >>> 15), 1 | t);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
}

describe('compareText', () => {
  it('orders as the root collation (and so localeCompare in English) does', () => {
    let ascii = '';
    for (let c = 32; c < 127; c++) ascii += String.fromCharCode(c);
    const alphabets = [ascii, 'aAbB_-.0 1zZ', 'abAB', `${ascii}\t\né€ß`];
    const next = generator(19);
    for (const alphabet of alphabets)
      for (let i = 0; i < 40_000; i++) {
        const a = randomText(alphabet, next);
        const b = next() < 0.3 ? a.replace(/.$/, '') + randomText(alphabet, next) : randomText(alphabet, next);
        expect(sign(compareText(a, b)), `${JSON.stringify(a)} vs ${JSON.stringify(b)}`).toBe(sign(root.compare(a, b)));
      }
  });

  it('sorts names, keys and paths as localeCompare does here', () => {
    const words = [
      'Zeta',
      'alpha_1',
      'alpha-1',
      'alpha.1',
      'ALPHA',
      'alpha',
      'Alpha',
      'a',
      'A',
      'b10',
      'b9',
      '/api',
      '/',
      '',
      'S0_URL',
      's0_url',
      'x y',
      'x-y',
    ];
    expect([...words].sort(compareText)).toEqual([...words].sort((a, b) => a.localeCompare(b, 'en')));
  });
});
