import {
  createBuffer,
  createTransport,
  type SenderBuffer,
  SenderOptions,
  type SenderTransport,
} from '@questdb/nodejs-client';

/** Rows per HTTP request: one request = one QuestDB transaction. Tuned with bench/ingest.ts. */
export const DEFAULT_ROWS_PER_REQUEST = 25_000;

/**
 * ILP over HTTP through @questdb/nodejs-client's HTTP transport: each `send` resolves only when QuestDB
 * has acknowledged the request (HTTP 204), i.e. the rows are durably in the WAL; the transport retries
 * transient failures for up to 10 s.
 *
 * We drive the client's buffer and transport directly rather than `Sender`, whose `at()` is async per
 * row: a batch is built synchronously and handed over as one request, so the rows of concurrent writes
 * never mix, and the next request is encoded while the previous one is in flight.
 *
 * Writes of one IlpWriter are committed in call order (they queue behind each other): a caller that
 * writes an in-progress candle and then its final version can rely on the final one winning.
 */
export class IlpWriter {
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    /** The client's row buffer, for tables written through the client's own encoder. */
    readonly buffer: SenderBuffer,
    private readonly transport: SenderTransport,
    readonly rowsPerRequest: number,
  ) {}

  static async open(httpUrl: string, rowsPerRequest = DEFAULT_ROWS_PER_REQUEST): Promise<IlpWriter> {
    const url = new URL(httpUrl);
    const protocol = url.protocol === 'https:' ? 'https' : 'http';
    const port = url.port || (protocol === 'https' ? '443' : '80');
    // auto_flush off: we decide transaction boundaries. protocol_version auto asks the server (/settings).
    const options = await SenderOptions.fromConfig(
      `${protocol}::addr=${url.hostname}:${port};auto_flush=off;init_buf_size=${1024 * 1024};` +
        `max_buf_size=${512 * 1024 * 1024};request_timeout=30000;retry_timeout=10000;`,
    );
    if (options.protocol_version === '1') {
      throw new Error(
        `QuestDB at ${httpUrl} only speaks ILP v1; binary doubles need ILP v2 (QuestDB 9.0 or newer)`,
      );
    }
    return new IlpWriter(createBuffer(options), createTransport(options), rowsPerRequest);
  }

  /**
   * Sends `items` in requests of at most rowsPerRequest rows. `encode` turns one slice into the
   * request body synchronously (nothing else can touch the encoder meanwhile). The next slice is
   * encoded while the previous request is in flight, but sent only after it was acknowledged.
   */
  write<T>(items: readonly T[], encode: (slice: readonly T[]) => Buffer | null): Promise<void> {
    const run = async () => {
      let inFlight: Promise<unknown> | undefined;
      for (let start = 0; start < items.length; start += this.rowsPerRequest) {
        const data = encode(items.slice(start, start + this.rowsPerRequest));
        if (inFlight) await inFlight;
        if (data) {
          inFlight = this.transport.send(data);
          // Marked handled here; the rejection is rethrown by the await above or below.
          inFlight.catch(() => {});
        }
      }
      if (inFlight) await inFlight;
    };
    const result = this.queue.then(run);
    this.queue = result.catch(() => {});
    return result;
  }

  /**
   * Checks every row first and writes none when one is bad (a table never holds half a batch), then
   * writes them all with the client's row buffer. `what` names the rows in the refusal.
   */
  async writeValidated<T>(
    what: string,
    rows: readonly T[],
    problemOf: (row: T) => string | undefined,
    row: (buffer: SenderBuffer, item: T) => void,
  ): Promise<void> {
    for (let i = 0; i < rows.length; i++) {
      const problem = problemOf(rows[i]!);
      if (problem) throw new Error(`refusing to write ${what}: item ${i} of ${rows.length}: ${problem}`);
    }
    if (rows.length > 0) await this.write(rows, this.clientEncoder(row));
  }

  /** An `encode` for `write` that uses the client's own row buffer. */
  clientEncoder<T>(row: (buffer: SenderBuffer, item: T) => void): (slice: readonly T[]) => Buffer | null {
    return (slice) => {
      try {
        for (const item of slice) row(this.buffer, item);
        return this.buffer.toBufferNew();
      } catch (error) {
        this.buffer.reset();
        throw error;
      }
    };
  }

  async close(): Promise<void> {
    await this.queue;
    this.buffer.reset();
    await this.transport.close();
  }
}
