import { loadConfig } from '@regime/service';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../src/config.ts';

describe('collector config', () => {
  it('has the documented defaults', () => {
    const c = loadConfig(configSchema, {});
    expect(c.SYMBOLS).toEqual(['BTCUSDT']);
    expect(c.INTERVALS).toEqual(['5m', '15m', '1h']);
    expect(c.BINANCE_WS_URL).toBe('wss://stream.binance.com:9443');
    expect(c.LIVE_FLUSH_MS).toBe(2000);
    expect(c.METRICS_PORT).toBe(9464);
    expect(c.WS_CONNECT_ATTEMPTS_PER_5MIN).toBe(300);
  });

  it('refuses a connection attempt budget beyond the 300 per 5 minutes per IP Binance allows', () => {
    expect(() => loadConfig(configSchema, { WS_CONNECT_ATTEMPTS_PER_5MIN: '301' })).toThrow(
      /WS_CONNECT_ATTEMPTS_PER_5MIN="301"/,
    );
  });

  it('names every bad value', () => {
    const bad = { SYMBOLS: 'BTCUSDT,$$$', INTERVALS: '3m', LIVE_FLUSH_MS: '0', BINANCE_WS_URL: 'http://x' };
    const load = () => loadConfig(configSchema, bad);
    expect(load).toThrow(/SYMBOLS="BTCUSDT,\$\$\$": invalid symbol "\$\$\$"/);
    expect(load).toThrow(/INTERVALS="3m": unknown interval "3m"/);
    expect(load).toThrow(/LIVE_FLUSH_MS="0"/);
    expect(load).toThrow(/BINANCE_WS_URL="http:\/\/x": expected a ws or wss URL/);
  });
});
