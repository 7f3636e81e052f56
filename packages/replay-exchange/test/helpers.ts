import type { Candle } from '@regime/candles';
import WebSocket from 'ws';

/** A REST row turned back into numbers, the way any Binance client reads it. */
export function rowToCandle(row: unknown[]): Candle & { trades: number } {
  return {
    openTime: row[0] as number,
    open: Number(row[1]),
    high: Number(row[2]),
    low: Number(row[3]),
    close: Number(row[4]),
    volume: Number(row[5]),
    closeTime: row[6] as number,
    closed: true,
    quoteVolume: Number(row[7]),
    trades: row[8] as number,
    takerBuyBaseVolume: Number(row[9]),
    takerBuyQuoteVolume: Number(row[10]),
  };
}

export async function getJson(url: string): Promise<{ status: number; body: unknown; headers: Headers }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.json(), headers: res.headers };
}

export function ohlcv(c: Candle): number[] {
  return [c.openTime, c.open, c.high, c.low, c.close, c.volume, c.closeTime];
}

/** Opens a WebSocket and records every text message until closed. */
export function record(url: string): {
  ws: WebSocket;
  messages: string[];
  opened: Promise<void>;
  closes: number[];
} {
  const ws = new WebSocket(url);
  const messages: string[] = [];
  const closes: number[] = [];
  ws.on('message', (data) => messages.push(data.toString()));
  ws.on('close', (code) => closes.push(code));
  const opened = new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return { ws, messages, opened, closes };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function waitFor(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}
