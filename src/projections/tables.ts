import type { ColumnType } from 'kysely';

/** int8 columns: read back as JS numbers on both backends (src/db/openDatabase.ts). */
type Int8 = ColumnType<string | number, number | bigint | string, number | bigint | string>;
type Int8Null = ColumnType<
  string | number | null,
  number | bigint | string | null,
  number | bigint | string | null
>;

interface FileColumns {
  path: string;
  parent: string;
  name: string;
  sort_key: string;
  type: string | null;
  mode: number | null;
  uid: number | null;
  gid: number | null;
  size: Int8Null;
  digest: string | null;
  link_target: string | null;
  mtime: Int8Null;
  dev_major: number | null;
  dev_minor: number | null;
}

interface Versioned {
  valid_from: Int8;
  valid_to: Int8Null;
}

export interface LayersTable extends Versioned {
  diff_id: string;
  digest: string | null;
  media_type: string | null;
  size: Int8;
  compressed_size: Int8Null;
  entry_count: number;
  content_size: Int8;
  entries_digest: string;
}

export interface LayerEntriesTable extends FileColumns {
  diff_id: string;
  kind: 'node' | 'whiteout' | 'opaque';
  implicit: ColumnType<boolean, boolean | undefined, boolean>;
}

export interface ChainFilesTable extends FileColumns {
  chain_id: string;
  diff_id: string;
}

export interface ImagesTable extends Versioned {
  image_id: string;
  config: ColumnType<unknown, string, string>;
  diff_ids: ColumnType<string[], string, string>;
  chain_ids: ColumnType<string[], string, string>;
  top_chain_id: string | null;
  history: ColumnType<unknown[], string, string>;
  size: Int8;
  created: string | null;
  source: string;
  parent: string | null;
  manifest_digest: string | null;
  repo_digests: ColumnType<string[], string, string>;
}

export interface ImageTagsTable extends Versioned {
  reference: string;
  image_id: string;
}

export interface ContainersTable extends Versioned {
  container_id: string;
  name: string;
  image_id: string;
  cmd: ColumnType<string[], string, string>;
  state: string;
  restart_count: number;
  exit_code: number | null;
  created: string;
  started_at: string | null;
  finished_at: string | null;
}

export interface ContainerUpperTable extends FileColumns, Versioned {
  container_id: string;
  kind: 'node' | 'whiteout' | 'opaque';
  session_id: string | null;
  command: string | null;
  operation: string | null;
}

export interface SessionsTable {
  session_id: string;
  container_id: string;
  interactive: boolean;
  started_at: string;
  started_position: Int8;
  ended_at: string | null;
  ended_position: Int8Null;
  exit_code: number | null;
}

export interface SessionStepsTable {
  session_id: string;
  idx: number;
  container_id: string;
  command: string;
  exit_code: number;
  stdout: string;
  stderr: string;
  stdout_digest: string | null;
  stderr_digest: string | null;
  changes: ColumnType<{ kind: 'A' | 'C' | 'D'; path: string }[], string, string>;
  limit_hit: string | null;
  executed_at: string;
  position: Int8;
}

export interface ProjectionTables {
  sessions: SessionsTable;
  session_steps: SessionStepsTable;
  layers: LayersTable;
  layer_entries: LayerEntriesTable;
  chain_files: ChainFilesTable;
  images: ImagesTable;
  image_tags: ImageTagsTable;
  containers: ContainersTable;
  container_upper: ContainerUpperTable;
}
