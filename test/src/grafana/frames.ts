import type pg from 'pg';

/**
 * A query result as Grafana's PostgreSQL datasource receives it: column names, their PostgreSQL
 * type (OID) and the rows as text. Kinds follow how Grafana converts each type into a data frame.
 */
export type ColumnKind = 'time' | 'number' | 'string' | 'boolean' | 'other';

export interface Column {
  name: string;
  kind: ColumnKind;
}

export interface Frame {
  columns: Column[];
  rows: (string | null)[][];
}

const KINDS: Record<number, ColumnKind> = {
  1114: 'time', // timestamp
  1184: 'time', // timestamptz
  1082: 'time', // date
  20: 'number', // int8
  21: 'number', // int2
  23: 'number', // int4
  700: 'number', // float4
  701: 'number', // float8
  1700: 'number', // numeric
  25: 'string', // text
  1043: 'string', // varchar
  1042: 'string', // bpchar
  19: 'string', // name
  18: 'string', // char
  16: 'boolean',
};

/** Runs one query with the simple query protocol (as Grafana does for raw SQL) and keeps values as text. */
export async function runQuery(client: pg.Client, sql: string): Promise<Frame> {
  const result = await client.query({
    text: sql,
    rowMode: 'array',
    types: { getTypeParser: () => (v: string) => v },
  });
  return {
    columns: result.fields.map((f) => ({ name: f.name, kind: KINDS[f.dataTypeID] ?? 'other' })),
    rows: result.rows as (string | null)[][],
  };
}

/** QuestDB's text timestamp ("2025-09-01 06:00:00.000000") → epoch ms. */
export function parseTimestamp(text: string): number {
  const ms = Date.parse(`${text.replace(' ', 'T').slice(0, 23)}Z`);
  if (!Number.isFinite(ms)) throw new Error(`not a timestamp: ${text}`);
  return ms;
}

/** Rows as objects keyed by column name. */
export function records(frame: Frame): Record<string, string | null>[] {
  return frame.rows.map((row) => Object.fromEntries(frame.columns.map((c, i) => [c.name, row[i] ?? null])));
}

/**
 * Why Grafana could not draw this frame in this panel, or undefined when it can.
 * - format time_series: a `time` column (timestamp), numeric values (strings become labels), rows
 *   in ascending time: the datasource converts long frames to wide and refuses unsorted ones.
 * - candlestick: time plus numeric open/high/low/close.
 * - state-timeline: time first, then at least one string (the state).
 * - table: the column names the panel is built around.
 */
export function shapeProblem(
  panelType: string,
  format: string | undefined,
  frame: Frame,
  expectedColumns?: string[],
): string | undefined {
  const names = frame.columns.map((c) => `${c.name}:${c.kind}`).join(', ');
  const first = frame.columns[0];
  const timeFirst = first?.name === 'time' && first.kind === 'time';
  if (frame.columns.some((c) => c.kind === 'other')) return `a column of an unknown type: ${names}`;
  if (format === 'time_series') {
    if (!timeFirst) return `time_series needs a timestamp column "time" first, got ${names}`;
    if (!frame.columns.some((c) => c.kind === 'number'))
      return `time_series needs a numeric value, got ${names}`;
    if (frame.columns.some((c) => c.kind === 'boolean')) return `time_series cannot carry booleans: ${names}`;
    const times = frame.rows.map((r) => parseTimestamp(r[0]!));
    for (let i = 1; i < times.length; i++) {
      if (times[i]! < times[i - 1]!) return `time_series rows must be in ascending time (row ${i})`;
    }
  }
  if (panelType === 'candlestick') {
    if (!timeFirst) return `candlestick needs "time" first, got ${names}`;
    for (const field of ['open', 'high', 'low', 'close']) {
      if (!frame.columns.some((c) => c.name === field && c.kind === 'number')) {
        return `candlestick needs a numeric ${field}, got ${names}`;
      }
    }
  }
  if (panelType === 'state-timeline') {
    if (!timeFirst) return `state-timeline needs "time" first, got ${names}`;
    if (!frame.columns.slice(1).some((c) => c.kind === 'string'))
      return `state-timeline needs a state string: ${names}`;
  }
  if (panelType === 'timeseries' && format !== 'time_series')
    return 'timeseries panels query with format time_series';
  if (expectedColumns) {
    const got = frame.columns.map((c) => c.name);
    if (got.join(',') !== expectedColumns.join(','))
      return `columns ${got.join(',')} != ${expectedColumns.join(',')}`;
  }
  return undefined;
}
