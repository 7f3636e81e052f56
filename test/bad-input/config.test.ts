import { configSchema as collectorSchema } from '@regime/collector';
import { loadPredictorConfig } from '@regime/predictor';
import { questDbConfigFromEnv } from '@regime/questdb';
import { ConfigError, loadConfig } from '@regime/service';
import { stackConfigFromEnv } from '@regime/stack';
import { describe, expect, it } from 'vitest';

/**
 * Configuration values refused at start-up: each case asserts the exact problem line (variable,
 * value with any password hidden, the true reason) and that no configuration came out of it.
 */

function refusal(load: () => unknown): string {
  let result: unknown;
  try {
    result = load();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).message;
  }
  throw new Error(`accepted: ${JSON.stringify(result)}`);
}

const predictor = (env: NodeJS.ProcessEnv) => refusal(() => loadPredictorConfig(env));
const collector = (env: NodeJS.ProcessEnv) => refusal(() => loadConfig(collectorSchema, env));

describe('bad configuration values', () => {
  it('QUESTDB_PG_URL with a bad port: blames the port, hides the password', () => {
    const message = predictor({ QUESTDB_PG_URL: 'postgres://admin:hunter2@db:99999/qdb' });
    expect(message).toContain(
      'QUESTDB_PG_URL="postgres://admin:***@db:99999/qdb": port 99999 is out of range (0-65535)',
    );
    expect(message).not.toContain('hunter2');
  });

  it('QUESTDB_PG_URL with a port that is not a number', () => {
    expect(predictor({ QUESTDB_PG_URL: 'postgres://admin:pw@db:88l2/qdb' })).toContain(
      'QUESTDB_PG_URL="postgres://admin:***@db:88l2/qdb": port "88l2" is not a number',
    );
  });

  it('QUESTDB_PG_URL with the wrong scheme: blames the scheme, hides the password', () => {
    const message = questDbRefusal({ QUESTDB_PG_URL: 'mysql://admin:hunter2@db:8812/qdb' });
    expect(message).toContain(
      'QUESTDB_PG_URL="mysql://admin:***@db:8812/qdb": expected a postgres or postgresql URL, not mysql://',
    );
    expect(message).not.toContain('hunter2');
  });

  it('QUESTDB_HTTP without a host', () => {
    expect(collector({ QUESTDB_HTTP: 'http://:9000' })).toContain(
      'QUESTDB_HTTP="http://:9000": expected a http or https URL with a host name',
    );
  });

  it('BINANCE_WS_URL that is a REST URL', () => {
    expect(collector({ BINANCE_WS_URL: 'https://stream.binance.com' })).toContain(
      'BINANCE_WS_URL="https://stream.binance.com": expected a ws or wss URL, not https://',
    );
  });

  it('REDIS_URL with a password and no scheme', () => {
    const message = predictor({ REDIS_URL: ':s3cret@127.0.0.1:6379' });
    expect(message).toContain('REDIS_URL=');
    expect(message).toContain('expected a redis or rediss URL');
    expect(message).not.toContain('s3cret');
  });

  it('METRICS_HOST that is not an address', () => {
    expect(collector({ METRICS_HOST: 'all' })).toContain(
      'METRICS_HOST="all": expected an IP address to listen on (127.0.0.1 = this machine only, 0.0.0.0 = every interface)',
    );
  });

  it('METRICS_PORT out of range', () => {
    expect(predictor({ METRICS_PORT: '70000' })).toMatch(/METRICS_PORT="70000": Too big/);
  });

  it('STACK_BIND_HOST that QuestDB cannot bind (IPv6)', () => {
    expect(refusal(() => stackConfigFromEnv({ STACK_BIND_HOST: '::' }))).toContain(
      'STACK_BIND_HOST="::": expected an IPv4 address',
    );
  });

  it('SYMBOLS with an SQL fragment', () => {
    expect(predictor({ SYMBOLS: "BTCUSDT,X' OR '1'='1" })).toContain(
      `SYMBOLS="BTCUSDT,X' OR '1'='1": invalid symbol "X' OR '1'='1": expected 2-20 letters or digits`,
    );
  });

  it('a table name with SQL in it', () => {
    expect(predictor({ PREDICTIONS_TABLE: 'p; drop table klines' })).toContain(
      'PREDICTIONS_TABLE="p; drop table klines": expected a table name matching',
    );
  });

  it('a queue name that would reach into other Redis keys', () => {
    expect(predictor({ QUEUE_NAME: 'q:*' })).toContain('QUEUE_NAME="q:*": expected letters, digits, _ or -');
  });

  it('UNHEALTHY_AFTER_INTERVALS of 0 (never healthy)', () => {
    expect(predictor({ UNHEALTHY_AFTER_INTERVALS: '0' })).toMatch(/UNHEALTHY_AFTER_INTERVALS="0": Too small/);
  });

  it('LIVE_MAX_AGE_MS that is not a number', () => {
    expect(predictor({ LIVE_MAX_AGE_MS: 'ten minutes' })).toMatch(
      /LIVE_MAX_AGE_MS="ten minutes": Invalid input/,
    );
  });

  it('TIME_SCALE of 0 (a clock that never moves)', () => {
    expect(predictor({ TIME_SCALE: '0' })).toMatch(/TIME_SCALE="0": Too small/);
  });

  it('a secret-named variable is never echoed', () => {
    const schema = collectorSchema.extend({}).pick({ QUESTDB_HTTP: true });
    const message = refusal(() =>
      loadConfig(schema.extend({ API_TOKEN: schema.shape.QUESTDB_HTTP }), { API_TOKEN: 'tok-123' }),
    );
    expect(message).toContain('API_TOKEN="***"');
    expect(message).not.toContain('tok-123');
  });
});

function questDbRefusal(env: NodeJS.ProcessEnv): string {
  return refusal(() => questDbConfigFromEnv(env));
}
