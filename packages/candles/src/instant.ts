const ISO_INSTANT =
  /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,3})?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

/**
 * An ISO date (midnight UTC) or date-time (without a zone: UTC) as epoch ms, or why it is not one.
 * Every field is range-checked first: `Date.parse` rolls 2025-02-30 over to March 2 instead of
 * refusing it, which turns a typo into a silently different period.
 */
export function parseIsoInstant(value: string): { ok: true; t: number } | { ok: false; why: string } {
  const trimmed = value.trim();
  const m = ISO_INSTANT.exec(trimmed);
  if (!m) return { ok: false, why: 'is not an ISO date' };
  const [, y, mo, d, h = '0', mi = '0', sec = '0', zone] = m;
  const month = Number(mo);
  if (month < 1 || month > 12) return { ok: false, why: `has no month ${mo}` };
  const daysInMonth = new Date(Date.UTC(Number(y), month, 0)).getUTCDate();
  const day = Number(d);
  if (day < 1 || day > daysInMonth) {
    return { ok: false, why: `has no day ${d} (${y}-${mo} has ${daysInMonth} days)` };
  }
  if (Number(h) > 23 || Number(mi) > 59 || Number(sec) > 59)
    return { ok: false, why: 'has no such time of day' };
  if (zone && !/^z$/i.test(zone) && (Number(zone.slice(1, 3)) > 23 || Number(zone.slice(-2)) > 59)) {
    return { ok: false, why: `has no such zone offset ${zone}` };
  }
  const t = Date.parse(trimmed.includes('T') && !zone ? `${trimmed}Z` : trimmed);
  return Number.isFinite(t) ? { ok: true, t } : { ok: false, why: 'is not an ISO date' };
}
