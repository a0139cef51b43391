import { type Kysely, sql } from 'kysely';

/**
 * Content chunks are stored out of line WITHOUT compression (`STORAGE EXTERNAL`). With the default
 * (`EXTENDED`) every 256 KiB chunk went through pglz first: slow on text (a pull of a Debian rootfs
 * spent about half its time there) and wasted on the gzip/zstd layer blobs kept for export, which do
 * not compress. Rows written before this migration keep their compressed form (both read the same).
 * Frozen: never edit after it has shipped.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw('alter table content_chunks alter column data set storage external').execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql.raw('alter table content_chunks alter column data set storage extended').execute(db);
}
