/**
 * How persistent and how timely a sequence of written regimes is. Samples are read per symbol in
 * time order; two samples are consecutive only when they are exactly one stride apart, so a skipped
 * instant (a gap in the data) never counts as a switch nor bridges a segment.
 */

export interface SampleClock {
  /** As-of instant of each sample (ms), ascending within a symbol. */
  asOf: ArrayLike<number>;
  /** Symbol index of each sample; a symbol's samples are contiguous. */
  symbolIndex: ArrayLike<number>;
  strideMs: number;
}

const DAY_MS = 86_400_000;

function consecutive(clock: SampleClock, i: number): boolean {
  return (
    i > 0 &&
    clock.symbolIndex[i] === clock.symbolIndex[i - 1] &&
    clock.asOf[i]! - clock.asOf[i - 1]! === clock.strideMs
  );
}

/** Changes of the regime between consecutive instants of one symbol, per symbol-day of samples. */
export function switchesPerDay(clock: SampleClock, regimes: ArrayLike<number>): number {
  let switches = 0;
  for (let i = 1; i < regimes.length; i++)
    if (consecutive(clock, i) && regimes[i] !== regimes[i - 1]) switches++;
  const days = (regimes.length * clock.strideMs) / DAY_MS;
  return days > 0 ? switches / days : 0;
}

/** Mean length of the runs of one regime over consecutive instants, in minutes (runs end at gaps too). */
export function meanRunMinutes(clock: SampleClock, regimes: ArrayLike<number>): number {
  let runs = 0;
  for (let i = 0; i < regimes.length; i++)
    if (!consecutive(clock, i) || regimes[i] !== regimes[i - 1]) runs++;
  return runs > 0 ? (regimes.length * clock.strideMs) / 60_000 / runs : 0;
}

export interface DetectionDelay {
  /** Label switches seen (a change of the label between consecutive instants). */
  switches: number;
  /** Share of them at which the classifier said the new regime before the new segment ended. */
  detectedShare: number;
  /**
   * Median minutes from a label switch to the first instant in the new segment at which the
   * classifier says the new regime; a switch never detected counts as infinitely late, so this is
   * null when half or more are missed (or there are no switches).
   */
  medianMinutes: number | null;
}

export function detectionDelay(
  clock: SampleClock,
  labels: ArrayLike<number>,
  predicted: ArrayLike<number>,
): DetectionDelay {
  const delays: number[] = [];
  let switches = 0;
  for (let i = 1; i < labels.length; i++) {
    if (!consecutive(clock, i) || labels[i] === labels[i - 1]) continue;
    switches++;
    const regime = labels[i];
    for (let j = i; j < labels.length && labels[j] === regime && (j === i || consecutive(clock, j)); j++) {
      if (predicted[j] === regime) {
        delays.push((clock.asOf[j]! - clock.asOf[i]!) / 60_000);
        break;
      }
    }
  }
  const detected = delays.length;
  delays.sort((a, b) => a - b);
  // Misses sort after every detection, so the median exists only while detections are the majority.
  let median: number | null = null;
  if (detected * 2 > switches) {
    median =
      switches % 2 === 1
        ? delays[(switches - 1) / 2]!
        : (delays[switches / 2 - 1]! + delays[switches / 2]!) / 2;
  }
  return {
    switches,
    detectedShare: switches > 0 ? detected / switches : 0,
    medianMinutes: median,
  };
}
