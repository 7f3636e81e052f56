import { ConfigError } from '@regime/service';
import { describe, expect, it } from 'vitest';
import { loadPredictorConfig } from '../src/config.ts';

describe('predictor config', () => {
  it('has working defaults', () => {
    const config = loadPredictorConfig({});
    expect(config.symbols).toEqual(['BTCUSDT']);
    expect(config.metricsPort).toBe(9465);
    expect(config.clock.kind).toBe('wall');
    expect(config.tables.predictions).toBe('regime_predictions');
  });

  it('derives the exchange-clock tick period from the replay speed', () => {
    expect(loadPredictorConfig({ CLOCK: 'exchange', TIME_SCALE: '60' }).tickMs).toBe(250);
    expect(loadPredictorConfig({ CLOCK: 'exchange', TIME_SCALE: '10000' }).tickMs).toBe(50);
  });

  it('names every bad variable at once', () => {
    const env = {
      SYMBOLS: 'BTCUSDT,bad symbol',
      CLOCK: 'sundial',
      METRICS_PORT: '-1',
      PREDICTIONS_TABLE: 'x;drop',
    };
    try {
      loadPredictorConfig(env);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const message = (error as Error).message;
      for (const name of ['SYMBOLS', 'CLOCK', 'METRICS_PORT', 'PREDICTIONS_TABLE'])
        expect(message).toContain(name);
    }
  });
});
