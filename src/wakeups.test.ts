import { describe, expect, it } from 'vitest';
import { onTheSecond } from './wakeups.js';

describe('onTheSecond', () => {
  it('ends waits of a second or more on a whole second, and leaves shorter ones alone', () => {
    expect(onTheSecond(1000, 12_345_250)).toBe(750);
    expect((12_345_250 + onTheSecond(5000, 12_345_250)) % 1000).toBe(0);
    expect(onTheSecond(5000, 12_345_250)).toBe(4750);
    expect(onTheSecond(1000, 12_345_000)).toBe(1000);
    expect(onTheSecond(250, 12_345_250)).toBe(250);
  });
});
