import { describe, expect, it } from 'vitest';
import { parseQuestDbTimestamp, timestampParam } from '../src/index.ts';

describe('timestamp conversion', () => {
  it('reads QuestDB timestamp text as UTC epoch ms, whatever the local time zone', () => {
    expect(parseQuestDbTimestamp('2024-01-01 00:04:59.999000')).toBe(Date.UTC(2024, 0, 1, 0, 4, 59, 999));
    expect(parseQuestDbTimestamp('2024-02-29 23:00:00')).toBe(Date.UTC(2024, 1, 29, 23));
    expect(parseQuestDbTimestamp('1970-01-01 00:00:00.000001')).toBe(0);
  });

  it('rejects text it does not understand', () => {
    expect(() => parseQuestDbTimestamp('yesterday')).toThrow(/unexpected timestamp/);
  });

  it('round-trips through the parameter format', () => {
    const t = Date.UTC(2025, 9, 31, 23, 55);
    expect(parseQuestDbTimestamp(timestampParam(t))).toBe(t);
  });
});
