import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { backfillCommand, parseInstant, resolveRun } from '../src/cli.ts';
import { configSchema } from '../src/config.ts';

const env = configSchema.parse({ SYMBOLS: 'BTCUSDT', INTERVALS: '5m,1h' });

function run(args: string[]) {
  const command = backfillCommand().exitOverride();
  command.parse(args, { from: 'user' });
  return resolveRun(command.opts(), env);
}

describe('backfill CLI', () => {
  it('takes symbols and intervals from the environment by default', () => {
    const r = run([]);
    expect(r.symbols).toEqual(['BTCUSDT']);
    expect(r.intervals).toEqual(['5m', '1h']);
    expect(r.from).toBeUndefined();
    expect(r.defaultDays).toBe(45);
    expect(r.restUrl).toBe('https://api.binance.com');
  });

  it('lets flags override the environment', () => {
    const r = run([
      '--symbols',
      'btcusdt, ETHUSDT',
      '--intervals',
      '15m',
      '--from',
      '2024-01-01',
      '--to',
      '2024-03-01',
    ]);
    expect(r.symbols).toEqual(['BTCUSDT', 'ETHUSDT']);
    expect(r.intervals).toEqual(['15m']);
    expect(r.from).toBe(Date.UTC(2024, 0, 1));
    expect(r.to).toBe(Date.UTC(2024, 2, 1));
  });

  it('refuses bad symbols, intervals, dates and numbers with a readable message', () => {
    expect(() => run(['--symbols', "BTC'; DROP"])).toThrow(/invalid symbol/);
    expect(() => run(['--intervals', '7m'])).toThrow(/unknown interval "7m"/);
    expect(() => run(['--from', 'yesterday'])).toThrow(/--from "yesterday" is not an ISO date/);
    expect(() => run(['--from', '2024-03-01', '--to', '2024-01-01'])).toThrow(/must be before/);
    expect(() => run(['--days', '0'])).toThrow(InvalidArgumentError);
  });

  it('refuses dates that do not exist instead of rolling them over (2025-02-30 is not March 2)', () => {
    expect(() => parseInstant('2025-02-30', '--from')).toThrow(/--from "2025-02-30" has no day 30/);
    expect(() => parseInstant('2025-02-29', '--from')).toThrow(/has no day 29 \(2025-02 has 28 days\)/);
    expect(() => parseInstant('2025-00-10', '--from')).toThrow(/has no month 00/);
    expect(() => parseInstant('2025-01-01T12:60', '--to')).toThrow(/has no such time of day/);
    expect(() => parseInstant('2025-01-01T12:00+25:00', '--to')).toThrow(/has no such zone offset/);
    expect(parseInstant('2024-02-29', '--from')).toBe(Date.UTC(2024, 1, 29));
    expect(parseInstant('2024-12-31T23:59:59.999Z', '--from')).toBe(Date.UTC(2024, 11, 31, 23, 59, 59, 999));
  });

  it('reads a date-time without a zone as UTC', () => {
    expect(parseInstant('2024-01-01T12:30', '--from')).toBe(Date.UTC(2024, 0, 1, 12, 30));
    expect(parseInstant('2024-01-01T12:30+02:00', '--from')).toBe(Date.UTC(2024, 0, 1, 10, 30));
  });
});

describe('configSchema', () => {
  it('reports a bad URL, symbol or interval', () => {
    expect(configSchema.safeParse({ QUESTDB_HTTP: 'nope' }).success).toBe(false);
    const bad = configSchema.safeParse({ SYMBOLS: 'BTCUSDT,BTC USDT', INTERVALS: '5m,2h' });
    expect(bad.error?.issues.map((i) => i.message)).toEqual([
      expect.stringMatching(/invalid symbol "BTC USDT"/),
      expect.stringMatching(/unknown interval "2h"/),
    ]);
    expect(configSchema.safeParse({ SYMBOLS: ' , ' }).success).toBe(false);
  });

  it('normalises symbols to upper case', () => {
    expect(configSchema.parse({ SYMBOLS: 'btcusdt,ethusdt' }).SYMBOLS).toEqual(['BTCUSDT', 'ETHUSDT']);
  });
});
