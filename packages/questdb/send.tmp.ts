import { createBuffer, createTransport, SenderOptions } from '@questdb/nodejs-client';
import { QuestDb, questDbConfigFromEnv, uniqueTableNames } from '/work/main/packages/questdb/src/index.ts';

const db = await QuestDb.connect(questDbConfigFromEnv(), uniqueTableNames('probe'));
await db.ensureSchema();
const options = await SenderOptions.fromConfig(
  'http::addr=127.0.0.1:9000;auto_flush=off;init_buf_size=4194304;max_buf_size=536870912;request_timeout=60000',
);
const b = createBuffer(options);
const tr = createTransport(options);
const N = Number(process.argv[2] ?? 500000),
  CH = Number(process.argv[3] ?? 50000),
  STEP = Number(process.argv[4] ?? 300000);
const bufs: Buffer[] = [];
let t0 = performance.now();
for (let i = 0; i < N; i++) {
  b.table(db.tables.klines)
    .symbol('symbol', 'BTCUSDT')
    .symbol('interval', '5m')
    .floatColumn('open', 42000.5 + i)
    .floatColumn('high', 42100.25 + i)
    .floatColumn('low', 41000.125)
    .floatColumn('close', 42050)
    .floatColumn('volume', 12.3456)
    .timestampColumn('close_time', 1577836800000 + i * STEP + 299999, 'ms')
    .booleanColumn('closed', true)
    .at(1577836800000 + i * STEP, 'ms');
  if (i % CH === CH - 1) bufs.push(b.toBufferNew()!);
}
console.log('build ms', Math.round(performance.now() - t0));
t0 = performance.now();
for (const buf of bufs) await tr.send(buf);
const sent = performance.now() - t0;
await db.waitForWal({ timeoutMs: 600000 });
console.log(
  `send ms ${Math.round(sent)} = ${Math.round((N / sent) * 1000)}/s; applied ms ${Math.round(performance.now() - t0)}`,
);
await db.dropTables();
await db.close();
