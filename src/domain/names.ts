import { validationError } from './errors.ts';

/** moby api.RestrictedNameChars: what a container name may consist of. */
export const restrictedNameChars = '[a-zA-Z0-9][a-zA-Z0-9_.-]';
const restrictedNamePattern = new RegExp(`^${restrictedNameChars}+$`);
const containerIdPattern = /^[a-f0-9]{64}$/;

/**
 * Validates a container name as moby's daemon/names.go does and returns it without the leading
 * slash Docker keeps internally (`/web` and `web` are the same name). At least two characters.
 */
export function parseContainerName(name: string): string {
  const bare = name.startsWith('/') ? name.slice(1) : name;
  if (!restrictedNamePattern.test(bare)) {
    throw validationError(`Invalid container name (${name}), only ${restrictedNameChars} are allowed`, {
      name,
    });
  }
  return bare;
}

export const isContainerId = (value: string): boolean => containerIdPattern.test(value);

export function parseContainerId(value: string): string {
  if (!isContainerId(value)) {
    throw validationError(`invalid container id "${value}": expected 64 lowercase hex characters`, {
      containerId: value,
    });
  }
  return value;
}
