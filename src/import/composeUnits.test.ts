import { describe, expect, it } from 'vitest';
import { berthCpu, berthMemory, composeCpuMillis, composeDurationMs, dockerMemoryBytes } from './composeUnits.js';

describe('compose units', () => {
  it('reads Go durations', () => {
    expect(composeDurationMs('1m30s')).toBe(90_000);
    expect(composeDurationMs('1.5s')).toBe(1500);
    expect(composeDurationMs('250ms')).toBe(250);
    expect(composeDurationMs('10us')).toBe(1);
    expect(composeDurationMs('1h2m')).toBe(3_720_000);
    expect(composeDurationMs(30)).toBe(30_000);
    expect(composeDurationMs('0')).toBe(0);
    expect(composeDurationMs('10')).toBeUndefined();
    expect(composeDurationMs('-5s')).toBeUndefined();
    expect(composeDurationMs('soon')).toBeUndefined();
  });

  it("reads Docker's binary memory units and writes Berth's", () => {
    expect(dockerMemoryBytes('512m')).toBe(512 * 2 ** 20);
    expect(dockerMemoryBytes('512M')).toBe(512 * 2 ** 20);
    expect(dockerMemoryBytes('256MiB')).toBe(256 * 2 ** 20);
    expect(dockerMemoryBytes('1.5g')).toBe(1.5 * 2 ** 30);
    expect(dockerMemoryBytes('100')).toBe(100);
    expect(dockerMemoryBytes(2048)).toBe(2048);
    expect(dockerMemoryBytes('lots')).toBeUndefined();
    expect(berthMemory(1.5 * 2 ** 30)).toBe('1536Mi');
    expect(berthMemory(2 ** 30)).toBe('1Gi');
    expect(berthMemory(1000)).toBe(1000);
  });

  it('reads cpus as cores', () => {
    expect(composeCpuMillis('0.5')).toBe(500);
    expect(composeCpuMillis(1.5)).toBe(1500);
    expect(composeCpuMillis('.25')).toBe(250);
    expect(composeCpuMillis('half')).toBeUndefined();
    expect(berthCpu(2000)).toBe('2');
    expect(berthCpu(1500)).toBe('1500m');
  });
});
