import { ConfigError } from '@regime/service';
import { describe, expect, it } from 'vitest';
import { loadScorerConfig } from '../src/config.ts';

describe('scorer config', () => {
  it('has working defaults', () => {
    const config = loadScorerConfig({});
    expect(config.symbols).toEqual(['BTCUSDT']);
    expect(config.tables.outcomes).toBe('regime_outcomes');
    expect(config.everyMs).toBe(300_000);
    expect(config.metricsPort).toBe(9466);
    expect(config.clock.kind).toBe('wall');
  });

  it('follows the exchange clock when told to', () => {
    const config = loadScorerConfig({
      CLOCK: 'exchange',
      BINANCE_REST_URL: 'http://127.0.0.1:8765',
      TIME_SCALE: '60',
    });
    expect(config.clock).toEqual({
      kind: 'exchange',
      restUrl: 'http://127.0.0.1:8765',
      timeScale: 60,
      pollMs: 1000,
    });
  });

  it('names every bad variable at once', () => {
    const env = {
      SYMBOLS: 'BTCUSDT,bad symbol',
      OUTCOMES_TABLE: 'x;drop',
      SCORE_EVERY_MS: '0',
      SCORE_LOOKBACK_MS: 'a week',
      METRICS_PORT: '70000',
      CLOCK: 'sundial',
      TIME_SCALE: '-1',
      BINANCE_REST_URL: 'ftp://127.0.0.1',
    };
    try {
      loadScorerConfig(env);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const message = (error as Error).message;
      for (const name of Object.keys(env)) expect(message).toContain(name);
    }
  });
});
