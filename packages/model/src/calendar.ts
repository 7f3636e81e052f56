/**
 * Calendar inputs of the as-of instant T: where T falls in the UTC day and in the week. Crypto trades
 * around the clock but not evenly: volatility rises with the European and US sessions and falls at
 * weekends, so the regime of T depends on the hour and the day it falls in. Every value is known at T
 * (it is a function of T alone), so this adds no look-ahead; the feature window cannot carry it.
 */

export const CALENDAR_NAMES = ['day_sin', 'day_cos', 'week_sin', 'week_cos', 'weekend'] as const;

export const CALENDAR_COUNT = CALENDAR_NAMES.length;

const DAY_MS = 86_400_000;
/** 1970-01-01 was a Thursday: shifting by 3 days makes Monday 00:00 UTC the start of the week. */
const MONDAY_SHIFT_DAYS = 3;

/** The CALENDAR_NAMES values of instant `t` (epoch ms) into `out` at `offset`. */
export function writeCalendar(t: number, out: Float32Array, offset: number): void {
  const dayFraction = (((t % DAY_MS) + DAY_MS) % DAY_MS) / DAY_MS;
  const weekDays = (((Math.floor(t / DAY_MS) + MONDAY_SHIFT_DAYS) % 7) + 7) % 7;
  const weekFraction = (weekDays + dayFraction) / 7;
  out[offset] = Math.sin(2 * Math.PI * dayFraction);
  out[offset + 1] = Math.cos(2 * Math.PI * dayFraction);
  out[offset + 2] = Math.sin(2 * Math.PI * weekFraction);
  out[offset + 3] = Math.cos(2 * Math.PI * weekFraction);
  out[offset + 4] = weekDays >= 5 ? 1 : 0;
}

/** Calendar inputs of many instants: n × CALENDAR_COUNT, row-major. */
export function calendarInputs(asOf: ArrayLike<number>): Float32Array {
  const out = new Float32Array(asOf.length * CALENDAR_COUNT);
  for (let i = 0; i < asOf.length; i++) writeCalendar(asOf[i]!, out, i * CALENDAR_COUNT);
  return out;
}
