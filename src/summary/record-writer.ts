// TFRecord framing and a buffered, append-only writer for one event file.
import * as fs from 'node:fs';
import { maskedCrc32c } from './crc32c';

/**
 * One TFRecord: uint64 length (little-endian), masked CRC-32C of those 8 bytes, the data, and the
 * masked CRC-32C of the data.
 */
export function frameRecord(data: Uint8Array): Buffer {
  const out = Buffer.alloc(8 + 4 + data.length + 4);
  out.writeBigUInt64LE(BigInt(data.length), 0);
  out.writeUInt32LE(maskedCrc32c(out.subarray(0, 8)), 8);
  out.set(data, 12);
  out.writeUInt32LE(maskedCrc32c(data), 12 + data.length);
  return out;
}

/**
 * Appends framed records to a file. Records are kept in memory and written by asynchronous
 * appends, one at a time and in order, so a caller never waits on the disk unless it awaits
 * {@link flush}. A failed append is reported by the next flush() or close().
 */
export class RecordWriter {
  private pending: Buffer[] = [];
  private pendingCount = 0;
  private chain: Promise<void> = Promise.resolve();
  private error: Error | null = null;
  private closed = false;

  /** Creates (or truncates) `file` synchronously, so an unwritable path fails here. */
  constructor(readonly file: string, first: Uint8Array) {
    fs.writeFileSync(file, frameRecord(first));
  }

  /** Records waiting in memory. */
  get queued(): number {
    return this.pendingCount;
  }

  /** Queues one record. */
  write(data: Uint8Array): void {
    if (this.closed) throw new Error(`summary writer for ${this.file} is closed`);
    this.pending.push(frameRecord(data));
    this.pendingCount++;
  }

  /** Starts writing the queued records without waiting; returns the promise of that write. */
  startFlush(): Promise<void> {
    if (this.pending.length) {
      const bytes = Buffer.concat(this.pending);
      this.pending = [];
      this.pendingCount = 0;
      this.chain = this.chain.then(() =>
        fs.promises.appendFile(this.file, bytes).catch((e: unknown) => {
          this.error ??= e instanceof Error ? e : new Error(String(e));
        }));
    }
    return this.chain;
  }

  /** Writes every queued record; rejects with the first write error since the last report. */
  async flush(): Promise<void> {
    await this.startFlush();
    if (this.error) {
      const e = this.error;
      this.error = null;
      throw new Error(`summary writer: could not append to ${this.file}: ${e.message}`);
    }
  }

  /** Flushes and refuses further records. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.flush();
  }
}
