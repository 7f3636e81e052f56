import {
  createBuffer,
  createTransport,
  type SenderBuffer,
  SenderOptions,
  type SenderTransport,
} from '@questdb/nodejs-client';

/** Rows per HTTP request: one request = one QuestDB transaction. Tuned with bench/ingest.ts. */
export const DEFAULT_ROWS_PER_REQUEST = 50_000;

/**
 * ILP over HTTP through @questdb/nodejs-client's buffer and transport. We use these two building blocks
 * rather than `Sender` because Sender.at() is async per row: building a batch synchronously on the
 * buffer and handing a copy to the transport lets concurrent writers share one connection pool without
 * interleaving their rows, and costs no promise per row. Every `send` resolves only when QuestDB has
 * acknowledged the request (HTTP 204), i.e. the rows are durably in the WAL.
 */
export class IlpWriter {
  private constructor(
    private readonly buffer: SenderBuffer,
    private readonly transport: SenderTransport,
    private readonly rowsPerRequest: number,
  ) {}

  static async open(httpUrl: string, rowsPerRequest = DEFAULT_ROWS_PER_REQUEST): Promise<IlpWriter> {
    const url = new URL(httpUrl);
    const protocol = url.protocol === 'https:' ? 'https' : 'http';
    const port = url.port || (protocol === 'https' ? '443' : '80');
    // auto_flush off: we decide transaction boundaries. protocol_version auto asks the server (/settings)
    // and picks v2+ (binary doubles: exact and faster than text).
    const options = await SenderOptions.fromConfig(
      `${protocol}::addr=${url.hostname}:${port};auto_flush=off;init_buf_size=${4 * 1024 * 1024};` +
        `max_buf_size=${512 * 1024 * 1024};request_timeout=30000;retry_timeout=10000;`,
    );
    return new IlpWriter(createBuffer(options), createTransport(options), rowsPerRequest);
  }

  /**
   * Appends each item as one row via `row` and sends the rows in requests of at most rowsPerRequest.
   * Each batch is built synchronously, so rows of concurrent writes never mix. On any error in `row`
   * the partial batch is discarded (nothing of it is sent).
   */
  async write<T>(items: readonly T[], row: (buffer: SenderBuffer, item: T) => void): Promise<void> {
    for (let start = 0; start < items.length; start += this.rowsPerRequest) {
      const end = Math.min(items.length, start + this.rowsPerRequest);
      let data: Buffer | null;
      try {
        for (let i = start; i < end; i++) row(this.buffer, items[i]!);
        data = this.buffer.toBufferNew();
      } catch (error) {
        this.buffer.reset();
        throw error;
      }
      if (data) await this.transport.send(data);
    }
  }

  async close(): Promise<void> {
    this.buffer.reset();
    await this.transport.close();
  }
}
