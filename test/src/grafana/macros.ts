/**
 * What Grafana does to a PostgreSQL-datasource panel query before the SQL reaches the database,
 * re-implemented so the dashboards' SQL can be run against a real QuestDB in tests:
 *
 * 1. The frontend replaces template variables ($symbol, ${symbol:singlequote}, $__interval, ...)
 *    (Grafana's templateSrv + format registry + SqlDatasource.interpolateVariable).
 * 2. The backend replaces $__interval_ms, $__interval, $__unixEpochFrom(), $__unixEpochTo()
 *    (sqleng.Interpolate), then the macros $__timeFilter(col), $__timeFrom(), $__timeGroup(col, 5m), ...
 *    (grafana-postgresql-datasource macros.go).
 *
 * The interval arithmetic is Grafana's rangeutil (roundInterval, secondsToHms, calculateInterval).
 */

export interface TimeRange {
  /** Epoch ms. */
  from: number;
  /** Epoch ms. */
  to: number;
}

const MS = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
  y: 31_536_000_000,
} as const;

/** "5m", "1h", "500ms", "1d" → ms (Grafana's rangeutil.intervalToMs). */
export function intervalToMs(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)$/.exec(text.trim());
  if (!m) throw new Error(`not a Grafana interval: "${text}"`);
  return Number(m[1]) * MS[m[2] as keyof typeof MS];
}

/** Grafana's rangeutil.roundInterval: the "nice" bucket width for a raw width in ms. */
export function roundInterval(ms: number): number {
  const steps: [number, number][] = [
    [10, 1],
    [15, 10],
    [35, 20],
    [75, 50],
    [150, 100],
    [350, 200],
    [750, 500],
    [1500, 1000],
    [3500, 2000],
    [7500, 5000],
    [12500, 10000],
    [17500, 15000],
    [25000, 20000],
    [45000, 30000],
    [90000, 60000],
    [210000, 120000],
    [450000, 300000],
    [750000, 600000],
    [1050000, 900000],
    [1500000, 1200000],
    [2700000, 1800000],
    [5400000, 3600000],
    [9000000, 7200000],
    [16200000, 10800000],
    [32400000, 21600000],
    [86400000, 43200000],
    [604800000, 86400000],
    [1814400000, 604800000],
    [3628800000, 2592000000],
  ];
  for (const [below, value] of steps) if (ms < below) return value;
  return 31536000000;
}

/** Grafana's rangeutil.secondsToHms: the text of $__interval. */
export function secondsToHms(seconds: number): string {
  const years = Math.floor(seconds / 31536000);
  if (years) return `${years}y`;
  const days = Math.floor((seconds % 31536000) / 86400);
  if (days) return `${days}d`;
  const hours = Math.floor(((seconds % 31536000) % 86400) / 3600);
  if (hours) return `${hours}h`;
  const minutes = Math.floor((((seconds % 31536000) % 86400) % 3600) / 60);
  if (minutes) return `${minutes}m`;
  const secs = Math.floor((((seconds % 31536000) % 86400) % 3600) % 60);
  if (secs) return `${secs}s`;
  const millis = Math.floor(seconds * 1000);
  if (millis) return `${millis}ms`;
  return 'less than a millisecond';
}

export interface Interval {
  ms: number;
  text: string;
}

/**
 * Grafana's rangeutil.calculateInterval: range / resolution (max data points, by default the
 * panel's width in pixels), rounded, and never below the panel's (or datasource's) min interval.
 */
export function calculateInterval(range: TimeRange, resolution: number, minInterval?: string): Interval {
  const lowLimitMs = minInterval ? intervalToMs(minInterval) : 1;
  let ms = roundInterval((range.to - range.from) / resolution);
  if (lowLimitMs > ms) ms = lowLimitMs;
  return { ms, text: secondsToHms(ms / 1000) };
}

/** Go's time.RFC3339Nano in UTC: fractional seconds without trailing zeros, none when whole. */
export function goRfc3339Nano(epochMs: number): string {
  const iso = new Date(epochMs).toISOString(); // 2025-09-01T06:00:00.250Z
  const [whole, fraction] = iso.slice(0, -1).split('.');
  const trimmed = (fraction ?? '').replace(/0+$/, '');
  return `${whole}${trimmed ? `.${trimmed}` : ''}Z`;
}

/** A dashboard variable as the frontend sees it at query time. */
export interface VariableState {
  name: string;
  multi: boolean;
  includeAll: boolean;
  /** Every option the variable query returned. */
  options: string[];
  /** The selection; ['$__all'] is the "All" option. */
  current: string[];
}

/** The value of one variable for one panel: repeated rows/panels pin it to a single option. */
export type ScopedVars = Record<string, string>;

const quoteLiteral = (v: string) => `'${v.replace(/'/g, "''")}'`;

/** Grafana's variable formats that make sense in SQL; anything else fails the test loudly. */
function applyFormat(format: string, value: string | string[]): string {
  const values = Array.isArray(value) ? value : [value];
  switch (format) {
    case 'singlequote':
      return values.map((v) => `'${v.replace(/'/g, "\\'")}'`).join(',');
    case 'doublequote':
      return values.map((v) => `"${v.replace(/"/g, '\\"')}"`).join(',');
    case 'sqlstring':
      return values.map(quoteLiteral).join(',');
    case 'csv':
      return values.join(',');
    case 'raw':
      return Array.isArray(value) ? values.join(',') : value;
    default:
      throw new Error(`variable format "${format}" is not supported by this expander`);
  }
}

/** SqlDatasource.interpolateVariable: the default when the query gives no format. */
function sqlDefaultFormat(variable: VariableState | undefined, value: string | string[]): string {
  if (Array.isArray(value)) return value.map(quoteLiteral).join(',');
  if (variable && (variable.multi || variable.includeAll)) return quoteLiteral(value);
  return value.replace(/'/g, "''");
}

// templateSrv's variable syntax: $name, [[name]] / [[name:format]], ${name} / ${name:format}.
const VARIABLE_PATTERN = /\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?:\.([^:^}]+))?(?::([^}]+))?\}/g;

export interface FrontendContext {
  range: TimeRange;
  interval: Interval;
  variables: VariableState[];
  scoped?: ScopedVars;
}

/** Step 1: the frontend's template variable replacement. Unknown names are left as they are. */
export function interpolateVariables(sql: string, ctx: FrontendContext): string {
  const builtins: Record<string, string> = {
    __interval: ctx.interval.text,
    __interval_ms: String(ctx.interval.ms),
    __from: String(ctx.range.from),
    __to: String(ctx.range.to),
    __range_ms: String(ctx.range.to - ctx.range.from),
    __range_s: String(Math.round((ctx.range.to - ctx.range.from) / 1000)),
  };
  return sql.replace(
    VARIABLE_PATTERN,
    (match, plain, bracket, bracketFormat, braced, _field, bracedFormat) => {
      const name: string = plain ?? bracket ?? braced;
      const format: string | undefined = bracketFormat ?? bracedFormat;
      if (name in builtins) {
        if (format) throw new Error(`format ${format} on built-in ${name} is not supported by this expander`);
        return builtins[name]!;
      }
      const variable = ctx.variables.find((v) => v.name === name);
      if (!variable) return match;
      const scoped = ctx.scoped?.[name];
      let value: string | string[];
      if (scoped !== undefined) value = scoped;
      else {
        const selected = variable.current.includes('$__all') ? variable.options : variable.current;
        value = variable.multi || variable.current.includes('$__all') ? selected : selected[0]!;
      }
      return format ? applyFormat(format, value) : sqlDefaultFormat(variable, value);
    },
  );
}

/** gtime.FormatInterval (grafana-plugin-sdk-go): the backend's text for $__interval. */
function goFormatInterval(ms: number): string {
  if (ms >= MS.y) return `${Math.floor(ms / MS.y)}y`;
  if (ms >= MS.d) return `${Math.floor(ms / MS.d)}d`;
  if (ms >= MS.h) return `${Math.floor(ms / MS.h)}h`;
  if (ms >= MS.m) return `${Math.floor(ms / MS.m)}m`;
  if (ms >= MS.s) return `${Math.floor(ms / MS.s)}s`;
  if (ms >= 1) return `${Math.floor(ms)}ms`;
  return '1ms';
}

/** gtime.ParseInterval for $__timeGroup's second argument ("5m", "1h", "$__interval" already expanded). */
function parseGoInterval(text: string): number {
  return intervalToMs(text.replace(/^'|'$/g, ''));
}

/** Step 2: the backend's global substitutions and the PostgreSQL datasource's macros. */
export function expandBackendMacros(sql: string, range: TimeRange, interval: Interval): string {
  let out = sql
    .replaceAll('$__interval_ms', String(interval.ms))
    .replaceAll('$__interval', goFormatInterval(interval.ms))
    .replaceAll('$__unixEpochFrom()', String(Math.floor(range.from / 1000)))
    .replaceAll('$__unixEpochTo()', String(Math.floor(range.to / 1000)));
  const from = goRfc3339Nano(range.from);
  const to = goRfc3339Nano(range.to);
  const macro = /\$([_a-zA-Z0-9]+)\(([^)]*)\)/g;
  out = out.replace(macro, (whole, name: string, rawArgs: string, offset: number, full: string) => {
    const args = rawArgs.split(',').map((a) => a.trim());
    // Grafana's pre-5.3 compatibility: $__timeGroup(...) directly followed by ',' gets an alias.
    const effective =
      name === '__timeGroup' && full[offset + whole.length] === ',' ? '__timeGroupAlias' : name;
    const needColumn = () => {
      if (!args[0]) throw new Error(`missing time column argument for macro ${name}`);
      return args[0];
    };
    const timeGroup = () => {
      if (args.length < 2) throw new Error(`macro ${name} needs time column and interval`);
      const seconds = parseGoInterval(args[1]!) / 1000;
      return `floor(extract(epoch from ${args[0]})/${seconds})*${seconds}`;
    };
    switch (effective) {
      case '__time':
        return `${needColumn()} AS "time"`;
      case '__timeEpoch':
        return `extract(epoch from ${needColumn()}) as "time"`;
      case '__timeFilter':
        return `${needColumn()} BETWEEN '${from}' AND '${to}'`;
      case '__timeFrom':
        return `'${from}'`;
      case '__timeTo':
        return `'${to}'`;
      case '__timeGroup':
        return timeGroup();
      case '__timeGroupAlias':
        return `${timeGroup()} AS "time"`;
      case '__unixEpochFilter': {
        const col = needColumn();
        return `${col} >= ${Math.floor(range.from / 1000)} AND ${col} <= ${Math.floor(range.to / 1000)}`;
      }
      default:
        throw new Error(`unknown macro "${name}"`);
    }
  });
  return out;
}

/** Both steps, in Grafana's order. */
export function expandPanelSql(sql: string, ctx: FrontendContext): string {
  return expandBackendMacros(interpolateVariables(sql, ctx), ctx.range, ctx.interval);
}
