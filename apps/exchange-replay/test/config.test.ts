import { describe, expect, it } from 'vitest';
import { type RawCliOptions, replayOptionsFromCli } from '../src/config.ts';

const defaults: RawCliOptions = {
  data: '../shared/data/klines',
  port: '8765',
  host: '127.0.0.1',
  speed: '1',
  from: '2025-10-01',
  updateEveryMs: '2000',
  weightLimit: '6000',
  retryAfter: '1',
};

describe('replay exchange command line', () => {
  it('reads dates as UTC instants', () => {
    expect(replayOptionsFromCli(defaults).from).toBe(Date.UTC(2025, 9, 1));
    expect(replayOptionsFromCli({ ...defaults, from: '2024-02-29T12:00' }).from).toBe(
      Date.UTC(2024, 1, 29, 12),
    );
  });

  it.each([
    ['2025-02-30', /--from: "2025-02-30" has no day 30 \(2025-02 has 28 days\)/],
    ['2025-13-01', /--from: "2025-13-01" has no month 13/],
    ['yesterday', /--from: "yesterday" is not an ISO date/],
  ])('refuses --from %s instead of rolling it over', (from, message) => {
    expect(() => replayOptionsFromCli({ ...defaults, from })).toThrow(message);
  });

  it('lists every bad value at once', () => {
    expect(() =>
      replayOptionsFromCli({ ...defaults, from: '2025-04-31', symbols: "BTC'USDT", speed: '-1' }),
    ).toThrow(/--speed[\s\S]*--from: "2025-04-31" has no day 31[\s\S]*--symbols/);
  });
});
