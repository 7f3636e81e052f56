import { describe, expect, it } from 'vitest';
import { stackConfigFromEnv } from '../src/config.ts';
import { questdbEnv } from '../src/questdb-server.ts';

const LISTENERS = [
  'QDB_HTTP_BIND_TO',
  'QDB_PG_NET_BIND_TO',
  'QDB_LINE_TCP_NET_BIND_TO',
  'QDB_HTTP_MIN_NET_BIND_TO',
];

describe('the QuestDB the stack starts', () => {
  it('binds every listener (HTTP, PG wire, ILP, min health) to loopback by default', () => {
    const env = questdbEnv(stackConfigFromEnv({}));
    expect(LISTENERS.map((name) => env[name])).toEqual([
      '127.0.0.1:9000',
      '127.0.0.1:8812',
      '127.0.0.1:9009',
      '127.0.0.1:9003',
    ]);
  });

  it('opens them only when STACK_BIND_HOST says so', () => {
    const env = questdbEnv(stackConfigFromEnv({ STACK_BIND_HOST: '0.0.0.0', QUESTDB_ILP_TCP_PORT: '19009' }));
    expect(env.QDB_LINE_TCP_NET_BIND_TO).toBe('0.0.0.0:19009');
    for (const name of LISTENERS) expect(env[name]).toMatch(/^0\.0\.0\.0:\d+$/);
  });

  it('refuses a bind address QuestDB cannot take', () => {
    expect(() => stackConfigFromEnv({ STACK_BIND_HOST: 'everywhere' })).toThrow(
      /STACK_BIND_HOST="everywhere": expected an IPv4 address/,
    );
  });
});
