import { Kind, type ValueNode } from 'graphql';
import { type Digest, isDigest } from '../domain/digest.ts';
import { validationError } from '../domain/errors.ts';
import { builder } from './builder.ts';

/**
 * The contract's scalars (shared/contract/core.graphql), each with strict input validation.
 * Bad input is a VALIDATION error that GraphQL prefixes with the variable or literal at fault;
 * a value a resolver returns that cannot be serialized is a bug, so it is a plain (masked) error.
 */
type Fail = (message: string) => Error;
const badInput: Fail = (message) => validationError(message);
const badOutput: Fail = (message) => new TypeError(message);

const show = (value: unknown) => (typeof value === 'string' ? JSON.stringify(value) : String(value));

/** A non-negative integer exact in a JSON number (≤ 2^53 − 1); decimal strings too when `strings`. */
function toCount(type: string, value: unknown, strings: boolean, invalid: Fail = badInput): number {
  let n: number | undefined;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'bigint')
    n = value > BigInt(Number.MAX_SAFE_INTEGER) ? Number.POSITIVE_INFINITY : Number(value);
  else if (strings && typeof value === 'string' && /^\d+$/.test(value)) n = Number(value);
  if (n === undefined) {
    throw invalid(
      `${type} must be a non-negative integer${strings ? ' (number or decimal string)' : ''}, got ${show(value)}`,
    );
  }
  if (n < 0) throw invalid(`${type} must not be negative, got ${show(value)}`);
  if (n > Number.MAX_SAFE_INTEGER) {
    throw invalid(`${type} ${show(value)} is beyond 2^53 - 1, the largest exact JSON number`);
  }
  if (!Number.isInteger(n)) throw invalid(`${type} must be an integer, got ${show(value)}`);
  return n;
}

function countLiteral(type: string, ast: ValueNode, strings: boolean): number {
  const invalid = badInput;
  if (ast.kind === Kind.INT) return toCount(type, BigInt(ast.value), strings);
  if (ast.kind === Kind.FLOAT) return toCount(type, Number(ast.value), strings);
  if (ast.kind === Kind.STRING && strings) return toCount(type, ast.value, strings);
  throw invalid(`${type} must be a non-negative integer${strings ? ' (number or decimal string)' : ''}`);
}

builder.scalarType('Long', {
  description: 'A 64-bit integer (bytes, positions), serialized as a JSON number.',
  serialize: (value) => toCount('Long', value, true, badOutput),
  parseValue: (value) => toCount('Long', value, false),
  parseLiteral: (ast) => countLiteral('Long', ast, false),
});

builder.scalarType('Position', {
  description:
    "A global event position: the store's order of every event ever appended. Serialized as a JSON\n" +
    'number (exact up to 2^53); accepted as a number or a decimal string.',
  serialize: (value) => toCount('Position', value, true, badOutput),
  parseValue: (value) => toCount('Position', value, true),
  parseLiteral: (ast) => countLiteral('Position', ast, true),
});

const isoTimestamp = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/i;

function toDate(value: unknown, invalid: Fail = badInput): Date {
  if (typeof value !== 'string' || !isoTimestamp.test(value)) {
    throw invalid(
      `DateTime must be an ISO-8601 timestamp with a time zone (e.g. 2024-05-01T12:00:00Z), got ${show(value)}`,
    );
  }
  const [y, m, d] = value.slice(0, 10).split('-').map(Number) as [number, number, number];
  const day = new Date(Date.UTC(y, m - 1, d));
  const date = new Date(value);
  if (Number.isNaN(date.getTime()) || day.getUTCMonth() !== m - 1 || day.getUTCDate() !== d) {
    throw invalid(`DateTime ${show(value)} is not a valid date`);
  }
  return date;
}

builder.scalarType('DateTime', {
  description: 'An ISO-8601 timestamp.',
  serialize: (value) => {
    const date =
      value instanceof Date ? value : typeof value === 'number' ? new Date(value) : toDate(value, badOutput);
    if (Number.isNaN(date.getTime())) throw badOutput('DateTime: invalid date');
    return date.toISOString();
  },
  parseValue: (value) => toDate(value),
  parseLiteral: (ast) => {
    if (ast.kind !== Kind.STRING) throw badInput('DateTime must be a string such as "2024-05-01T12:00:00Z"');
    return toDate(ast.value);
  },
});

function toDigest(value: unknown, invalid: Fail = badInput): Digest {
  if (typeof value !== 'string' || !isDigest(value)) {
    throw invalid(`Digest must be sha256:<64 lowercase hex>, got ${show(value)}`);
  }
  return value;
}

builder.scalarType('Digest', {
  description: 'A content digest such as sha256:<64 lowercase hex>.',
  serialize: (value) => toDigest(value, badOutput),
  parseValue: (value) => toDigest(value),
  parseLiteral: (ast) => {
    if (ast.kind !== Kind.STRING) throw badInput('Digest must be a string sha256:<64 lowercase hex>');
    return toDigest(ast.value);
  },
});

function jsonLiteral(ast: ValueNode, variables: Record<string, unknown> | null | undefined): unknown {
  switch (ast.kind) {
    case Kind.STRING:
    case Kind.BOOLEAN:
      return ast.value;
    case Kind.INT:
    case Kind.FLOAT:
      return Number(ast.value);
    case Kind.NULL:
      return null;
    case Kind.ENUM:
      return ast.value;
    case Kind.LIST:
      return ast.values.map((item) => jsonLiteral(item, variables));
    case Kind.OBJECT:
      return Object.fromEntries(
        ast.fields.map((field) => [field.name.value, jsonLiteral(field.value, variables)]),
      );
    case Kind.VARIABLE:
      return variables?.[ast.name.value];
  }
}

builder.scalarType('JSON', {
  description: 'Arbitrary JSON.',
  serialize: (value) => value,
  parseValue: (value) => value,
  parseLiteral: (ast, variables) => jsonLiteral(ast, variables),
});
