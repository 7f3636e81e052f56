import { describe, expect, it } from 'vitest';
import { parseRetryAfter } from '../src/retry-after.ts';

const NOW = Date.UTC(2025, 5, 2, 12, 0, 0);

describe('parseRetryAfter', () => {
  it('reads delay-seconds', () => {
    expect(parseRetryAfter('0', NOW)).toBe(0);
    expect(parseRetryAfter(' 7 ', NOW)).toBe(7000);
  });

  it('reads an HTTP-date as the time left until it (0 when past)', () => {
    expect(parseRetryAfter('Mon, 02 Jun 2025 12:00:05 GMT', NOW)).toBe(5000);
    expect(parseRetryAfter('Monday, 02-Jun-25 12:00:05 GMT', NOW)).toBe(5000);
    expect(parseRetryAfter('Mon Jun  2 12:00:05 2025', NOW)).toBe(5000);
    expect(parseRetryAfter('Mon, 02 Jun 2025 11:00:00 GMT', NOW)).toBe(0);
  });

  it.each([
    ['abc'],
    ['-5'],
    ['1.5'],
    [''],
    ['1e3'],
    ['Infinity'],
    ['2025-06-02T12:00:05Z'],
    ['Mon, 32 Jun 2025 12:00:05 GMT'],
  ])('treats %j as absent (the caller backs off exponentially)', (header) => {
    expect(parseRetryAfter(header, NOW)).toBeUndefined();
  });

  it('treats a missing header as absent', () => {
    expect(parseRetryAfter(null, NOW)).toBeUndefined();
    expect(parseRetryAfter(undefined, NOW)).toBeUndefined();
  });
});
