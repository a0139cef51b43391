import { type Kysely, sql } from 'kysely';

/**
 * Read models. Rows that change over time carry the position range in which they hold:
 * `valid_from` (inclusive) and `valid_to` (exclusive, null while current). "As of P" is
 * `valid_from <= P AND (valid_to IS NULL OR valid_to > P)`; partial indexes on `valid_to IS NULL`
 * keep the present as fast as a plain table. Layer entries and chain views are immutable.
 * `sort_key` is the path with "/" turned into U+0001, compared bytewise ("C"), which is tree order.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const fileColumns = (table: any) =>
    table
      .addColumn('path', 'text', (c: any) => c.notNull())
      .addColumn('parent', 'text', (c: any) => c.notNull())
      .addColumn('name', 'text', (c: any) => c.notNull())
      .addColumn('sort_key', sql`text collate "C"`, (c: any) => c.notNull())
      .addColumn('type', 'text')
      .addColumn('mode', 'integer')
      .addColumn('uid', 'integer')
      .addColumn('gid', 'integer')
      .addColumn('size', 'bigint')
      .addColumn('digest', 'text')
      .addColumn('link_target', 'text')
      .addColumn('mtime', 'bigint')
      .addColumn('dev_major', 'integer')
      .addColumn('dev_minor', 'integer');

  await db.schema
    .createTable('layers')
    .addColumn('diff_id', 'text', (c) => c.notNull())
    .addColumn('digest', 'text')
    .addColumn('media_type', 'text')
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('compressed_size', 'bigint')
    .addColumn('entry_count', 'integer', (c) => c.notNull())
    .addColumn('content_size', 'bigint', (c) => c.notNull())
    .addColumn('entries_digest', 'text', (c) => c.notNull())
    .addColumn('valid_from', 'bigint', (c) => c.notNull())
    .addColumn('valid_to', 'bigint')
    .addPrimaryKeyConstraint('layers_pk', ['diff_id', 'valid_from'])
    .execute();

  // One layer's changeset alone: nodes, whiteouts and opaque markers; `implicit` marks parent
  // directories the tar did not list.
  await fileColumns(db.schema.createTable('layer_entries'))
    .addColumn('diff_id', 'text', (c: any) => c.notNull())
    .addColumn('kind', 'text', (c: any) => c.notNull())
    .addColumn('implicit', 'boolean', (c: any) => c.notNull().defaultTo(false))
    .addPrimaryKeyConstraint('layer_entries_pk', ['diff_id', 'sort_key', 'kind'])
    .execute();

  // The merged view of a whole chain of layers, materialised once per top ChainID (images are
  // immutable, so a lookup is one index probe whatever the number of layers).
  await fileColumns(db.schema.createTable('chain_files'))
    .addColumn('chain_id', 'text', (c: any) => c.notNull())
    .addColumn('diff_id', 'text', (c: any) => c.notNull())
    .addPrimaryKeyConstraint('chain_files_pk', ['chain_id', 'sort_key'])
    .execute();
  await db.schema
    .createIndex('chain_files_parent')
    .on('chain_files')
    .columns(['chain_id', 'parent', 'name'])
    .execute();

  await db.schema
    .createTable('images')
    .addColumn('image_id', 'text', (c) => c.notNull())
    .addColumn('config', 'jsonb', (c) => c.notNull())
    .addColumn('diff_ids', 'jsonb', (c) => c.notNull())
    .addColumn('chain_ids', 'jsonb', (c) => c.notNull())
    .addColumn('top_chain_id', 'text')
    .addColumn('history', 'jsonb', (c) => c.notNull())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('created', 'text')
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('parent', 'text')
    .addColumn('manifest_digest', 'text')
    .addColumn('repo_digests', 'jsonb', (c) => c.notNull())
    .addColumn('valid_from', 'bigint', (c) => c.notNull())
    .addColumn('valid_to', 'bigint')
    .addPrimaryKeyConstraint('images_pk', ['image_id', 'valid_from'])
    .execute();
  await sql`create unique index images_current on images (image_id) where valid_to is null`.execute(db);

  await db.schema
    .createTable('image_tags')
    .addColumn('reference', 'text', (c) => c.notNull())
    .addColumn('image_id', 'text', (c) => c.notNull())
    .addColumn('valid_from', 'bigint', (c) => c.notNull())
    .addColumn('valid_to', 'bigint')
    .addPrimaryKeyConstraint('image_tags_pk', ['reference', 'valid_from'])
    .execute();
  await sql`create unique index image_tags_current on image_tags (reference) where valid_to is null`.execute(
    db,
  );
  await db.schema
    .createIndex('image_tags_image')
    .on('image_tags')
    .columns(['image_id', 'valid_from'])
    .execute();

  await db.schema
    .createTable('containers')
    .addColumn('container_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('image_id', 'text', (c) => c.notNull())
    .addColumn('cmd', 'jsonb', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('restart_count', 'integer', (c) => c.notNull())
    .addColumn('exit_code', 'integer')
    .addColumn('created', 'text', (c) => c.notNull())
    .addColumn('started_at', 'text')
    .addColumn('finished_at', 'text')
    .addColumn('valid_from', 'bigint', (c) => c.notNull())
    .addColumn('valid_to', 'bigint')
    .addPrimaryKeyConstraint('containers_pk', ['container_id', 'valid_from'])
    .execute();
  await sql`create unique index containers_current on containers (container_id) where valid_to is null`.execute(
    db,
  );
  await sql`create index containers_current_name on containers (name) where valid_to is null`.execute(db);
  await db.schema.createIndex('containers_name').on('containers').columns(['name', 'valid_from']).execute();

  // A container's writable layer, versioned: every write closes the path's current row and opens
  // a new one, so any past state is one indexed range lookup.
  await fileColumns(db.schema.createTable('container_upper'))
    .addColumn('container_id', 'text', (c: any) => c.notNull())
    .addColumn('kind', 'text', (c: any) => c.notNull())
    .addColumn('session_id', 'text')
    .addColumn('command', 'text')
    .addColumn('operation', 'text')
    .addColumn('valid_from', 'bigint', (c: any) => c.notNull())
    .addColumn('valid_to', 'bigint')
    .addPrimaryKeyConstraint('container_upper_pk', ['container_id', 'sort_key', 'kind', 'valid_from'])
    .execute();
  await sql`create index container_upper_current on container_upper (container_id, sort_key) where valid_to is null`.execute(
    db,
  );
  await sql`create index container_upper_current_parent on container_upper (container_id, parent) where valid_to is null`.execute(
    db,
  );
  await db.schema
    .createIndex('container_upper_parent')
    .on('container_upper')
    .columns(['container_id', 'parent', 'valid_from'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of [
    'container_upper',
    'containers',
    'image_tags',
    'images',
    'chain_files',
    'layer_entries',
    'layers',
  ]) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
