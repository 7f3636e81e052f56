import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { startOpsServer } from '../src/http.ts';

function lanAddress(): string | undefined {
  return Object.values(networkInterfaces())
    .flat()
    .find((i) => i !== undefined && i.family === 'IPv4' && !i.internal)?.address;
}

function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('the /healthz + /metrics server', () => {
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
  });

  it('listens on loopback only by default', async () => {
    const lan = lanAddress();
    expect(lan, 'this test needs a non-loopback IPv4 interface').toBeDefined();
    const ops = await startOpsServer({ port: 0, registry: new Registry(), health: () => ({ ok: true }) });
    closers.push(ops.close);
    expect(await accepts('127.0.0.1', ops.port)).toBe(true);
    expect(await accepts(lan!, ops.port)).toBe(false);
  });

  it('listens on every interface when asked (compose)', async () => {
    const lan = lanAddress()!;
    const ops = await startOpsServer({
      port: 0,
      host: '0.0.0.0',
      registry: new Registry(),
      health: () => ({ ok: true }),
    });
    closers.push(ops.close);
    expect(await accepts(lan, ops.port)).toBe(true);
  });
});
