import { validationError } from '../errors.ts';

/**
 * Image references as the distribution spec and Docker write them (distribution/reference:
 * regexp.go, reference.go, normalize.go):
 *
 *   reference  := name [ ":" tag ] [ "@" digest ]
 *   name       := [domain "/"] path-component ["/" path-component]*
 *   domain     := host [":" port]   host: DNS-like labels, IPv4, or [IPv6]
 *   path-component := [a-z0-9]+ ((?:[._]|__|[-]+) [a-z0-9]+)*
 *   tag        := [\w][\w.-]{0,127}
 *   digest     := algorithm ":" hex{32,}
 *
 * Normalisation follows Docker: a name without a domain is on Docker Hub (`docker.io`), an
 * official image gains `library/`, `index.docker.io` becomes `docker.io`, and a reference with
 * neither tag nor digest gets `:latest`. The familiar form strips what normalisation added.
 */
export interface ImageReference {
  /** Registry host[:port], e.g. `docker.io`, `localhost:5000`. */
  domain: string;
  /** Repository path inside the registry, e.g. `library/ubuntu`. */
  path: string;
  tag?: string;
  digest?: string;
}

export const defaultDomain = 'docker.io';
const legacyDefaultDomain = 'index.docker.io';
const officialRepoPrefix = 'library/';
export const defaultTag = 'latest';
const repositoryNameTotalLengthMax = 255;

const alphanumeric = '[a-z0-9]+';
const separator = '(?:[._]|__|[-]+)';
const domainNameComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const optionalPort = '(?::[0-9]+)?';
const tagPattern = '[\\w][\\w.-]{0,127}';
const digestPattern = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9a-fA-F]{32,}';
const ipv6address = '\\[(?:[a-fA-F0-9:]+)\\]';
const domainName = `${domainNameComponent}(?:\\.${domainNameComponent})*`;
const host = `(?:${domainName}|${ipv6address})`;
const domainAndPort = `${host}${optionalPort}`;
const pathComponent = `${alphanumeric}(?:${separator}${alphanumeric})*`;
const remoteName = `${pathComponent}(?:/${pathComponent})*`;
const namePattern = `(?:${domainAndPort}/)?${remoteName}`;

const referenceRegexp = new RegExp(`^(${namePattern})(?::(${tagPattern}))?(?:@(${digestPattern}))?$`);
const anchoredNameRegexp = new RegExp(`^(?:(${domainAndPort})/)?(${remoteName})$`);
const anchoredTagRegexp = new RegExp(`^${tagPattern}$`);
const anchoredIdentifierRegexp = /^[a-f0-9]{64}$/;
/** The digest algorithms go-digest knows, with the length of their hex encoding. */
const digestAlgorithms: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };

const invalid = (message: string, input: string) => validationError(message, { reference: input });

/** Validates a digest inside a reference as go-digest's Parse does. */
function checkDigest(digest: string, input: string): void {
  const colon = digest.indexOf(':');
  const algorithm = digest.slice(0, colon);
  const encoded = digest.slice(colon + 1);
  const length = digestAlgorithms[algorithm];
  if (length === undefined) throw invalid('unsupported digest algorithm', input);
  if (!/^[a-f0-9]+$/.test(encoded)) throw invalid('invalid checksum digest format', input);
  if (encoded.length !== length) throw invalid('invalid checksum digest length', input);
}

/** reference.Parse: a reference exactly as written (no normalisation). */
function parseExact(input: string): ImageReference {
  if (input === '') throw invalid('repository name must have at least one component', input);
  const match = referenceRegexp.exec(input);
  if (!match) {
    const lower = input.toLowerCase();
    if (lower !== input && referenceRegexp.test(lower))
      throw invalid('repository name must be lowercase', input);
    throw invalid('invalid reference format', input);
  }
  const [, name, tag, digest] = match;
  const nameMatch = anchoredNameRegexp.exec(name!)!;
  const domain = nameMatch[1] ?? '';
  const path = nameMatch[2]!;
  if (path.length > repositoryNameTotalLengthMax) {
    throw invalid(`repository name must not be more than ${repositoryNameTotalLengthMax} characters`, input);
  }
  if (digest !== undefined) checkDigest(digest, input);
  return { domain, path, ...(tag !== undefined && { tag }), ...(digest !== undefined && { digest }) };
}

/** splitDockerDomain: which part of a familiar name is the registry. */
function splitDockerDomain(name: string): { domain: string; remainder: string } {
  const slash = name.indexOf('/');
  if (slash === -1) return { domain: defaultDomain, remainder: officialRepoPrefix + name };
  const maybeDomain = name.slice(0, slash);
  const maybeRemainder = name.slice(slash + 1);
  let domain: string;
  let remainder: string;
  if (maybeDomain === 'localhost') {
    [domain, remainder] = [maybeDomain, maybeRemainder];
  } else if (maybeDomain === legacyDefaultDomain) {
    [domain, remainder] = [defaultDomain, maybeRemainder];
  } else if (/[.:]/.test(maybeDomain)) {
    [domain, remainder] = [maybeDomain, maybeRemainder];
  } else if (maybeDomain.toLowerCase() !== maybeDomain) {
    // An uppercase first element cannot be a namespace, so it is taken as a host name.
    [domain, remainder] = [maybeDomain, maybeRemainder];
  } else {
    [domain, remainder] = [defaultDomain, name];
  }
  if (domain === defaultDomain && !remainder.includes('/')) remainder = officialRepoPrefix + remainder;
  return { domain, remainder };
}

/**
 * ParseNormalizedNamed: parses a reference as a user types it (`ubuntu`, `ubuntu:22.04`,
 * `ghcr.io/org/app@sha256:...`, `localhost:5000/app:v1`) into its normalised parts. Tag and
 * digest are kept as written (neither is added). Throws VALIDATION with Docker's wording.
 */
export function parseReference(input: string): ImageReference {
  if (anchoredIdentifierRegexp.test(input)) {
    throw invalid(`invalid repository name (${input}), cannot specify 64-byte hexadecimal strings`, input);
  }
  const { domain, remainder } = splitDockerDomain(input);
  const tagSeparator = remainder.indexOf(':');
  const remote = tagSeparator > -1 ? remainder.slice(0, tagSeparator) : remainder;
  if (remote.toLowerCase() !== remote) {
    throw invalid(`invalid reference format: repository name (${remote}) must be lowercase`, input);
  }
  const parsed = parseExact(`${domain}/${remainder}`);
  if (parsed.domain === '') throw invalid('invalid reference format', input);
  return parsed;
}

/** `domain/path`, e.g. `docker.io/library/ubuntu`. */
export const repositoryOf = (reference: ImageReference): string => `${reference.domain}/${reference.path}`;

export function formatReference(reference: ImageReference): string {
  let text = repositoryOf(reference);
  if (reference.tag !== undefined) text += `:${reference.tag}`;
  if (reference.digest !== undefined) text += `@${reference.digest}`;
  return text;
}

/**
 * The canonical form Strata stores and keys tags by (Docker's ParseDockerRef): fully qualified,
 * `:latest` when neither tag nor digest is given, and only the digest when both are given
 * (`ubuntu:22.04@sha256:...` names the digest). `ubuntu` → `docker.io/library/ubuntu:latest`.
 */
export function normalizeReference(input: string): string {
  return formatReference(normalizeParsed(parseReference(input)));
}

function normalizeParsed(reference: ImageReference): ImageReference {
  if (reference.digest !== undefined)
    return { domain: reference.domain, path: reference.path, digest: reference.digest };
  if (reference.tag === undefined) return { ...reference, tag: defaultTag };
  return reference;
}

/** The repository part of the familiar form: `docker.io/library/ubuntu` → `ubuntu`. */
export function familiarName(reference: ImageReference): string {
  if (reference.domain !== defaultDomain) return repositoryOf(reference);
  if (reference.path.startsWith(officialRepoPrefix)) {
    const rest = reference.path.slice(officialRepoPrefix.length);
    if (!rest.includes('/')) return rest;
  }
  return reference.path;
}

/**
 * The form Docker displays (`docker images`, `Untagged: ...`): `docker.io/library/ubuntu:latest`
 * → `ubuntu:latest`, `docker.io/org/app:v1` → `org/app:v1`, other registries unchanged.
 * Accepts any reference (familiar or normalised); tag and digest are kept as they are.
 */
export function familiarReference(input: string): string {
  const reference = parseReference(input);
  let text = familiarName(reference);
  if (reference.tag !== undefined) text += `:${reference.tag}`;
  if (reference.digest !== undefined) text += `@${reference.digest}`;
  return text;
}

/** A reference naming a digest (`repo@sha256:...`) rather than a tag. */
export const isDigestReference = (input: string): boolean => parseReference(input).digest !== undefined;

export const isValidTag = (tag: string): boolean => anchoredTagRegexp.test(tag);

/** `repo` + tag into a normalised tag reference; the tag must match the tag grammar. */
export function withTag(repository: string, tag: string): string {
  if (!isValidTag(tag)) throw invalid('invalid tag format', `${repository}:${tag}`);
  const reference = parseReference(repository);
  if (reference.tag !== undefined || reference.digest !== undefined)
    throw invalid('invalid reference format', repository);
  return formatReference({ domain: reference.domain, path: reference.path, tag });
}

/**
 * A reference to create as a tag (`docker tag`): normalised, and not a digest reference, which
 * Docker refuses with "refusing to create a tag with a digest reference".
 */
export function normalizeTagReference(input: string): string {
  const reference = parseReference(input);
  if (reference.digest !== undefined)
    throw invalid('refusing to create a tag with a digest reference', input);
  return formatReference(normalizeParsed(reference));
}

/**
 * What an image argument looks like, as Docker's ParseAnyReference tells them apart: a full image
 * id (64 hex, or `sha256:` + 64 hex) or otherwise a reference (an id prefix is a reference that
 * the app layer may still match against image ids, as Docker does).
 */
export function classifyImageArgument(
  input: string,
): { kind: 'id'; imageId: string } | { kind: 'reference'; reference: string } {
  if (anchoredIdentifierRegexp.test(input)) return { kind: 'id', imageId: `sha256:${input}` };
  if (/^sha256:[a-f0-9]{64}$/.test(input)) return { kind: 'id', imageId: input };
  return { kind: 'reference', reference: normalizeReference(input) };
}
