import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

// No Docker engine runs here: check that docker-compose.yml is wired as the README documents.
const compose = parse(readFileSync(new URL('../../docker-compose.yml', import.meta.url), 'utf8'));
const dockerfile = readFileSync(new URL('../../Dockerfile', import.meta.url), 'utf8');

describe('docker-compose.yml', () => {
  const { postgres, strata } = compose.services;

  it('runs PostgreSQL 16 or 17 with a named volume and a healthcheck', () => {
    expect(postgres.image).toMatch(/^postgres:1[67]\b/);
    const [volume] = postgres.volumes as string[];
    const [name, target] = volume!.split(':');
    expect(target).toBe('/var/lib/postgresql/data');
    expect(Object.keys(compose.volumes)).toContain(name);
    expect(postgres.healthcheck.test.join(' ')).toContain('pg_isready');
  });

  it('builds Strata from the Dockerfile and points DATABASE_URL at the postgres service', () => {
    expect(strata.build).toBe('.');
    const url = new URL(strata.environment.DATABASE_URL);
    expect(url.hostname).toBe('postgres');
    expect(url.username).toBe(postgres.environment.POSTGRES_USER);
    expect(url.password).toBe(postgres.environment.POSTGRES_PASSWORD);
    expect(url.pathname).toBe(`/${postgres.environment.POSTGRES_DB}`);
    expect(strata.depends_on.postgres.condition).toBe('service_healthy');
  });

  it('publishes the API on the host loopback only and requires access tokens', () => {
    expect(strata.ports).toEqual([`127.0.0.1:${strata.environment.PORT}:${strata.environment.PORT}`]);
    expect(strata.environment.HOST).toBe('0.0.0.0');
    expect(strata.environment.STRATA_TOKENS).toMatch(/^\$\{STRATA_TOKENS:\?/);
  });

  it('starts the server from the image the Dockerfile builds', () => {
    expect(dockerfile).toMatch(/^FROM node:20/m);
    expect(dockerfile).toContain('npm ci --omit=dev');
    expect(dockerfile).toMatch(/CMD \["node", "bin\/strata.js", "serve"\]/);
  });
});
