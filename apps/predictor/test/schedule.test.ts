import { describe, expect, it } from 'vitest';
import { asOfWindow, latestDueAsOf, predictionJobId } from '../src/schedule.ts';

const T = Date.UTC(2024, 2, 1, 10, 5); // a 5-minute boundary

describe('latestDueAsOf', () => {
  it('is the 5-minute boundary once the offset has passed, the previous one before', () => {
    expect(latestDueAsOf('official', T + 3000, 3000)).toBe(T);
    expect(latestDueAsOf('official', T + 2999, 3000)).toBe(T - 300_000);
    expect(latestDueAsOf('official', T + 299_999, 0)).toBe(T);
  });
  it('is the minute boundary for live predictions', () => {
    expect(latestDueAsOf('live', T + 61_000, 1000)).toBe(T + 60_000);
    expect(latestDueAsOf('live', T + 60_999, 1000)).toBe(T);
  });
});

describe('asOfWindow', () => {
  it('lists the instants of the catch-up window, oldest first, ending at the latest', () => {
    expect(asOfWindow('official', T, 900_000)).toEqual([T - 600_000, T - 300_000, T]);
    expect(asOfWindow('live', T, 1000)).toEqual([T]);
  });
});

describe('predictionJobId', () => {
  it('is the same for the same prediction and differs otherwise', () => {
    expect(predictionJobId('official', 'BTCUSDT', T)).toBe(predictionJobId('official', 'BTCUSDT', T));
    expect(predictionJobId('official', 'BTCUSDT', T)).not.toBe(predictionJobId('live', 'BTCUSDT', T));
    expect(predictionJobId('official', 'BTCUSDT', T)).not.toBe(predictionJobId('official', 'ETHUSDT', T));
  });
});
