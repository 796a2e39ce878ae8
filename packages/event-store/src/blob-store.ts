// Files kept in PostgreSQL (table `blobs` + `blob_chunks`), written in one transaction so a blob is either
// whole or absent. Chunks are stored as given; readers get them back in order.
import { createHash } from "node:crypto";
import { type Kysely, sql } from "kysely";
import type { EventStoreDatabase } from "./database.js";
import { EventStoreError } from "./errors.js";

export interface BlobInfo {
  readonly blobId: string;
  readonly contentType: string;
  readonly sizeBytes: number;
  /** Hex SHA-256 of the content. */
  readonly sha256: string;
}

/** A blob id that is already stored. */
export class BlobExistsError extends EventStoreError {
  override readonly name = "BlobExistsError";
  constructor(readonly blobId: string) {
    super(`blob ${blobId} already exists`);
  }
}

export interface BlobStore {
  /** Stores the chunks under `blobId` atomically; BlobExistsError when the id is taken. */
  put(blobId: string, contentType: string, chunks: readonly Uint8Array[]): Promise<BlobInfo>;
  info(blobId: string): Promise<BlobInfo | undefined>;
  /** The chunks in order (empty when there is no such blob). */
  read(blobId: string): AsyncIterable<Uint8Array>;
  /** True when a blob was removed. */
  delete(blobId: string): Promise<boolean>;
}

export class SqlBlobStore implements BlobStore {
  constructor(private readonly db: Kysely<EventStoreDatabase>) {}

  async put(blobId: string, contentType: string, chunks: readonly Uint8Array[]): Promise<BlobInfo> {
    const hash = createHash("sha256");
    let size = 0;
    for (const c of chunks) {
      hash.update(c);
      size += c.byteLength;
    }
    const info: BlobInfo = { blobId, contentType, sizeBytes: size, sha256: hash.digest("hex") };
    try {
      await this.db.transaction().execute(async (trx) => {
        const inserted = await sql<{ blob_id: string }>`
          insert into blobs (blob_id, content_type, size_bytes, sha256)
          values (${blobId}, ${contentType}, ${size}, ${info.sha256})
          on conflict (blob_id) do nothing
          returning blob_id`.execute(trx);
        if (inserted.rows.length === 0) throw new BlobExistsError(blobId);
        for (const [seq, data] of chunks.entries())
          await sql`insert into blob_chunks (blob_id, seq, data) values (${blobId}, ${seq}, ${Buffer.from(data)})`.execute(
            trx,
          );
      });
    } catch (error) {
      if (error instanceof BlobExistsError) throw error;
      throw new EventStoreError(`storing blob ${blobId} failed`, { cause: error });
    }
    return info;
  }

  async info(blobId: string): Promise<BlobInfo | undefined> {
    const { rows } = await sql<{ content_type: string; size_bytes: string; sha256: string }>`
      select content_type, size_bytes::text as size_bytes, sha256 from blobs where blob_id = ${blobId}`.execute(
      this.db,
    );
    const row = rows[0];
    return (
      row && { blobId, contentType: row.content_type, sizeBytes: Number(row.size_bytes), sha256: row.sha256 }
    );
  }

  async *read(blobId: string): AsyncIterable<Uint8Array> {
    // A few chunks per query: a large file is never loaded whole.
    for (let from = 0; ; from += 16) {
      const { rows } = await sql<{ data: Uint8Array }>`
        select data from blob_chunks where blob_id = ${blobId} and seq >= ${from} and seq < ${from + 16}
        order by seq`.execute(this.db);
      for (const row of rows) yield new Uint8Array(row.data);
      if (rows.length < 16) return;
    }
  }

  async delete(blobId: string): Promise<boolean> {
    const { rows } = await sql<{ blob_id: string }>`
      delete from blobs where blob_id = ${blobId} returning blob_id`.execute(this.db);
    return rows.length > 0;
  }
}
