import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';

/** The parts of Grafana's dashboard JSON model the tests read. */
export interface DatasourceRef {
  type?: string;
  uid?: string;
}

export interface Target {
  refId: string;
  datasource?: DatasourceRef;
  format?: 'table' | 'time_series';
  rawQuery?: boolean;
  rawSql?: string;
}

export interface Panel {
  id: number;
  type: string;
  title: string;
  description?: string;
  datasource?: DatasourceRef;
  gridPos: { x: number; y: number; w: number; h: number };
  interval?: string;
  maxDataPoints?: number;
  repeat?: string;
  collapsed?: boolean;
  targets?: Target[];
  panels?: Panel[];
}

export interface TemplateVariable {
  name: string;
  type: string;
  datasource?: DatasourceRef;
  query: string | { rawSql?: string };
  multi?: boolean;
  includeAll?: boolean;
  allValue?: string | null;
  /** Options the variable query returns are kept only when they match (Grafana's /regex/). */
  regex?: string;
  /** false: only the listed options, no value typed in. */
  allowCustomValue?: boolean;
}

export interface Dashboard {
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: TemplateVariable[] };
}

export const repoRoot = resolve(import.meta.dirname, '../../..');
export const dashboardsDir = join(repoRoot, 'grafana/dashboards');

export function loadDashboards(): { file: string; dashboard: Dashboard }[] {
  return readdirSync(dashboardsDir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => ({
      file,
      dashboard: JSON.parse(readFileSync(join(dashboardsDir, file), 'utf8')) as Dashboard,
    }));
}

export interface ProvisionedDatasource {
  name: string;
  uid: string;
  type: string;
  url: string;
  user: string;
  jsonData: { database?: string; sslmode?: string; timeInterval?: string };
  secureJsonData: { password?: string };
}

export function loadDatasources(): ProvisionedDatasource[] {
  const text = readFileSync(join(repoRoot, 'grafana/provisioning/datasources/questdb.yaml'), 'utf8');
  return (parseYaml(text) as { datasources: ProvisionedDatasource[] }).datasources;
}

/** A panel with the variable its enclosing row or itself repeats over, if any. */
export interface PlacedPanel {
  panel: Panel;
  repeatVariable?: string;
}

/**
 * Panels in layout order, rows removed. A non-collapsed row owns the panels after it (until the
 * next row) in the flat list; a collapsed row carries its panels inside. Rows and panels with
 * `repeat` are instantiated once per selected value of that variable.
 */
export function placedPanels(dashboard: Dashboard): PlacedPanel[] {
  const out: PlacedPanel[] = [];
  let rowRepeat: string | undefined;
  for (const panel of dashboard.panels) {
    if (panel.type === 'row') {
      rowRepeat = panel.repeat || undefined;
      for (const inner of panel.panels ?? [])
        out.push({ panel: inner, repeatVariable: rowRepeat ?? inner.repeat });
      continue;
    }
    out.push({ panel, repeatVariable: rowRepeat ?? (panel.repeat || undefined) });
  }
  return out;
}

export function variableSql(variable: TemplateVariable): string {
  const sql = typeof variable.query === 'string' ? variable.query : variable.query.rawSql;
  if (!sql) throw new Error(`variable ${variable.name} has no SQL`);
  return sql;
}
