import { parseSymbol } from '@regime/candles';
import { readKlineFiles, sharedKlinesDir } from '@regime/candles/files';
import { DEFAULT_LABELER_PARAMS, SeriesLabeler, settledLabel, settleWindow } from '@regime/labeler';
import { Command, InvalidArgumentError } from 'commander';

/**
 * How close the scorer's realised regime (the settled label of T from its T-only window) is to the
 * label of T in labeler 2's segmentation of all the data (the training target), on the candle files.
 */

const day = (text: string) => {
  const ms = Date.parse(`${text}T00:00:00Z`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text) || !Number.isFinite(ms))
    throw new InvalidArgumentError('expected YYYY-MM-DD');
  return ms;
};
const positive = (text: string) => {
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0 || n % 5 !== 0)
    throw new InvalidArgumentError('expected a positive multiple of 5');
  return n;
};

const program = new Command('window-agreement')
  .description(
    "Compares the scorer's settled label of sampled official instants with labeler 2's label from all the data, " +
      'on the 5m candle files of ../shared (or --data). Exit code 2 on bad arguments.',
  )
  .requiredOption('--from <day>', 'first instant (YYYY-MM-DD, UTC)', day)
  .requiredOption('--to <day>', 'end, exclusive (YYYY-MM-DD, UTC)', day)
  .option('--symbols <list>', 'comma-separated pairs', 'BTCUSDT,ETHUSDT')
  .option('--every-minutes <n>', 'minutes between sampled instants (a multiple of 5)', positive, 425)
  .option('--data <dir>', 'klines folder in the ../shared layout', sharedKlinesDir())
  .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 2))
  .parse(process.argv);

const opts = program.opts<{
  from: number;
  to: number;
  symbols: string;
  everyMinutes: number;
  data: string;
}>();
if (!(opts.from < opts.to)) {
  console.error('--from must be before --to');
  process.exit(2);
}
const params = DEFAULT_LABELER_PARAMS;
console.log('| symbol | instants | compared | same label | agreement | window incomplete | ms per instant |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const symbol of opts.symbols.split(',').map((s) => parseSymbol(s.trim()))) {
  const candles = readKlineFiles(opts.data, symbol, '5m', {
    from: settleWindow(opts.from, params).fromOpenTime,
    to: settleWindow(opts.to, params).toOpenTime,
  });
  const full = new SeriesLabeler(candles, params);
  let instants = 0;
  let compared = 0;
  let same = 0;
  let incomplete = 0;
  const started = performance.now();
  for (let asOf = opts.from; asOf < opts.to; asOf += opts.everyMinutes * 60_000) {
    instants++;
    const settled = settledLabel(candles, asOf, params);
    if (settled.kind !== 'settled') {
      incomplete++;
      continue;
    }
    const labels = full.labelsAt(asOf);
    if (typeof labels === 'string') continue;
    compared++;
    if (labels.label === settled.regime) same++;
  }
  const ms = (performance.now() - started) / instants;
  console.log(
    `| ${symbol} | ${instants} | ${compared} | ${same} | ${((same / compared) * 100).toFixed(2)}% | ${incomplete} | ${ms.toFixed(1)} |`,
  );
}
