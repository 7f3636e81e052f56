import type { CustomTypesConfig } from 'pg';

/** PG type OIDs QuestDB sends for the column types we use. */
const TIMESTAMP_OID = 1114;
const TIMESTAMPTZ_OID = 1184;
const INT8_OID = 20;

const TIMESTAMP_TEXT =
  /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:Z|\+00(?::?00)?)?$/;

/**
 * QuestDB sends TIMESTAMP as text like `2024-01-01 00:04:59.999000`, in UTC. The pg default parser
 * reads it as *local* time, which silently shifts every instant on a machine not set to UTC, so we
 * parse it ourselves into epoch milliseconds (the project's one time representation). Sub-millisecond
 * digits are dropped: every instant we write is a whole millisecond.
 */
export function parseQuestDbTimestamp(text: string): number {
  const m = TIMESTAMP_TEXT.exec(text);
  if (!m) throw new Error(`unexpected timestamp text from QuestDB: "${text}"`);
  const millis = Number((m[7] ?? '').padEnd(3, '0').slice(0, 3));
  return (
    Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])) + millis
  );
}

/**
 * LONG columns (trades, count, count()) come back as numbers. Values beyond 2^53 would lose precision;
 * nothing we store comes near that, so a loud error is better than a silent rounding.
 */
function parseLong(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new Error(`LONG value ${text} does not fit a JS number exactly`);
  return value;
}

/** Per-pool type parsers (the pg global registry is left alone so other pg users are not affected). */
export function questDbTypeParsers(fallback: CustomTypesConfig): CustomTypesConfig {
  return {
    getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
      if (format !== 'binary') {
        if (oid === TIMESTAMP_OID || oid === TIMESTAMPTZ_OID) return parseQuestDbTimestamp;
        if (oid === INT8_OID) return parseLong;
      }
      return fallback.getTypeParser(oid, format as 'text');
    }) as CustomTypesConfig['getTypeParser'],
  };
}

/** A bound parameter for a TIMESTAMP comparison: ISO text in UTC, which QuestDB parses exactly. */
export function timestampParam(epochMs: number): string {
  return new Date(epochMs).toISOString();
}
