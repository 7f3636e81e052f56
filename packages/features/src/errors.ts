export type FeatureErrorCode = 'insufficient_history' | 'gap' | 'unsorted' | 'invalid_candle';

export interface FeatureErrorDetails {
  interval?: string;
  /** Candles the window needs (insufficient_history). */
  needed?: number;
  /** Usable candles found (insufficient_history). */
  got?: number;
  /** Open times of missing candles inside the needed range (gap); at most MAX_LISTED_MISSING listed. */
  missing?: number[];
  /** How many candles are missing in the needed range (gap), even when the list is cut short. */
  missingCount?: number;
}

/** Listing every missing open time of a long outage would make a useless, huge message. */
export const MAX_LISTED_MISSING = 20;

/** Why a feature window cannot be computed. Callers branch on `code`; the message is for humans. */
export class FeatureError extends Error {
  readonly code: FeatureErrorCode;
  readonly interval: string | undefined;
  readonly needed: number | undefined;
  readonly got: number | undefined;
  readonly missing: number[] | undefined;
  readonly missingCount: number | undefined;

  constructor(code: FeatureErrorCode, message: string, details: FeatureErrorDetails = {}) {
    super(message);
    this.name = 'FeatureError';
    this.code = code;
    this.interval = details.interval;
    this.needed = details.needed;
    this.got = details.got;
    this.missing = details.missing;
    this.missingCount = details.missingCount;
  }
}
