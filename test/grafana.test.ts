import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hasSharedKlines, sharedKlinesDir } from '@regime/candles/files';
import {
  BacktestEquityTable,
  driftSchema,
  FeatureDriftStore,
  type OutcomeRow,
  OutcomeStore,
  QuestDb,
  questDbConfigFromEnv,
  REGIME_IDS,
  registrySchema,
  type TableNames,
  uniqueTableNames,
  waitForTablesWal,
} from '@regime/questdb';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  type Dashboard,
  loadDashboards,
  loadDatasources,
  type Panel,
  placedPanels,
  repoRoot,
  variableSql,
} from './src/grafana/dashboards.ts';
import {
  buildFixture,
  FIXTURE_RUNS,
  FIXTURE_STRATEGIES,
  FIXTURE_SYMBOLS,
  type Fixture,
  UNLISTED_SYMBOL,
} from './src/grafana/fixture.ts';
import { type Frame, parseTimestamp, records, runQuery, shapeProblem } from './src/grafana/frames.ts';
import {
  DRIFT_THRESHOLDS,
  driftFixture,
  LIFECYCLE_VERSIONS,
  type RegistryFixtureRow,
  registryFixture,
  registryInserts,
} from './src/grafana/lifecycle-fixture.ts';
import {
  calculateInterval,
  expandBackendMacros,
  expandPanelSql,
  goRfc3339Nano,
  interpolateVariables,
  intervalToMs,
  type TimeRange,
  type VariableState,
} from './src/grafana/macros.ts';

/**
 * Every panel and variable query of grafana/dashboards, expanded the way Grafana's PostgreSQL
 * datasource expands it, run against the real QuestDB filled with real candles (../shared) and
 * fixture predictions and events: each must succeed and return what its panel draws. Some panels
 * are also checked value by value against the fixture.
 */

const dashboards = loadDashboards();
const datasource = loadDatasources()[0]!;
/** Grafana asks for about one point per pixel; a dashboard panel is around 1000 px wide. */
const RESOLUTION = 1000;

/** Columns of every table panel, in order: what the panel's overrides and readers rely on. */
const TABLE_COLUMNS: Record<string, string[]> = {
  'Current regime (official and live) at the end of the range': [
    'symbol',
    'official_regime',
    'official_confidence',
    'official_as_of',
    'live_regime',
    'live_confidence',
    'live_as_of',
  ],
  'Data freshness': [
    'symbol',
    'newest_candle_close',
    'candle_age_s',
    'newest_prediction',
    'prediction_age_s',
  ],
  'Official regime changes': ['time', 'symbol', 'from_regime', 'to_regime', 'confidence'],
  'Events in the range by service and kind': ['service', 'kind', 'events', 'items', 'last_seen'],
  'Latest pipeline events': ['time', 'service', 'kind', 'symbol', 'interval', 'count', 'detail'],
  '$symbol · confusion matrix': ['realised', ...REGIME_IDS, 'total'],
  '$symbol · detection delay': ['realised_switches', 'detected', 'median_delay_min'],
  '$symbol · scorer events': ['time', 'kind', 'symbol', 'detail'],
  'What each regime meant (last 30 days)': [
    'regime',
    'outcomes',
    'mean_vol_ratio',
    'mean_efficiency',
    'mean_return_4h',
  ],
  'Champion age (days)': ['champion', 'train_to', 'age_days'],
  'Each challenger against its champion (evaluation window)': [
    'time',
    'challenger',
    'champion',
    'decision',
    'challenger_macro_f1',
    'champion_macro_f1',
    'challenger_switches_per_day',
    'champion_switches_per_day',
    'challenger_ece',
    'champion_ece',
    'reason',
  ],
  'Registry timeline': [
    'time',
    'event',
    'model_version',
    'role',
    'trigger',
    'champion_version',
    'decision',
    'reason',
    'path',
  ],
  'Most drifted inputs in the range': [
    'symbol',
    'feature',
    'max_psi',
    'threshold',
    'max_psi_over_threshold',
    'last_computed',
  ],
  'Live agreement per model version (7 days up to the end of the range)': [
    'model_version',
    'outcomes',
    'agreement',
    'first_scored',
    'last_scored',
  ],
  '$symbol · predictions without an outcome': [
    'waiting_to_settle',
    'settled_without_outcome',
    'oldest_without_outcome',
  ],
};

const MODEL_HEALTH = 'regime-model-health';
const MODEL_LIFECYCLE = 'regime-model-lifecycle';
/** Panels that read only model_registry: the registry is not per symbol, so they take no variable. */
const readsOnlyRegistry = (sql: string) =>
  /\bmodel_registry\b/.test(sql) &&
  !/\b(klines|regime_predictions|pipeline_events|regime_outcomes|feature_drift)\b/.test(sql);
/** Values a crafted URL (var-symbol=...) could try; the Model health queries must stay harmless. */
const HOSTILE_SYMBOLS = ["O'X", "x') OR 1=1 --", "\\' OR symbol = 'BTCUSDT' --", "BTCUSDT' OR '1'='1"];

const MAIN_RANGE: TimeRange = { from: Date.UTC(2025, 8, 1, 6), to: Date.UTC(2025, 8, 2, 18, 30, 0, 250) };
const SCENARIOS: { name: string; range: TimeRange }[] = [
  { name: '36 h ending on a fractional second', range: MAIN_RANGE },
  {
    name: '1 h: the min interval wins',
    range: { from: Date.UTC(2025, 8, 2, 12), to: Date.UTC(2025, 8, 2, 13) },
  },
  { name: '30 days: 30m buckets', range: { from: Date.UTC(2025, 7, 4), to: Date.UTC(2025, 8, 3) } },
];
const SELECTIONS: { name: string; current: string[] }[] = [
  { name: 'All', current: ['$__all'] },
  { name: 'ETHUSDT', current: ['ETHUSDT'] },
  { name: 'BTCUSDT + ETHUSDT', current: ['BTCUSDT', 'ETHUSDT'] },
];

function allPanels(): { dashboard: Dashboard; panel: Panel }[] {
  return dashboards.flatMap(({ dashboard }) =>
    placedPanels(dashboard).map(({ panel }) => ({ dashboard, panel })),
  );
}

interface AlertRule {
  uid: string;
  title: string;
  condition: string;
  noDataState: string;
  data: {
    refId: string;
    datasourceUid: string;
    relativeTimeRange?: { from: number; to: number };
    model: {
      rawSql?: string;
      format?: string;
      type?: string;
      expression?: string;
      conditions?: { evaluator: { type: string; params: number[] } }[];
    };
  }[];
}

/** A provisioning file as Grafana reads it: `$$` is its escape of a literal `$`; `$NAME`/`${NAME}` are environment variables. */
function loadProvisioning(file: string): { raw: string; parsed: unknown } {
  const raw = readFileSync(join(repoRoot, 'grafana/provisioning/alerting', file), 'utf8');
  const body = raw
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('#'))
    .join('\n');
  return { raw: body, parsed: parseYaml(body.replaceAll('$$', '\uE000')) };
}

/** Grafana's unescaping of a provisioned value: `$$` → `$`. */
const unescaped = (value: string) => value.replaceAll('\uE000', '$');

function alertRules(): AlertRule[] {
  const parsed = loadProvisioning('rules.yaml').parsed as { groups: { rules: AlertRule[] }[] };
  return parsed.groups.flatMap((g) => g.rules);
}

/** The QuestDB query of a rule (refId A), as the datasource receives it. */
function ruleSql(rule: AlertRule): string {
  return unescaped(rule.data.find((d) => d.refId === 'A')!.model.rawSql!);
}

describe('dashboards and provisioning (static)', () => {
  it('the provisioned datasource is the built-in PostgreSQL plugin pointed at QuestDB', () => {
    expect(datasource.type).toBe('grafana-postgresql-datasource');
    expect(datasource.url).toBe('questdb:8812');
    expect(datasource.jsonData.database).toBe('qdb');
    expect(datasource.jsonData.sslmode).toBe('disable');
    // The password comes from the environment, never from the repository.
    expect(datasource.secureJsonData.password).toMatch(/^\$\{[A-Z_]+\}$/);
  });

  it('every panel and variable queries that datasource with raw SQL naming a default table', () => {
    const problems: string[] = [];
    const tables =
      /\b(klines|regime_predictions|pipeline_events|backtest_equity|regime_outcomes|model_registry|feature_drift)\b/;
    for (const { dashboard, panel } of allPanels()) {
      const where = `${dashboard.title} / ${panel.title}`;
      if (panel.datasource?.uid !== datasource.uid || panel.datasource?.type !== datasource.type) {
        problems.push(`${where}: panel datasource ${JSON.stringify(panel.datasource)}`);
      }
      if (!panel.targets?.length) problems.push(`${where}: no query`);
      for (const t of panel.targets ?? []) {
        if (t.datasource?.uid !== datasource.uid) problems.push(`${where} ${t.refId}: target datasource`);
        if (!t.rawQuery || !t.rawSql) problems.push(`${where} ${t.refId}: not raw SQL`);
        if (t.format !== 'table' && t.format !== 'time_series')
          problems.push(`${where} ${t.refId}: format ${t.format}`);
        if (t.rawSql && !tables.test(t.rawSql))
          problems.push(`${where} ${t.refId}: names none of the tables`);
      }
      if (panel.type === 'table' && !TABLE_COLUMNS[panel.title])
        problems.push(`${where}: no expected columns here`);
    }
    for (const { dashboard } of dashboards) {
      for (const v of dashboard.templating.list) {
        if (v.datasource?.uid !== datasource.uid) problems.push(`${dashboard.title} $${v.name}: datasource`);
        expect(tables.test(variableSql(v))).toBe(true);
      }
    }
    expect(problems).toEqual([]);
    expect(new Set(dashboards.map((d) => d.dashboard.uid)).size).toBe(dashboards.length);
  });

  it('every panel has its own id and a place on the 24-column grid', () => {
    for (const { dashboard } of dashboards) {
      const panels = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
      expect(new Set(panels.map((p) => p.id)).size, dashboard.title).toBe(panels.length);
      for (const p of panels) {
        const { x, y, w, h } = p.gridPos;
        expect([x, y, w, h].every(Number.isInteger) && x >= 0 && y >= 0 && w > 0 && h > 0, p.title).toBe(
          true,
        );
        expect(x + w, p.title).toBeLessThanOrEqual(24);
      }
    }
  });

  it('every $__interval bucket is at least a second: QuestDB SAMPLE BY has no "ms" unit', () => {
    for (const { panel } of allPanels()) {
      if (!panel.targets?.some((t) => t.rawSql?.includes('$__interval'))) continue;
      const minInterval = panel.interval ?? datasource.jsonData.timeInterval;
      expect(minInterval, panel.title).toBeDefined();
      expect(intervalToMs(minInterval!), panel.title).toBeGreaterThanOrEqual(1000);
    }
  });

  it.each([MODEL_HEALTH, MODEL_LIFECYCLE])(
    '%s takes only symbol-shaped variable values, and quotes them the way QuestDB reads',
    (uid) => {
      const health = dashboards.find((d) => d.dashboard.uid === uid)!.dashboard;
      for (const v of health.templating.list) {
        expect(v.allowCustomValue, v.name).toBe(false);
        const match = /^\/(.*)\/$/.exec(v.regex ?? '');
        expect(match, `${v.name} regex`).not.toBeNull();
        const regex = new RegExp(match![1]!);
        expect(regex.test('BTCUSDT')).toBe(true);
        for (const hostile of HOSTILE_SYMBOLS) expect(regex.test(hostile), hostile).toBe(false);
      }
      for (const { panel } of placedPanels(health)) {
        for (const t of panel.targets ?? []) {
          // ${symbol:sqlstring} doubles a quote inside a value ('O''X'); QuestDB ignores backslash
          // escapes, so singlequote's 'O\'X' (and the default for a single value) would end the literal.
          const uses = t.rawSql!.match(/\$\{?\w+(:\w+)?\}?|\[\[\w+(:\w+)?\]\]/g) ?? [];
          const variables = uses.filter((u) => !u.startsWith('$__'));
          if (!readsOnlyRegistry(t.rawSql!)) expect(variables.length, panel.title).toBeGreaterThan(0);
          for (const u of variables) expect(u, panel.title).toBe('$' + '{symbol:sqlstring}');
        }
      }
    },
  );

  it('docs/GRAFANA.md describes every panel with its exact SQL', () => {
    const doc = readFileSync(join(repoRoot, 'docs/GRAFANA.md'), 'utf8');
    for (const { panel } of allPanels()) {
      expect(doc, panel.title).toContain(panel.title);
      for (const t of panel.targets ?? []) expect(doc, `${panel.title} ${t.refId}`).toContain(t.rawSql);
    }
  });
});

describe('alerting provisioning (static)', () => {
  it('sends every alert to one webhook whose URL comes from ALERT_WEBHOOK_URL', () => {
    const { parsed } = loadProvisioning('contact-points.yaml');
    const config = parsed as {
      contactPoints: { name: string; receivers: { type: string; settings: { url: string } }[] }[];
      policies: { receiver: string }[];
    };
    expect(config.contactPoints).toHaveLength(1);
    const [point] = config.contactPoints;
    expect(point!.receivers.map((r) => r.type)).toEqual(['webhook']);
    expect(point!.receivers[0]!.settings.url).toBe('$' + '{ALERT_WEBHOOK_URL}');
    expect(config.policies.map((p) => p.receiver)).toEqual([point!.name]);
  });

  it('has the four rules, each a numeric QuestDB query with epoch-cast time filters and a threshold', () => {
    const rules = alertRules();
    expect(rules.map((r) => r.uid).sort()).toEqual([
      'regime-candles-stale',
      'regime-input-drift-major',
      'regime-model-expired',
      'regime-retrain-failed',
    ]);
    // Every literal $ is escaped ($$): a single $ would be read as an environment variable.
    expect(loadProvisioning('rules.yaml').raw.replaceAll('$$', '')).not.toContain('$');
    for (const rule of rules) {
      const query = rule.data.find((d) => d.refId === 'A')!;
      expect(query.datasourceUid, rule.uid).toBe(datasource.uid);
      expect(query.model.format, rule.uid).toBe('time_series');
      expect(query.relativeTimeRange!.from, rule.uid).toBeGreaterThan(0);
      const sql = ruleSql(rule);
      // Grafana's alerting expands $__timeFilter/$__timeFrom/$__timeTo to nanosecond literals QuestDB refuses.
      expect(sql, rule.uid).not.toMatch(/\$__time(Filter|From|To)\b/);
      expect(sql, rule.uid).not.toMatch(/\$\{?[a-z]/i);
      const threshold = rule.data.find((d) => d.refId === rule.condition)!;
      expect(threshold.model.type, rule.uid).toBe('threshold');
      expect(threshold.model.conditions?.[0]?.evaluator.params, rule.uid).toHaveLength(1);
    }
  });

  it('docs/GRAFANA.md shows every rule with its exact SQL', () => {
    const doc = readFileSync(join(repoRoot, 'docs/GRAFANA.md'), 'utf8');
    for (const rule of alertRules()) {
      expect(doc, rule.uid).toContain(rule.title);
      expect(doc, rule.uid).toContain(ruleSql(rule));
    }
  });
});

describe('the macro expander agrees with Grafana', () => {
  const range = { from: Date.UTC(2017, 3, 21, 5, 1, 17), to: Date.UTC(2017, 3, 21, 5, 6, 17) };
  const interval = { ms: 300_000, text: '5m' };

  it('expands the PostgreSQL datasource macros like its documentation shows', () => {
    expect(expandBackendMacros('WHERE $__timeFilter(dateColumn)', range, interval)).toBe(
      "WHERE dateColumn BETWEEN '2017-04-21T05:01:17Z' AND '2017-04-21T05:06:17Z'",
    );
    expect(expandBackendMacros('$__timeFrom() / $__timeTo()', range, interval)).toBe(
      "'2017-04-21T05:01:17Z' / '2017-04-21T05:06:17Z'",
    );
    expect(expandBackendMacros("GROUP BY $__timeGroup(dateColumn,'5m')", range, interval)).toBe(
      'GROUP BY floor(extract(epoch from dateColumn)/300)*300',
    );
    expect(expandBackendMacros('SELECT $__timeGroup(dateColumn,5m), v', range, interval)).toBe(
      'SELECT floor(extract(epoch from dateColumn)/300)*300 AS "time", v',
    );
    expect(expandBackendMacros('SAMPLE BY $__interval -- $__interval_ms', range, interval)).toBe(
      'SAMPLE BY 5m -- 300000',
    );
    expect(() => expandBackendMacros('$__nope(ts)', range, interval)).toThrow(/unknown macro/);
  });

  it('formats instants as Go RFC3339Nano and picks Grafana intervals', () => {
    expect(goRfc3339Nano(Date.UTC(2025, 8, 2, 18, 30, 0, 250))).toBe('2025-09-02T18:30:00.25Z');
    expect(goRfc3339Nano(Date.UTC(2025, 8, 2))).toBe('2025-09-02T00:00:00Z');
    const day = { from: 0, to: 86_400_000 };
    expect(calculateInterval(day, 1000)).toEqual({ ms: 60_000, text: '1m' });
    expect(calculateInterval(day, 1000, '5m')).toEqual({ ms: 300_000, text: '5m' });
    expect(calculateInterval({ from: 0, to: 30 * 86_400_000 }, 1000)).toEqual({ ms: 1_800_000, text: '30m' });
    expect(calculateInterval({ from: 0, to: 3_600_000 }, 1000)).toEqual({ ms: 5000, text: '5s' });
  });

  it('interpolates single- and multi-value variables like the frontend', () => {
    const symbol: VariableState = {
      name: 'symbol',
      multi: true,
      includeAll: true,
      options: ['BTCUSDT', 'ETHUSDT'],
      current: ['$__all'],
    };
    const ctx = { range, interval, variables: [symbol] };
    // Grafana's ${name:format} syntax, spelled without a JS template literal.
    const quoted = '$' + '{symbol:singlequote}';
    expect(interpolateVariables(`IN (${quoted})`, ctx)).toBe("IN ('BTCUSDT','ETHUSDT')");
    expect(interpolateVariables('IN ($symbol)', ctx)).toBe("IN ('BTCUSDT','ETHUSDT')");
    expect(
      interpolateVariables(`= ${quoted} $__timeFilter(ts)`, {
        ...ctx,
        scoped: { symbol: 'ETHUSDT' },
      }),
    ).toBe("= 'ETHUSDT' $__timeFilter(ts)");
    expect(
      interpolateVariables(`IN (${quoted})`, {
        ...ctx,
        variables: [{ ...symbol, current: ["O'X"] }],
      }),
    ).toBe("IN ('O\\'X')");
  });
});

/** The test's own backtest_equity table, named like the other three. */
function equityTable(tables: TableNames): string {
  return tables.klines.replace(/^klines_/, 'backtest_equity_');
}

/** The test's own model_registry and feature_drift tables, named like the other three. */
function lifecycleTables(tables: TableNames): { registry: string; drift: string } {
  return {
    registry: tables.klines.replace(/^klines_/, 'model_registry_'),
    drift: tables.klines.replace(/^klines_/, 'feature_drift_'),
  };
}

function withTables(sql: string, tables: TableNames & { outcomes: string }): string {
  const names: Record<string, string> = {
    klines: tables.klines,
    regime_predictions: tables.predictions,
    pipeline_events: tables.events,
    backtest_equity: equityTable(tables),
    regime_outcomes: tables.outcomes,
    model_registry: lifecycleTables(tables).registry,
    feature_drift: lifecycleTables(tables).drift,
  };
  return sql.replace(
    /\b(klines|regime_predictions|pipeline_events|backtest_equity|regime_outcomes|model_registry|feature_drift)\b/g,
    (name) => names[name]!,
  );
}

/** The backtest run variable: one run at a time, chosen from the runs in the table (no custom value). */
const RUN_VARIABLE = 'run';

if (!hasSharedKlines()) {
  console.warn(
    `Grafana query test skipped: no candle files at ${sharedKlinesDir()} (see ../shared/README.md)`,
  );
}

describe.skipIf(!hasSharedKlines())('dashboard queries against QuestDB', () => {
  const base = uniqueTableNames('graf');
  const tables = { ...base, outcomes: `regime_outcomes_${base.klines.slice('klines_'.length)}` };
  let db: QuestDb;
  let equity: BacktestEquityTable;
  let outcomes: OutcomeStore;
  let drift: FeatureDriftStore;
  let registryRows: RegistryFixtureRow[];
  let client: pg.Client;
  let fixture: Fixture;
  let symbolOptions: string[] = [];
  let runOptions: string[] = [];

  beforeAll(async () => {
    fixture = buildFixture();
    const config = questDbConfigFromEnv();
    db = await QuestDb.connect(config, tables);
    await db.ensureSchema();
    await db.writeKlines(fixture.klines);
    await db.writePredictions(fixture.predictions);
    await db.writeEvents(fixture.events);
    outcomes = await OutcomeStore.open(config, db, tables.outcomes);
    await outcomes.ensureSchema();
    await outcomes.write(fixture.outcomes);
    await db.waitForWal();
    equity = await BacktestEquityTable.connect(config, equityTable(tables));
    await equity.write(fixture.equity);
    await equity.waitForWal();
    await outcomes.waitForWal();
    // The model lifecycle's tables, from their DDL in @regime/questdb.
    const lifecycle = lifecycleTables(tables);
    await db.query(registrySchema(lifecycle.registry));
    registryRows = registryFixture();
    for (const insert of registryInserts(lifecycle.registry, registryRows)) await db.query(insert);
    drift = await FeatureDriftStore.open(config, db, lifecycle.drift);
    await db.query(driftSchema(lifecycle.drift));
    await drift.write(driftFixture());
    await drift.waitForWal();
    await waitForTablesWal((sql, params) => db.query(sql, params), [lifecycle.registry]);
    // Grafana reads as QuestDB's read-only user; GRAFANA_READER_PG_URL runs the dashboards as one.
    client = new pg.Client({ connectionString: process.env.GRAFANA_READER_PG_URL ?? config.pgUrl });
    await client.connect();
    const variable = dashboards[0]!.dashboard.templating.list[0]!;
    symbolOptions = (await runQuery(client, withTables(variableSql(variable), tables))).rows.map(
      (r) => r[0]!,
    );
    const runVariable = dashboards
      .flatMap(({ dashboard }) => dashboard.templating.list)
      .find((v) => v.name === RUN_VARIABLE)!;
    runOptions = (await runQuery(client, withTables(variableSql(runVariable), tables))).rows.map(
      (r) => r[0]!,
    );
  }, 120_000);

  afterAll(async () => {
    await client?.end();
    await outcomes?.drop();
    await outcomes?.close();
    await drift?.drop();
    await drift?.close();
    await db?.query(`DROP TABLE IF EXISTS ${lifecycleTables(tables).registry}`);
    await db?.dropTables();
    await db?.close();
    await equity?.drop();
    await equity?.close();
  });

  /** Expands and runs every query of every dashboard for one range and one selection. */
  async function runAll(range: TimeRange, current: string[], only?: string) {
    const results: { where: string; panel: Panel; format?: string; frame: Frame }[] = [];
    const problems: string[] = [];
    for (const { dashboard } of dashboards) {
      if (only && dashboard.uid !== only) continue;
      const variables: VariableState[] = dashboard.templating.list.map((v) =>
        v.name === RUN_VARIABLE
          ? { name: v.name, multi: false, includeAll: false, options: runOptions, current: [runOptions[0]!] }
          : {
              name: v.name,
              multi: v.multi ?? false,
              includeAll: v.includeAll ?? false,
              options: symbolOptions,
              current,
            },
      );
      const selected = current.includes('$__all') ? symbolOptions : current;
      for (const { panel, repeatVariable } of placedPanels(dashboard)) {
        const scopes = repeatVariable ? selected.map((value) => ({ [repeatVariable]: value })) : [undefined];
        const interval = calculateInterval(
          range,
          RESOLUTION,
          panel.interval ?? datasource.jsonData.timeInterval,
        );
        for (const scoped of scopes) {
          for (const target of panel.targets ?? []) {
            const where = `${dashboard.title} / ${panel.title}${scoped ? ` [${Object.values(scoped)}]` : ''} / ${target.refId}`;
            const sql = withTables(
              expandPanelSql(target.rawSql!, { range, interval, variables, scoped }),
              tables,
            );
            try {
              const frame = await runQuery(client, sql);
              const problem = shapeProblem(panel.type, target.format, frame, TABLE_COLUMNS[panel.title]);
              if (problem) problems.push(`${where}: ${problem}`);
              results.push({ where, panel, format: target.format, frame });
            } catch (error) {
              problems.push(`${where}: ${(error as Error).message}\n${sql}`);
            }
          }
        }
      }
    }
    return { results, problems };
  }

  it('the run variable offers exactly the runs in backtest_equity, and no custom value', () => {
    expect(runOptions).toEqual([...FIXTURE_RUNS].sort());
    const run = dashboards
      .flatMap(({ dashboard }) => dashboard.templating.list)
      .find((v) => v.name === RUN_VARIABLE);
    expect(run?.type).toBe('query');
    expect(run?.allowCustomValue).toBe(false);
  });

  it('the symbol variable offers the symbols that have candles', async () => {
    for (const { dashboard } of dashboards) {
      for (const v of dashboard.templating.list.filter((v) => v.name !== RUN_VARIABLE)) {
        const frame = await runQuery(client, withTables(variableSql(v), tables));
        expect(frame.rows.map((r) => r[0])).toEqual([...FIXTURE_SYMBOLS].sort());
      }
    }
  });

  for (const scenario of SCENARIOS) {
    for (const selection of SELECTIONS) {
      it(`every query runs and fits its panel: ${scenario.name}, ${selection.name}`, async () => {
        const { results, problems } = await runAll(scenario.range, selection.current);
        expect(problems).toEqual([]);
        const expectedRuns = dashboards
          .flatMap(({ dashboard }) => placedPanels(dashboard))
          .reduce((n, { panel, repeatVariable }) => {
            const copies = repeatVariable
              ? selection.current.includes('$__all')
                ? FIXTURE_SYMBOLS.length
                : selection.current.length
              : 1;
            return n + copies * (panel.targets?.length ?? 0);
          }, 0);
        expect(results).toHaveLength(expectedRuns);
        if (scenario.range === MAIN_RANGE) {
          const empty = results.filter((r) => r.frame.rows.length === 0).map((r) => r.where);
          expect(empty).toEqual([]);
        }
      });
    }
  }

  describe('Model health values over the main range, all symbols', () => {
    const range = MAIN_RANGE;
    const inRange = (ts: number) => ts >= range.from && ts <= range.to;
    const FIVE_MIN = 300_000;
    let results: { where: string; frame: Frame }[];

    beforeAll(async () => {
      const run = await runAll(range, ['$__all'], MODEL_HEALTH);
      expect(run.problems).toEqual([]);
      results = run.results;
    });

    const frameOf = (title: string, symbol: string, refId = 'A') => {
      const found = results.find(
        (r) => r.where === `Model health / $symbol · ${title} [${symbol}] / ${refId}`,
      );
      if (!found) throw new Error(`no result for ${title} [${symbol}]`);
      return found.frame;
    };
    const outcomesOf = (symbol: string) =>
      fixture.outcomes.filter((o) => o.symbol === symbol && inRange(o.ts)).sort((a, b) => a.ts - b.ts);

    /** Changes between consecutive (5 minutes apart) rows, per UTC day of the later row. */
    const switchesPerDay = (rows: { ts: number; regime: string }[]) => {
      const days = new Map<number, number>();
      for (let i = 0; i < rows.length; i++) {
        const day = Math.floor(rows[i]!.ts / 86_400_000) * 86_400_000;
        const switched =
          i > 0 && rows[i]!.regime !== rows[i - 1]!.regime && rows[i]!.ts - rows[i - 1]!.ts === FIVE_MIN;
        days.set(day, (days.get(day) ?? 0) + (switched ? 1 : 0));
      }
      return days;
    };

    for (const symbol of FIXTURE_SYMBOLS) {
      it(`${symbol}: the confusion matrix counts every scored prediction in the range`, () => {
        const expected = new Map<string, number[]>();
        for (const o of outcomesOf(symbol)) {
          const row = expected.get(o.realised) ?? new Array<number>(REGIME_IDS.length + 1).fill(0);
          row[REGIME_IDS.indexOf(o.predicted)]!++;
          row[REGIME_IDS.length]!++;
          expected.set(o.realised, row);
        }
        const got = new Map(
          frameOf('confusion matrix', symbol).rows.map((r) => [r[0]!, r.slice(1).map(Number)]),
        );
        expect(got).toEqual(expected);
      });

      it(`${symbol}: reliability buckets hold the mean probability of the predicted regime and its hit rate`, () => {
        const buckets = new Map<number, { n: number; conf: number; hits: number }>();
        for (const o of outcomesOf(symbol)) {
          const conf = o.probabilities[o.predicted];
          const bucket = Math.min(Math.floor(conf * 10), 9) / 10;
          const b = buckets.get(bucket) ?? { n: 0, conf: 0, hits: 0 };
          buckets.set(bucket, { n: b.n + 1, conf: b.conf + conf, hits: b.hits + (o.correct ? 1 : 0) });
        }
        const rows = records(frameOf('reliability (confidence vs hit rate)', symbol));
        expect(rows.map((r) => Number(r.bucket))).toEqual([...buckets.keys()].sort((a, b) => a - b));
        for (const r of rows) {
          const b = buckets.get(Number(r.bucket))!;
          expect(Number(r.outcomes)).toBe(b.n);
          expect(Number(r.mean_confidence)).toBeCloseTo(b.conf / b.n, 9);
          expect(Number(r.hit_rate)).toBeCloseTo(b.hits / b.n, 9);
        }
      });

      it(`${symbol}: switches per day of the written and of the realised regime`, () => {
        const written = fixture.predictions
          .filter((p) => p.symbol === symbol && p.mode === 'official' && inRange(p.ts))
          .sort((a, b) => a.ts - b.ts);
        const realised = outcomesOf(symbol).map((o) => ({ ts: o.ts, regime: o.realised }));
        for (const [refId, rows] of [
          ['A', written],
          ['B', realised],
        ] as const) {
          const got = new Map(
            frameOf('regime switches per day', symbol, refId).rows.map((r) => [
              parseTimestamp(r[0]!),
              Number(r[1]),
            ]),
          );
          expect(got).toEqual(switchesPerDay(rows));
        }
      });

      it(`${symbol}: detection delay follows each realised switch to the first instant predicting it`, () => {
        const rows = outcomesOf(symbol);
        const delays: number[] = [];
        let switches = 0;
        for (let i = 1; i < rows.length; i++) {
          const consecutive = (k: number) => rows[k]!.ts - rows[k - 1]!.ts === FIVE_MIN;
          if (!consecutive(i) || rows[i]!.realised === rows[i - 1]!.realised) continue;
          switches++;
          let delay = Number.POSITIVE_INFINITY;
          for (
            let j = i;
            j < rows.length && rows[j]!.realised === rows[i]!.realised && (j === i || consecutive(j));
            j++
          ) {
            if (rows[j]!.predicted === rows[j]!.realised) {
              delay = (rows[j]!.ts - rows[i]!.ts) / 60_000;
              break;
            }
          }
          delays.push(delay);
        }
        delays.sort((a, b) => a - b);
        const detected = delays.filter(Number.isFinite).length;
        const [got] = records(frameOf('detection delay', symbol));
        expect(switches).toBeGreaterThan(10);
        expect(Number(got!.realised_switches)).toBe(switches);
        expect(Number(got!.detected)).toBe(detected);
        expect(detected * 2).toBeGreaterThan(switches);
        // approx_percentile gives one of the middle values (5 significant digits), not their mean.
        const low = delays[Math.floor((switches - 1) / 2)]!;
        const high = delays[Math.floor(switches / 2)]!;
        const median = Number(got!.median_delay_min);
        expect(median).toBeGreaterThanOrEqual(low - 1e-3 * Math.max(1, low));
        expect(median).toBeLessThanOrEqual(high + 1e-3 * Math.max(1, high));
      });

      it(`${symbol}: predictions without an outcome are the official ones the scorer has not written`, () => {
        const scored = new Set(outcomesOf(symbol).map((o) => o.ts));
        const without = fixture.predictions.filter(
          (p) => p.symbol === symbol && p.mode === 'official' && inRange(p.ts) && !scored.has(p.ts),
        );
        const [got] = records(frameOf('predictions without an outcome', symbol));
        expect(without.length).toBeGreaterThan(10);
        // The fixture is in 2025: all of it settled long ago.
        expect(Number(got!.waiting_to_settle)).toBe(0);
        expect(Number(got!.settled_without_outcome)).toBe(without.length);
        expect(parseTimestamp(got!.oldest_without_outcome!)).toBe(Math.min(...without.map((p) => p.ts)));
      });

      it(`${symbol}: scorer events are the scorer's, of this symbol or of none, newest first`, () => {
        const expected = fixture.events
          .filter(
            (e) => e.service === 'scorer' && inRange(e.ts) && (e.symbol === undefined || e.symbol === symbol),
          )
          .sort((a, b) => b.ts - a.ts)
          .map((e) => `${e.ts} ${e.kind} ${e.symbol ?? null} ${e.detail}`);
        const got = records(frameOf('scorer events', symbol)).map(
          (r) => `${parseTimestamp(r.time!)} ${r.kind} ${r.symbol} ${r.detail}`,
        );
        expect(expected.length).toBeGreaterThan(5);
        expect(got).toEqual(expected.slice(0, 100));
      });

      it(`${symbol}: rolling accuracy and macro-F1 are those of the 7 days up to the last outcome of each hour`, () => {
        const all = fixture.outcomes.filter((o) => o.symbol === symbol).sort((a, b) => a.ts - b.ts);
        const rows = records(frameOf('rolling 7-day accuracy and macro-F1', symbol));
        const hours = new Set(outcomesOf(symbol).map((o) => Math.floor(o.ts / 3_600_000) * 3_600_000));
        expect(rows.map((r) => parseTimestamp(r.time!))).toEqual([...hours].sort((a, b) => a - b));
        for (const r of rows) {
          const hour = parseTimestamp(r.time!);
          const last = outcomesOf(symbol)
            .filter((o) => o.ts < hour + 3_600_000)
            .at(-1)!.ts;
          const window = all.filter(
            (o) => o.ts <= last && o.ts >= last - 7 * 86_400_000 && o.ts >= range.from - 7 * 86_400_000,
          );
          const accuracy = window.filter((o) => o.correct).length / window.length;
          const f1 = REGIME_IDS.map((id) => {
            const tp = window.filter((o) => o.correct && o.realised === id).length;
            const both =
              window.filter((o) => o.predicted === id).length +
              window.filter((o) => o.realised === id).length;
            return both > 0 ? (2 * tp) / both : 0;
          });
          expect(Number(r.accuracy_7d), r.time!).toBeCloseTo(accuracy, 9);
          expect(Number(r.macro_f1_7d), r.time!).toBeCloseTo(f1.reduce((a, b) => a + b, 0) / 6, 9);
        }
      });
    }

    it('what each regime meant: the means of the next 4 hours per written regime and over all, last 30 days', () => {
      const meaning = results.find((r) => r.where.includes('/ What each regime meant (last 30 days) /'));
      const scored = fixture.outcomes.filter(
        (o) => o.next4h !== null && o.ts > range.to - 30 * 86_400_000 && o.ts <= range.to,
      );
      expect(fixture.outcomes.filter((o) => o.next4h === null).length).toBeGreaterThan(10);
      const mean = (rows: typeof scored, f: (n: NonNullable<OutcomeRow['next4h']>) => number) =>
        rows.reduce((a, o) => a + f(o.next4h!), 0) / rows.length;
      const groups = [
        ...REGIME_IDS.map((id) => [id, scored.filter((o) => o.predicted === id)] as const),
        ['all instants', scored] as const,
      ].filter(([, rows]) => rows.length > 0);
      const got = records(meaning!.frame);
      expect(got.map((r) => r.regime)).toEqual(groups.map(([name]) => name));
      groups.forEach(([name, rows], k) => {
        const r = got[k]!;
        expect(Number(r.outcomes), name).toBe(rows.length);
        expect(Number(r.mean_vol_ratio), name).toBeCloseTo(
          mean(rows, (n) => n.volRatio),
          9,
        );
        expect(Number(r.mean_efficiency), name).toBeCloseTo(
          mean(rows, (n) => n.efficiency),
          9,
        );
        expect(Number(r.mean_return_4h), name).toBeCloseTo(
          mean(rows, (n) => n.return),
          12,
        );
      });
    });

    /**
     * A frame with its numbers to 12 significant digits: QuestDB's parallel aggregation sums in no
     * fixed order, so the same avg() over the same rows can differ in the last bits between runs.
     */
    const digits12 = (frame: unknown): unknown =>
      JSON.parse(JSON.stringify(frame), (_key, value) =>
        typeof value === 'string' && /^-?\d+\.\d+(e-?\d+)?$/.test(value)
          ? Number(value).toPrecision(12)
          : value,
      );

    it('hostile variable values run harmlessly: no error, no other symbol’s data', async () => {
      const hostile = await runAll(range, ['BTCUSDT', ...HOSTILE_SYMBOLS], MODEL_HEALTH);
      expect(hostile.problems).toEqual([]);
      // A panel over all selected symbols at once (not repeated per symbol) gets BTCUSDT and the
      // hostile values in one IN list: it must show exactly what BTCUSDT alone shows.
      const btcOnly = await runAll(range, ['BTCUSDT'], MODEL_HEALTH);
      for (const r of hostile.results.filter((r) => !r.where.includes(' ['))) {
        expect(digits12(r.frame), r.where).toEqual(
          digits12(btcOnly.results.find((b) => b.where === r.where)!.frame),
        );
      }
      const repeated = hostile.results.filter((r) => r.where.includes(' ['));
      const perSymbol = results.filter((r) => r.where.includes(' ['));
      for (const r of repeated) {
        const value = /\[(.*)\] \/ [A-Z]$/.exec(r.where)![1]!;
        if (value === 'BTCUSDT') {
          expect(digits12(r.frame), r.where).toEqual(
            digits12(results.find((n) => n.where === r.where)!.frame),
          );
          continue;
        }
        // The scorer events panel also lists events of no symbol (tick failures): never another symbol's.
        if (r.frame.columns.some((c) => c.name === 'symbol')) {
          expect(
            records(r.frame).every((row) => row.symbol === null),
            r.where,
          ).toBe(true);
          continue;
        }
        // No row, or one row of zeros and nulls (an aggregate over nothing).
        const cells = r.frame.rows.flat();
        expect(
          cells.every((c) => c === null || Number(c) === 0),
          `${r.where}: ${JSON.stringify(r.frame.rows)}`,
        ).toBe(true);
      }
      expect(repeated.length).toBe(
        (perSymbol.length / FIXTURE_SYMBOLS.length) * (1 + HOSTILE_SYMBOLS.length),
      );
    });
  });

  describe('Model lifecycle values over the main range', () => {
    const range = MAIN_RANGE;
    let frames: Map<string, Frame>;
    const frameOf = (title: string, refId = 'A') => {
      const found = [...frames].find(
        ([where]) => where.includes(`/ ${title}`) && where.endsWith(`/ ${refId}`),
      );
      if (!found) throw new Error(`no result for ${title}`);
      return found[1];
    };
    const HOUR = 3_600_000;
    const toSecond = (t: number) => Math.floor(t / 1000) * 1000;

    beforeAll(async () => {
      const run = await runAll(range, ['$__all'], MODEL_LIFECYCLE);
      expect(run.problems).toEqual([]);
      frames = new Map(run.results.map((r) => [r.where, r.frame]));
    });

    it('the registry timeline lists every registry event in the range, newest first', () => {
      const expected = registryRows
        .filter((r) => r.ts >= range.from && r.ts <= range.to)
        .sort((a, b) => b.ts - a.ts)
        .map((r) => `${r.ts} ${r.event} ${r.model_version}`);
      expect(expected.length).toBeGreaterThan(5);
      const got = records(frameOf('Registry timeline')).map(
        (r) => `${parseTimestamp(r.time!)} ${r.event} ${r.model_version}`,
      );
      expect(got).toEqual(expected);
    });

    it('champion age is the newest promoted model’s days since its training data ended, at the end of the range', () => {
      const [row] = records(frameOf('Champion age (days)'));
      const trained = registryRows.find(
        (r) => r.model_version === LIFECYCLE_VERSIONS.promoted && r.event === 'trained',
      )!;
      expect(row!.champion).toBe(LIFECYCLE_VERSIONS.promoted);
      expect(Number(row!.age_days)).toBeCloseTo((toSecond(range.to) - trained.train_to!) / 86_400_000, 9);
      expect(Number(row!.age_days)).toBeGreaterThan(21); // the panel is red
    });

    it('each decision shows the challenger’s and the champion’s evaluation metrics', () => {
      const decisions = registryRows
        .filter((r) => r.decision && r.ts >= range.from && r.ts <= range.to)
        .sort((a, b) => b.ts - a.ts);
      const got = records(frameOf('Each challenger against its champion (evaluation window)'));
      expect(got.map((r) => [r.challenger, r.champion, r.decision])).toEqual(
        decisions.map((d) => [d.model_version, d.champion_version, d.decision]),
      );
      expect(Number(got[1]!.challenger_macro_f1)).toBe(decisions[1]!.challenger_macro_f1);
      expect(Number(got[1]!.champion_ece)).toBe(decisions[1]!.champion_ece);
    });

    it('the heat map holds the largest PSI of the selected symbols per input and hour', () => {
      const rows = driftFixture().filter((r) => r.ts >= range.from && r.ts <= range.to);
      const expected = new Map<string, number>();
      for (const r of rows) {
        const key = `${r.ts} ${r.feature}`;
        expected.set(key, Math.max(expected.get(key) ?? 0, r.psi));
      }
      const got = new Map(
        records(frameOf('PSI heat map')).map((r) => [
          `${parseTimestamp(r.time!)} ${r.feature}`,
          Number(r.psi),
        ]),
      );
      expect(got).toEqual(expected);
    });

    it('the most drifted inputs are those closest to their threshold, BTCUSDT’s drifting input first', () => {
      const got = records(frameOf('Most drifted inputs in the range'));
      const drifting = driftFixture().filter(
        (r) => r.symbol === 'BTCUSDT' && r.feature === 'view_bars.net_atr' && r.ts <= range.to,
      );
      expect([got[0]!.symbol, got[0]!.feature]).toEqual(['BTCUSDT', 'view_bars.net_atr']);
      expect(Number(got[0]!.max_psi)).toBeCloseTo(Math.max(...drifting.map((r) => r.psi)), 12);
      expect(Number(got[0]!.threshold)).toBe(DRIFT_THRESHOLDS['view_bars.net_atr']);
      expect(Number(got[0]!.max_psi_over_threshold)).toBeGreaterThan(1);
      const ratios = got.map((r) => Number(r.max_psi_over_threshold));
      expect(ratios).toEqual([...ratios].sort((a, b) => b - a));
      expect(ratios.filter((r) => r > 1)).toHaveLength(1);
    });

    it('live agreement per model version counts the outcomes of the 7 days up to the end of the range', () => {
      const scored = fixture.outcomes.filter((o) => o.ts > range.to - 7 * 86_400_000 && o.ts <= range.to);
      const got = records(frameOf('Live agreement per model version (7 days up to the end of the range)'));
      const versions = [...new Set(scored.map((o) => o.modelVersion))];
      expect(got.map((r) => r.model_version).sort()).toEqual(versions.sort());
      for (const r of got) {
        const own = scored.filter((o) => o.modelVersion === r.model_version);
        expect(Number(r.outcomes)).toBe(own.length);
        expect(Number(r.agreement)).toBeCloseTo(own.filter((o) => o.correct).length / own.length, 12);
      }
      const series = records(frameOf('Live agreement (rolling 7 days)'));
      expect(series.length).toBeGreaterThan(10);
      const last = series[series.length - 1]!;
      const hour = parseTimestamp(last.time!);
      const lastOutcome = Math.max(...scored.filter((o) => o.ts < hour + HOUR).map((o) => o.ts));
      const window = fixture.outcomes.filter(
        (o) => o.ts >= lastOutcome - 7 * 86_400_000 && o.ts <= lastOutcome,
      );
      expect(Number(last.agreement_7d)).toBeCloseTo(
        window.filter((o) => o.correct).length / window.length,
        9,
      );
    });
  });

  describe('alert rules against QuestDB', () => {
    /** A rule's query over the `seconds` before `to`, as Grafana's alerting runs it; the last value per series. */
    const evaluate = async (rule: AlertRule, to: number) => {
      const a = rule.data.find((d) => d.refId === 'A')!;
      const range = { from: to - a.relativeTimeRange!.from * 1000, to };
      const sql = withTables(expandBackendMacros(ruleSql(rule), range, { ms: 60_000, text: '1m' }), tables);
      const frame = await runQuery(client, sql);
      expect(shapeProblem('alert', 'time_series', frame), rule.uid).toBeUndefined();
      const labels = frame.columns.map((c, i) => (c.kind === 'string' ? i : -1)).filter((i) => i >= 0);
      const value = frame.columns.findIndex((c) => c.kind === 'number');
      const last = new Map<string, number>();
      for (const row of frame.rows) last.set(labels.map((i) => row[i]).join(',') || '-', Number(row[value]));
      const threshold = rule.data.find((d) => d.refId === rule.condition)!.model.conditions![0]!.evaluator;
      const fires = (v: number) =>
        threshold.type === 'gt' ? v > threshold.params[0]! : v < threshold.params[0]!;
      return { last, firing: [...last].filter(([, v]) => fires(v)).map(([k]) => k) };
    };
    const rule = (uid: string) => alertRules().find((r) => r.uid === uid)!;

    it('drift: fires for the symbol whose newest hourly PSI passes its input’s threshold, not for one only above 0.25', async () => {
      const { last, firing } = await evaluate(rule('regime-input-drift-major'), MAIN_RANGE.to);
      const newestHour = Math.floor(MAIN_RANGE.to / 3_600_000) * 3_600_000;
      for (const symbol of FIXTURE_SYMBOLS) {
        const psis = driftFixture().filter((r) => r.symbol === symbol && r.ts === newestHour);
        expect(last.get(symbol), symbol).toBeCloseTo(Math.max(...psis.map((r) => r.psi / r.threshold)), 12);
      }
      // ETHUSDT has an input above 0.25 in that hour, below its own threshold: no alert.
      expect(driftFixture().some((r) => r.symbol === 'ETHUSDT' && r.ts === newestHour && r.psi > 0.25)).toBe(
        true,
      );
      expect(firing).toEqual(['BTCUSDT']);
      expect((await evaluate(rule('regime-input-drift-major'), Date.UTC(2025, 8, 1, 12))).firing).toEqual([]);
    });

    it('expiry: fires once the champion’s training data is over 21 days old, not before', async () => {
      const expired = await evaluate(rule('regime-model-expired'), MAIN_RANGE.to);
      const trained = registryRows.find(
        (r) => r.model_version === LIFECYCLE_VERSIONS.promoted && r.event === 'trained',
      )!;
      expect([...expired.last.values()][0]).toBeCloseTo(
        (Math.floor(MAIN_RANGE.to / 1000) * 1000 - trained.train_to!) / 86_400_000,
        9,
      );
      expect(expired.firing).toHaveLength(1);
      // On 2025-08-15 the first champion (data to 2025-08-01) was 14 days old.
      const fresh = await evaluate(rule('regime-model-expired'), Date.UTC(2025, 7, 15));
      expect([...fresh.last.values()]).toEqual([14]);
      expect(fresh.firing).toEqual([]);
    });

    it('stale candles: quiet while 5m candles close, firing per symbol an hour after the last one', async () => {
      const live = await evaluate(rule('regime-candles-stale'), MAIN_RANGE.to);
      expect([...live.last.keys()].sort()).toEqual([...FIXTURE_SYMBOLS].sort());
      expect(live.firing).toEqual([]);
      const newestClose = Math.max(
        ...fixture.klines.filter((k) => k.interval === '5m' && k.closed).map((k) => k.closeTime),
      );
      const later = await evaluate(rule('regime-candles-stale'), newestClose + 3_600_000);
      expect(later.firing.sort()).toEqual([...FIXTURE_SYMBOLS].sort());
      // An hour after the newest close (Binance's close_time is open + 5 min − 1 ms; the rule's instant is whole seconds).
      for (const minutes of later.last.values()) expect(minutes).toBeGreaterThan(59.9);
    });

    it('failed retrain: fires within 24 h of a failed row, no data otherwise', async () => {
      const failed = await evaluate(rule('regime-retrain-failed'), MAIN_RANGE.to);
      expect([...failed.last.values()]).toEqual([registryRows.filter((r) => r.event === 'failed').length]);
      expect(failed.firing).toHaveLength(1);
      const before = await evaluate(rule('regime-retrain-failed'), Date.UTC(2025, 8, 1, 12));
      expect(before.last.size).toBe(0);
      expect(rule('regime-retrain-failed').noDataState).toBe('OK');
    });
  });

  describe('values over the main range, all symbols', () => {
    let frames: Map<string, Frame>;
    const range = MAIN_RANGE;
    const inRange = (ts: number) => ts >= range.from && ts <= range.to;

    beforeAll(async () => {
      const { results } = await runAll(range, ['$__all']);
      frames = new Map(results.map((r) => [r.where, r.frame]));
    });

    const frameOf = (title: string, refId = 'A') => {
      const found = [...frames].find(
        ([where]) => where.includes(`/ ${title} /`) && where.endsWith(`/ ${refId}`),
      );
      if (!found) throw new Error(`no result for ${title}`);
      return found[1];
    };

    it('regime changes are exactly the official regime changes in the range', () => {
      const expected: string[] = [];
      for (const symbol of FIXTURE_SYMBOLS) {
        const rows = fixture.predictions
          .filter((p) => p.symbol === symbol && p.mode === 'official')
          .filter((p) => p.ts >= range.from - 86_400_000 && p.ts <= range.to)
          .sort((a, b) => a.ts - b.ts);
        for (let i = 1; i < rows.length; i++) {
          const [before, now] = [rows[i - 1]!, rows[i]!];
          if (now.regime !== before.regime && now.ts >= range.from) {
            expected.push(`${now.ts} ${symbol} ${before.regime}→${now.regime} ${now.confidence.toFixed(9)}`);
          }
        }
      }
      const got = records(frameOf('Official regime changes')).map(
        (r) =>
          `${parseTimestamp(r.time!)} ${r.symbol} ${r.from_regime}→${r.to_regime} ${Number(r.confidence).toFixed(9)}`,
      );
      expect(expected.length).toBeGreaterThan(10);
      expect([...got].sort()).toEqual([...expected].sort());
      // Newest first.
      const times = got.map((g) => Number(g.split(' ')[0]));
      expect(times).toEqual([...times].sort((a, b) => b - a));
    });

    it('freshness shows the newest closed candle and the newest prediction per symbol', () => {
      const rows = records(frameOf('Data freshness'));
      expect(rows.map((r) => r.symbol)).toEqual([...FIXTURE_SYMBOLS]);
      for (const r of rows) {
        const newestClose = Math.max(
          ...fixture.klines.filter((k) => k.symbol === r.symbol && k.closed).map((k) => k.closeTime),
        );
        const newestPrediction = Math.max(
          ...fixture.predictions.filter((p) => p.symbol === r.symbol).map((p) => p.ts),
        );
        expect(parseTimestamp(r.newest_candle_close!)).toBe(newestClose);
        expect(parseTimestamp(r.newest_prediction!)).toBe(newestPrediction);
        expect(Number(r.candle_age_s)).toBeCloseTo((Date.now() - newestClose) / 1000, -2);
        expect(Number(r.prediction_age_s)).toBeCloseTo((Date.now() - newestPrediction) / 1000, -2);
      }
    });

    it('official vs live shows the latest prediction of each mode up to the end of the range', () => {
      const rows = records(frameOf('Current regime (official and live) at the end of the range'));
      expect(rows.map((r) => r.symbol)).toEqual([...FIXTURE_SYMBOLS]);
      for (const r of rows) {
        for (const mode of ['official', 'live'] as const) {
          const latest = fixture.predictions
            .filter((p) => p.symbol === r.symbol && p.mode === mode && p.ts <= range.to)
            .reduce((a, b) => (b.ts > a.ts ? b : a));
          expect(r[`${mode}_regime`]).toBe(latest.regime);
          expect(parseTimestamp(r[`${mode}_as_of`]!)).toBe(latest.ts);
          expect(Number(r[`${mode}_confidence`])).toBeCloseTo(latest.confidence, 9);
        }
      }
    });

    it('candles per hour count every candle of each symbol and interval in its UTC hour', () => {
      const expected = new Map<string, number>();
      for (const k of fixture.klines.filter((k) => inRange(k.openTime))) {
        const key = `${Math.floor(k.openTime / 3_600_000) * 3_600_000} ${k.symbol} ${k.interval}`;
        expected.set(key, (expected.get(key) ?? 0) + 1);
      }
      const got = new Map(
        records(frameOf('Candles per hour by symbol and interval')).map((r) => [
          `${parseTimestamp(r.time!)} ${r.symbol} ${r.interval}`,
          Number(r.candles),
        ]),
      );
      expect(got).toEqual(expected);
      // A complete hour: 12 five-minute, 4 fifteen-minute and 1 hourly candle.
      expect(got.get(`${Date.UTC(2025, 8, 1, 12)} BTCUSDT 5m`)).toBe(12);
      expect(got.get(`${Date.UTC(2025, 8, 1, 12)} ETHUSDT 15m`)).toBe(4);
    });

    it('backtest equity shows the last equity of the selected run per strategy, never the other run', () => {
      const run = runOptions[0]!;
      for (const symbol of FIXTURE_SYMBOLS) {
        const frame = [...frames].find(
          ([w]) => w.includes('backtest equity') && w.includes(`[${symbol}]`),
        )![1];
        const got = records(frame);
        expect(new Set(got.map((r) => r.strategy))).toEqual(new Set(FIXTURE_STRATEGIES));
        for (const strategy of FIXTURE_STRATEGIES) {
          const expected = fixture.equity
            .filter((e) => e.run === run && e.symbol === symbol && e.strategy === strategy && inRange(e.ts))
            .reduce((a, b) => (b.ts > a.ts ? b : a));
          const last = got.filter((r) => r.strategy === strategy).at(-1)!;
          expect(Number(last.equity)).toBeCloseTo(expected.equity, 12);
        }
      }
    });

    it('the stacked probabilities of every bucket add up to 1', () => {
      for (const symbol of FIXTURE_SYMBOLS) {
        const frame = [...frames].find(
          ([w]) => w.includes('regime probabilities') && w.includes(`[${symbol}]`),
        )![1];
        expect(frame.rows.length).toBeGreaterThan(0);
        for (const row of frame.rows) {
          const sum = row.slice(1).reduce((a, v) => a + Number(v), 0);
          expect(sum).toBeCloseTo(1, 9);
        }
      }
    });

    it('event panels count the listed symbols and symbol-less events, never other symbols', () => {
      const listed = new Set<string>(FIXTURE_SYMBOLS);
      const kept = fixture.events.filter(
        (e) => inRange(e.ts) && (e.symbol === undefined || listed.has(e.symbol)),
      );
      const expected = new Map<string, { events: number; items: number; last: number }>();
      for (const e of kept) {
        const key = `${e.service} ${e.kind}`;
        const agg = expected.get(key) ?? { events: 0, items: 0, last: 0 };
        expected.set(key, {
          events: agg.events + 1,
          items: agg.items + e.count,
          last: Math.max(agg.last, e.ts),
        });
      }
      const got = new Map(
        records(frameOf('Events in the range by service and kind')).map((r) => [
          `${r.service} ${r.kind}`,
          { events: Number(r.events), items: Number(r.items), last: parseTimestamp(r.last_seen!) },
        ]),
      );
      expect(got).toEqual(expected);
      const latest = records(frameOf('Latest pipeline events'));
      expect(latest.some((r) => r.symbol === UNLISTED_SYMBOL)).toBe(false);
      expect(latest.some((r) => r.symbol === null)).toBe(true);
      expect(latest).toHaveLength(Math.min(200, kept.length));
    });
  });
});
