import { describe, expect, it } from 'vitest';
import { highlight } from './highlight';

describe('highlight', () => {
  it('marks every case-insensitive occurrence, keeping the line’s own case', () => {
    expect(highlight('trade T-4711 ok, t-4711 again', 't-4711')).toEqual([
      { text: 'trade ', match: false },
      { text: 'T-4711', match: true },
      { text: ' ok, ', match: false },
      { text: 't-4711', match: true },
      { text: ' again', match: false },
    ]);
  });
  it('leaves a line whole without a text or a match', () => {
    expect(highlight('abc', undefined)).toEqual([{ text: 'abc', match: false }]);
    expect(highlight('abc', '')).toEqual([{ text: 'abc', match: false }]);
    expect(highlight('abc', 'x')).toEqual([{ text: 'abc', match: false }]);
    expect(highlight('aaaa', 'aa')).toEqual([
      { text: 'aa', match: true },
      { text: 'aa', match: true },
    ]);
  });
});
