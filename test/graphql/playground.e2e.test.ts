import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { defaultLimits, type StrataConfig } from '../../src/config.ts';
import { createMemoryLogger } from '../../src/server/log.ts';
import { type RunningServer, startServer } from '../../src/server/startServer.ts';
import { launchChromium } from '../support/browser.ts';
import { eachBackend } from '../support/strata.ts';

eachBackend('GraphiQL playground in a real browser, offline', (getStrata) => {
  let server: RunningServer;
  let browser: Browser;
  beforeAll(async () => {
    const strata = await getStrata();
    const config: StrataConfig = {
      host: '127.0.0.1',
      port: 0,
      tokens: [],
      graphiql: true,
      limits: defaultLimits,
      shutdownGraceMs: 1000,
      logLevel: 'silent',
      database: { url: undefined, dataDir: 'memory://', poolSize: 1 },
    };
    server = await startServer(config, {
      app: { ...strata, notifications: strata.database.notifications },
      backend: strata.database.backend,
      log: createMemoryLogger(),
    });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('loads GraphiQL from the server alone, opens with the Docker story and runs a query', async () => {
    const page = await browser.newPage();
    const foreign: string[] = [];
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (!['127.0.0.1', 'localhost'].includes(url.hostname) && !['blob:', 'data:'].includes(url.protocol))
        foreign.push(request.url());
    });
    await page.goto(server.url);
    await page.waitForSelector('.graphiql-container', { timeout: 30_000 });
    // Monaco renders spaces as no-break spaces and only the lines in view.
    // biome-ignore lint/performance/useDomNodeTextContent: what is rendered, as a user sees it.
    const visibleText = () => page.evaluate(() => document.body.innerText.replaceAll('\u00a0', ' '));
    await page.waitForFunction(
      // biome-ignore lint/performance/useDomNodeTextContent: what is rendered, as a user sees it.
      () => document.body.innerText.replaceAll('\u00a0', ' ').includes('Welcome to Strata'),
      undefined,
      { timeout: 30_000 },
    );
    expect(await visibleText()).toContain('mutation Pull');
    const html = await (await fetch(server.url, { headers: { accept: 'text/html' } })).text();
    expect(html).toContain('query AsOf');
    const response = await page.evaluate(async (url) => {
      const r = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ head serverInfo { backend } }' }),
      });
      return r.json();
    }, server.url);
    expect(response.data.serverInfo.backend).toMatch(/pglite|postgres/);
    expect(foreign).toEqual([]);
    await page.screenshot({ path: '/tmp/strata-graphiql.png' });
  });
});
