/**
 * The wait a `Retry-After` header asks for, in ms, or undefined when the header is absent or
 * unusable. RFC 9110 §10.2.3 allows exactly two forms: delay-seconds (digits only) and an HTTP-date
 * (a date in the past means "now": 0). Anything else ("abc", "-5", "1.5", "") is treated as absent,
 * so the caller falls back to its exponential backoff: a bad header must never disable the backoff.
 */
export function parseRetryAfter(header: string | null | undefined, now = Date.now()): number | undefined {
  if (header === null || header === undefined) return undefined;
  const value = header.trim();
  if (/^\d{1,10}$/.test(value)) return Number(value) * 1000;
  // HTTP-date: IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT") or the two obsolete forms, all GMT.
  if (
    /^[A-Za-z]{3,9}, ?\d{1,2}[ -][A-Za-z]{3}[ -]\d{2,4} \d{2}:\d{2}:\d{2} GMT$|^[A-Za-z]{3} [A-Za-z]{3} [ \d]\d \d{2}:\d{2}:\d{2} \d{4}$/.test(
      value,
    )
  ) {
    const at = Date.parse(/GMT$/.test(value) ? value : `${value} GMT`);
    if (Number.isFinite(at)) return Math.max(0, at - now);
  }
  return undefined;
}
