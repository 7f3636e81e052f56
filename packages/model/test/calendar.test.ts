import { describe, expect, it } from 'vitest';
import { CALENDAR_COUNT, CALENDAR_NAMES, calendarInputs } from '../src/calendar.ts';

const at = (iso: string) => {
  const values = calendarInputs([Date.parse(iso)]);
  return Object.fromEntries(CALENDAR_NAMES.map((name, i) => [name, values[i]!]));
};

describe('calendar inputs of the as-of instant', () => {
  it('places midnight, 06:00 and noon UTC on the daily circle', () => {
    expect(at('2025-03-05T00:00:00Z').day_sin).toBeCloseTo(0, 6);
    expect(at('2025-03-05T00:00:00Z').day_cos).toBeCloseTo(1, 6);
    expect(at('2025-03-05T06:00:00Z').day_sin).toBeCloseTo(1, 6);
    expect(at('2025-03-05T12:00:00Z').day_cos).toBeCloseTo(-1, 6);
  });

  it('starts the week on Monday 00:00 UTC and flags Saturday and Sunday as the weekend', () => {
    // 2025-03-03 is a Monday.
    expect(at('2025-03-03T00:00:00Z').week_sin).toBeCloseTo(0, 6);
    expect(at('2025-03-03T00:00:00Z').week_cos).toBeCloseTo(1, 6);
    const weekend = ['03', '04', '05', '06', '07', '08', '09'].map(
      (d) => at(`2025-03-${d}T13:00:00Z`).weekend,
    );
    expect(weekend).toEqual([0, 0, 0, 0, 0, 1, 1]);
    expect(at('2025-03-09T23:59:59Z').weekend).toBe(1);
    expect(at('2025-03-10T00:00:00Z').weekend).toBe(0);
  });

  it('depends on the instant only: one row per instant, the same week after week', () => {
    const week = 7 * 86_400_000;
    const t = Date.parse('2024-11-13T17:35:00Z');
    const rows = calendarInputs([t, t + week, t + 52 * week]);
    expect(rows).toHaveLength(3 * CALENDAR_COUNT);
    for (let k = 0; k < CALENDAR_COUNT; k++) {
      expect(rows[CALENDAR_COUNT + k]).toBeCloseTo(rows[k]!, 5);
      expect(rows[2 * CALENDAR_COUNT + k]).toBeCloseTo(rows[k]!, 5);
    }
  });
});
