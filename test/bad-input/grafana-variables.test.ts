import { hasSharedKlines } from '@regime/candles/files';
import { QuestDb, questDbConfigFromEnv, type TableNames, uniqueTableNames } from '@regime/questdb';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Dashboard, loadDashboards, loadDatasources, placedPanels } from '../src/grafana/dashboards.ts';
import { buildFixture } from '../src/grafana/fixture.ts';
import { runQuery } from '../src/grafana/frames.ts';
import {
  calculateInterval,
  expandPanelSql,
  type TimeRange,
  type VariableState,
} from '../src/grafana/macros.ts';

/**
 * Hostile values of the `symbol` variable (what `?var-symbol=...` in a dashboard URL puts there),
 * through every panel query of every dashboard, expanded as Grafana expands them and run against
 * the real QuestDB holding the dashboards' fixture. No value may get rows the same query does not
 * return for an unknown symbol, and every table keeps its rows.
 */

const dashboards = loadDashboards();
const datasource = loadDatasources()[0]!;
const RANGE: TimeRange = { from: Date.UTC(2025, 8, 1, 6), to: Date.UTC(2025, 8, 2, 18) };
/** A symbol no table holds: the result every hostile value must be no better than. */
const UNKNOWN = 'NOSUCHSYMBOL';

/** Each tries to leave the string literal (the issue's own payload first). */
const HOSTILE: { name: string; value: string }[] = [
  { name: 'backslash-quote, the issue payload', value: "a\\' OR 1=1 --" },
  { name: 'plain quote', value: "a' OR 1=1 --" },
  { name: 'closing the IN list', value: "BTCUSDT') OR ('1'='1" },
  { name: 'stacked DROP TABLE', value: "x'; DROP TABLE klines; --" },
  { name: 'UNION SELECT of another table', value: "x' UNION SELECT symbol FROM pipeline_events --" },
  { name: 'trailing backslash', value: 'BTCUSDT\\' },
  { name: 'newline then OR', value: "x'\nOR symbol IS NOT NULL --" },
  { name: 'double quotes and a comment opener', value: '"BTCUSDT"/*' },
  { name: 'a Grafana macro inside the value', value: "$__timeFrom() OR '1'='1" },
];

/** A query of model_registry and no other table. */
const readsOnlyRegistry = (sql: string) =>
  /\bmodel_registry\b/.test(sql) &&
  !/\b(klines|regime_predictions|pipeline_events|regime_outcomes|feature_drift|backtest_equity)\b/.test(sql);

function withTables(sql: string, tables: TableNames): string {
  const names: Record<string, string> = {
    klines: tables.klines,
    regime_predictions: tables.predictions,
    pipeline_events: tables.events,
  };
  return sql.replace(/\b(klines|regime_predictions|pipeline_events)\b/g, (name) => names[name]!);
}

/** Every query of every panel with `symbol` selected as `current` (repeated panels: each value). */
function expandAll(list: Dashboard[], current: string[], tables: TableNames) {
  const out: { where: string; sql: string }[] = [];
  for (const dashboard of list) {
    const variables: VariableState[] = dashboard.templating.list.map((v) => ({
      name: v.name,
      multi: v.multi ?? false,
      includeAll: v.includeAll ?? false,
      options: [],
      current,
    }));
    for (const { panel, repeatVariable } of placedPanels(dashboard)) {
      const scopes = repeatVariable ? current.map((value) => ({ [repeatVariable]: value })) : [undefined];
      const interval = calculateInterval(RANGE, 1000, panel.interval ?? datasource.jsonData.timeInterval);
      for (const scoped of scopes) {
        for (const target of panel.targets ?? []) {
          const sql = expandPanelSql(target.rawSql!, { range: RANGE, interval, variables, scoped });
          out.push({
            where: `${dashboard.title} / ${panel.title} / ${target.refId}`,
            sql: withTables(sql, tables),
          });
        }
      }
    }
  }
  return out;
}

describe('the symbol variable refuses what is not a symbol', () => {
  it('every dashboard variable keeps only well-shaped options (symbols: symbol-shaped) and takes no typed-in value', () => {
    for (const { dashboard } of dashboards) {
      for (const v of dashboard.templating.list) {
        if (v.name === 'symbol') expect(v.regex, `${dashboard.title} $${v.name}`).toBe('/^[A-Z0-9]{2,20}$/');
        expect(v.regex, `${dashboard.title} $${v.name}`).toMatch(/^\/\^.*\$\/$/);
        expect(v.allowCustomValue, `${dashboard.title} $${v.name}`).toBe(false);
        const regex = new RegExp(v.regex!.slice(1, -1));
        for (const { value } of HOSTILE) expect(regex.test(value), value).toBe(false);
        expect(regex.test('BTCUSDT')).toBe(true);
      }
    }
  });

  it('every panel quotes the variable with sqlstring (doubled quotes), never singlequote or raw', () => {
    for (const { dashboard } of dashboards) {
      for (const { panel } of placedPanels(dashboard)) {
        for (const target of panel.targets ?? []) {
          const uses = [...target.rawSql!.matchAll(/\$\{?symbol(?::(\w+))?\}?/g)].map((m) => m[1]);
          // Only a panel of model_registry alone may take no symbol: the registry is not per symbol.
          if (!readsOnlyRegistry(target.rawSql!)) expect(uses.length, `${panel.title}`).toBeGreaterThan(0);
          for (const format of uses) expect(format, `${panel.title}`).toBe('sqlstring');
          // Every other variable too (the backtest's run).
          for (const m of target.rawSql!.matchAll(/\$\{?(\w+)(?::(\w+))?\}?/g)) {
            if (m[1]!.startsWith('__')) continue;
            expect(m[2], `${panel.title} $${m[1]}`).toBe('sqlstring');
          }
        }
      }
    }
  });
});

describe.skipIf(!hasSharedKlines())('hostile symbol values against QuestDB', () => {
  const tables = uniqueTableNames('grafbad');
  let db: QuestDb;
  let client: pg.Client;
  let counts: Record<string, number>;

  const tableCounts = async () => {
    const out: Record<string, number> = {};
    for (const name of [tables.klines, tables.predictions, tables.events]) {
      const rows = await db.query<{ n: number }>(`SELECT count() n FROM ${name}`);
      out[name] = Number(rows[0]!.n);
    }
    return out;
  };

  /** Rows per query; a query QuestDB refuses returns no data to the panel (an error, not a leak). */
  const resultsOf = async (queries: { where: string; sql: string }[]) => {
    const out: { where: string; rows: string[] }[] = [];
    for (const { where, sql } of queries) {
      const rows = await runQuery(client, sql).then(
        // Ages are computed from now(): they differ between two runs of the same query.
        (frame) =>
          frame.rows.map((r) =>
            JSON.stringify(r.map((v, i) => (frame.columns[i]!.name.endsWith('_age_s') ? 'age' : v))),
          ),
        () => [],
      );
      out.push({ where, rows });
    }
    return out;
  };

  /** What leaks: queries that return, with `value`, a row (or more rows) than with an unknown symbol. */
  const leaks = async (list: Dashboard[], value: string, alongside: string[] = []) => {
    const hostile = await resultsOf(expandAll(list, [...alongside, value], tables));
    const baseline = await resultsOf(expandAll(list, [...alongside, UNKNOWN], tables));
    return hostile
      .filter(({ rows }, i) => {
        const allowed = new Set(baseline[i]!.rows);
        return rows.length > allowed.size || rows.some((row) => !allowed.has(row));
      })
      .map(({ where, rows }) => `${where}: ${rows.length} rows`);
  };

  beforeAll(async () => {
    const fixture = buildFixture();
    db = await QuestDb.connect(questDbConfigFromEnv(), tables);
    await db.ensureSchema();
    await db.writeKlines(fixture.klines);
    await db.writePredictions(fixture.predictions);
    await db.writeEvents(fixture.events);
    await db.waitForWal();
    client = new pg.Client({
      connectionString: process.env.GRAFANA_READER_PG_URL ?? questDbConfigFromEnv().pgUrl,
    });
    await client.connect();
    counts = await tableCounts();
  }, 120_000);

  afterAll(async () => {
    await client?.end();
    await db?.dropTables();
    await db?.close();
  });

  for (const { name, value } of HOSTILE) {
    it(`${name}: no panel returns more than for an unknown symbol, and nothing is dropped`, async () => {
      const list = dashboards.map((d) => d.dashboard);
      expect(await leaks(list, value)).toEqual([]);
      expect(await leaks(list, value, ['BTCUSDT'])).toEqual([]);
      expect(await tableCounts()).toEqual(counts);
    });
  }

  it('the same check catches the old singlequote formatting (the check can fail)', async () => {
    const old = dashboards.map(
      ({ dashboard }) =>
        JSON.parse(
          JSON.stringify(dashboard).replaceAll('symbol:sqlstring', 'symbol:singlequote'),
        ) as Dashboard,
    );
    const leaked = await leaks(old, HOSTILE[0]!.value);
    expect(leaked.length).toBeGreaterThan(0);
  });
});
