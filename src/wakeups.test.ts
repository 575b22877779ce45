import { describe, expect, it } from 'vitest';
import { onTheBeat } from './wakeups.js';

describe('onTheBeat', () => {
  it('ends waits of whole seconds on a multiple of their period, others on a whole second, and leaves short ones alone', () => {
    expect(onTheBeat(1000, 12_345_250)).toBe(750);
    expect(onTheBeat(1000, 12_345_000)).toBe(1000);
    expect(onTheBeat(5000, 12_345_250)).toBe(4750);
    expect(onTheBeat(5000, 12_347_250)).toBe(2750);
    expect((12_347_250 + onTheBeat(5000, 12_347_250)) % 5000).toBe(0);
    expect(onTheBeat(1500, 12_345_250)).toBe(1250);
    expect(onTheBeat(250, 12_345_250)).toBe(250);
  });
});
