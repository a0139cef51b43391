import { request as httpRequest } from 'node:http';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { importImage } from '../../src/app/importImage.ts';
import type { Strata } from '../../src/app/openStrata.ts';
import { defaultLimits, type StrataConfig } from '../../src/config.ts';
import { parseTokenList } from '../../src/server/auth.ts';
import { createMemoryLogger } from '../../src/server/log.ts';
import { type RunningServer, startServer } from '../../src/server/startServer.ts';
import { launchChromium } from '../support/browser.ts';
import { memoryImage } from '../support/memoryImage.ts';
import { importSessionImage, startSessionIn } from '../support/shellSessions.ts';
import { eachBackend } from '../support/strata.ts';
import { dir, file } from '../support/tarBuilder.ts';

const token = 'replay-viewer-secret-0123456789abcdef';

const config = (tokens: StrataConfig['tokens']): StrataConfig => ({
  host: '127.0.0.1',
  port: 0,
  tokens,
  graphiql: false,
  limits: defaultLimits,
  shutdownGraceMs: 1000,
  logLevel: 'silent',
  database: { url: undefined, dataDir: 'memory://', poolSize: 1 },
});

interface Shown {
  url: string;
  current: string;
  heading: string;
  command: string | null;
  exit: string | null;
  stdout: string | null;
  stderr: string | null;
  noOutput: boolean;
  eventLabel: string | null;
  changes: string[];
  rows: string[];
  ghosts: string[];
  filePath: string | null;
  content: string | null;
  fileNote: string | null;
  status: string;
}

/** What the page shows, read from the DOM. */
const shown = (page: Page): Promise<Shown> =>
  page.evaluate(() => {
    const text = (selector: string) => document.querySelector(selector)?.textContent ?? null;
    const all = (selector: string) => [...document.querySelectorAll<HTMLElement>(selector)];
    return {
      url: location.pathname + location.search,
      current: text('.point[aria-current="step"] .label') ?? '',
      heading: text('#detail-heading') ?? '',
      command: text('#command'),
      exit: text('#exit-code'),
      stdout: text('#stdout'),
      stderr: text('#stderr'),
      noOutput: document.querySelector('#no-output') !== null,
      eventLabel: text('#event-label'),
      changes: all('#changes li').map((li) => `${li.dataset.change} ${li.dataset.path}`),
      rows: all('#tree .row').map((b) =>
        b.dataset.change ? `${b.dataset.change} ${b.dataset.path}` : `${b.dataset.path}`,
      ),
      ghosts: all('#tree .row.ghost').map((b) => `${b.dataset.path}`),
      filePath: text('#file-path'),
      content: text('#file-content'),
      fileNote: text('#file-deleted') ?? text('#file-missing'),
      status: text('#status') ?? '',
    };
  });

eachBackend('replay page in a real browser: a container life and its sessions, step by step', (getStrata) => {
  let server: RunningServer;
  let tokenServer: RunningServer;
  let browser: Browser;
  let base: string;
  let strata: Strata;
  const foreign: string[] = [];
  const pages: Page[] = [];
  // biome-ignore lint/suspicious/noExplicitAny: test responses are inspected freely.
  let gql: (query: string, variables?: Record<string, unknown>) => Promise<any>;
  /** Positions of the recorded history, by name. */
  const at: Record<string, number> = {};
  let sessionId = '';
  let containerId = '';
  // biome-ignore lint/suspicious/noExplicitAny: as returned by the API.
  let steps: any[] = [];

  const open = async (path: string, target = base): Promise<Page> => {
    const page = await browser.newPage({ viewport: { width: 1440, height: 960 } });
    pages.push(page);
    page.on('request', (r) => {
      const url = new URL(r.url());
      if (url.hostname !== '127.0.0.1' && !['data:', 'blob:'].includes(url.protocol)) foreign.push(r.url());
    });
    page.on('pageerror', (error) => foreign.push(`page error: ${error.message}`));
    await page.goto(`${target}${path}`);
    return page;
  };
  const ready = (page: Page, position?: number) =>
    page.waitForSelector(
      position === undefined
        ? '#view[aria-busy="false"][data-position]'
        : `#view[aria-busy="false"][data-position="${position}"]`,
      { timeout: 30_000 },
    );
  const press = async (page: Page, key: string, position?: number) => {
    await page.keyboard.press(key);
    await ready(page, position);
    return shown(page);
  };

  beforeAll(async () => {
    strata = await getStrata();
    const app = { ...strata, notifications: strata.database.notifications };
    const deps = { app, backend: strata.database.backend, log: createMemoryLogger() };
    server = await startServer(config([]), deps);
    tokenServer = await startServer(config(parseTokenList(`viewer:${token}:read`)), deps);
    base = server.url.replace(/\/graphql$/, '');
    gql = async (query, variables = {}) => {
      const response = await fetch(server.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query, variables }),
      });
      const body = await response.json();
      if (body.errors) throw new Error(JSON.stringify(body.errors));
      return body.data;
    };
    browser = await launchChromium();

    await importSessionImage(strata);
    const created = await gql(
      `mutation { createContainer(image: "ubuntu", name: "web", cmd: ["/bin/bash"]) { ... on MutationCreateContainerSuccess { data { containerId } } } }`,
    );
    containerId = created.createContainer.data.containerId;
    sessionId = await startSessionIn(gql, 'web');
    for (const command of [
      'echo "hello from strata" > /root/notes.txt && mkdir -p /srv/app',
      'cat /root/notes.txt',
      'echo "second line" >> /root/notes.txt && rm /var/log.txt',
      'cat /nope',
    ]) {
      const result = await gql(
        `mutation($c: String!, $s: ID) { exec(container: "web", command: $c, session: $s) { ... on MutationExecSuccess { data { exitCode } } } }`,
        { c: command, s: sessionId },
      );
      expect(result.exec.data).toBeTruthy();
    }
    await gql(`mutation($s: ID!) { endSession(session: $s, exitCode: 0) { __typename } }`, { s: sessionId });
    await gql(
      `mutation { writeFile(container: "web", path: "/opt/x/y.txt", content: "z\\n") { __typename } }`,
    );
    await gql(
      `mutation { writeFile(container: "web", path: "/etc/motd", content: "more\\n", append: true) { __typename } }`,
    );

    const history = await gql(
      `query($s: String!) { container(ref: "web") { sessions { steps { index command stdout stderr exitCode position changes { kind path } } } }
        events(stream: $s) { edges { node { position type } } } }`,
      { s: `container-${containerId}` },
    );
    steps = history.container.sessions[0].steps;
    const events = history.events.edges.map((e: { node: { position: number; type: string } }) => e.node);
    const positionOf = (type: string) =>
      events.filter((e: { type: string }) => e.type === type).map((e: { position: number }) => e.position);
    [at.created] = positionOf('ContainerCreated');
    [at.started] = positionOf('ContainerStarted');
    [at.stopped] = positionOf('ContainerStopped');
    const writes = positionOf('ContainerPathWritten');
    at.motd = writes[writes.length - 1]!;
    at.opt = writes[writes.length - 3]!; // /etc copy-up and /etc/motd come after /opt/x/y.txt
    const sessionEvents = await gql(
      `query($s: String!) { events(stream: $s) { edges { node { position type } } } }`,
      {
        s: `session-${sessionId}`,
      },
    );
    at.sessionStarted = sessionEvents.events.edges[0].node.position;
    steps.forEach((step, i) => {
      at[`step${i + 1}`] = step.position;
    });
  });

  afterEach(async () => {
    for (const page of pages.splice(0)) await page.close();
    expect(foreign).toEqual([]);
  });

  afterAll(async () => {
    await browser?.close();
    await tokenServer?.close();
    await server?.close();
  });

  it('replays the container life with the keyboard: commands, outputs, changes, tree and file as of each point', async () => {
    expect(steps.map((s) => s.changes)).toEqual([
      [
        { kind: 'C', path: '/root' },
        { kind: 'A', path: '/root/notes.txt' },
        { kind: 'A', path: '/srv' },
        { kind: 'A', path: '/srv/app' },
      ],
      [],
      [
        { kind: 'C', path: '/root/notes.txt' },
        { kind: 'C', path: '/var' },
        { kind: 'D', path: '/var/log.txt' },
      ],
      [],
    ]);
    const page = await open('/replay?container=web');
    await ready(page, at.created);
    expect(await page.locator('.point').count()).toBe(9);
    let s = await shown(page);
    expect(s.current).toBe('created from ubuntu');
    expect(s.heading).toBe('Event');
    expect(s.url).toBe(`/replay?container=web&position=${at.created}`);
    expect(s.rows).toEqual(['/etc', '/etc/motd', '/root', '/var', '/var/log.txt']);
    expect(s.changes).toEqual([]);
    expect(s.status).toContain(`1 / 9 · position ${at.created}`);

    s = await press(page, 'ArrowRight', at.started!);
    expect(s.eventLabel).toBe('started');
    expect(s.rows).not.toContain('/root/notes.txt');

    s = await press(page, 'ArrowRight', at.step1!);
    expect(s).toMatchObject({
      heading: 'Step 1',
      command: '$ echo "hello from strata" > /root/notes.txt && mkdir -p /srv/app',
      exit: 'exit 0',
      noOutput: true,
      url: `/replay?container=web&position=${at.step1}`,
      changes: ['C /root', 'A /root/notes.txt', 'A /srv', 'A /srv/app'],
      // With no file picked, the first file the step added or changed is shown.
      filePath: '/root/notes.txt',
      content: 'hello from strata\n',
    });
    expect(s.rows).toEqual([
      '/etc',
      '/etc/motd',
      'C /root',
      'A /root/notes.txt',
      'A /srv',
      'A /srv/app',
      '/var',
      '/var/log.txt',
    ]);

    // Pick the file: it stays selected (and in the URL) while stepping.
    await page.click('#tree .row[data-path="/root/notes.txt"]');
    await ready(page, at.step1);
    expect((await shown(page)).url).toBe(
      `/replay?container=web&position=${at.step1}&path=%2Froot%2Fnotes.txt`,
    );

    s = await press(page, 'ArrowRight', at.step2!);
    expect(s).toMatchObject({
      heading: 'Step 2',
      command: '$ cat /root/notes.txt',
      stdout: 'hello from strata\n',
      changes: [],
    });
    expect(s.content).toBe('hello from strata\n');
    expect(s.rows).toContain('/root/notes.txt');

    s = await press(page, 'ArrowRight', at.step3!);
    expect(s).toMatchObject({
      command: '$ echo "second line" >> /root/notes.txt && rm /var/log.txt',
      changes: ['C /root/notes.txt', 'C /var', 'D /var/log.txt'],
      filePath: '/root/notes.txt',
      content: 'hello from strata\nsecond line\n',
      ghosts: ['/var/log.txt'],
    });
    expect(s.rows).toEqual([
      '/etc',
      '/etc/motd',
      '/root',
      'C /root/notes.txt',
      '/srv',
      '/srv/app',
      'C /var',
      'D /var/log.txt',
    ]);
    // A/C/D colours, and the deleted path struck through.
    const look = await page.evaluate(() =>
      Object.fromEntries(
        ['/root/notes.txt', '/var/log.txt', '/etc/motd'].map((path) => {
          const row = document.querySelector<HTMLElement>(`#tree .row[data-path="${path}"]`)!;
          const del = row.querySelector('del');
          return [
            path,
            {
              bg: getComputedStyle(row).backgroundColor,
              struck: del ? getComputedStyle(del).textDecorationLine : 'none',
            },
          ];
        }),
      ),
    );
    expect(look).toEqual({
      '/root/notes.txt': { bg: 'rgb(253, 243, 212)', struck: 'none' },
      '/var/log.txt': { bg: 'rgb(253, 231, 229)', struck: 'line-through' },
      '/etc/motd': { bg: 'rgba(0, 0, 0, 0)', struck: 'none' },
    });
    await page.screenshot({ path: '/tmp/strata-replay.png' });

    // Back one step: the file as it was then.
    s = await press(page, 'ArrowLeft', at.step2!);
    expect(s.content).toBe('hello from strata\n');
    s = await press(page, 'ArrowRight', at.step3!);
    s = await press(page, 'ArrowRight', at.step4!);
    expect(s).toMatchObject({
      command: '$ cat /nope',
      exit: 'exit 1',
      stderr: 'cat: /nope: No such file or directory\n',
      stdout: null,
      changes: [],
    });
    expect(await page.locator('.point[aria-current="step"] .exit.bad').textContent()).toBe('exit code 1');

    s = await press(page, 'ArrowRight', at.stopped!);
    expect(s.eventLabel).toBe('stopped (exit 0)');

    s = await press(page, 'End', at.motd!);
    expect(s).toMatchObject({
      eventLabel: 'append /etc/motd (+1 more)',
      changes: ['C /etc', 'C /etc/motd'],
      url: `/replay?container=web&position=${at.motd}&path=%2Froot%2Fnotes.txt`,
      content: 'hello from strata\nsecond line\n',
    });
    s = await press(page, 'ArrowRight', at.motd!); // already at the end
    s = await press(page, 'Home', at.created!);
    expect(s.current).toBe('created from ubuntu');
    expect(s.fileNote).toBe(`/root/notes.txt does not exist as of position ${at.created}.`);
  });

  it('moves with the slider and the buttons; file writes made outside a session are points with their changes', async () => {
    const page = await open('/replay?container=web');
    await ready(page, at.created);
    await page.locator('#slider').fill('6');
    await ready(page, at.stopped);
    expect((await shown(page)).eventLabel).toBe('stopped (exit 0)');
    await page.focus('#slider');
    await page.keyboard.press('ArrowRight');
    await ready(page, at.opt);
    const s = await shown(page);
    expect(s).toMatchObject({
      eventLabel: 'write /opt/x/y.txt (+2 more)',
      changes: ['A /opt', 'A /opt/x', 'A /opt/x/y.txt'],
      filePath: '/opt/x/y.txt',
      content: 'z\n',
      url: `/replay?container=web&position=${at.opt}`,
    });
    expect(await page.locator('#slider').inputValue()).toBe('7');
    await page.click('#prev');
    await ready(page, at.stopped);
    await page.click('#last');
    await ready(page, at.motd);
    expect(await page.locator('#next').isDisabled()).toBe(true);
    await page.click('#first');
    await ready(page, at.created);
    // The timeline is focusable: Tab reaches the current point, arrows move along it with the focus.
    await page.click('.point[data-index="2"]');
    await ready(page, at.step1);
    await page.keyboard.press('ArrowRight');
    await ready(page, at.step2);
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-index'))).toBe('3');
  });

  it('opens deep links: container and position (by name or id), a picked file, a session step', async () => {
    let page = await open(`/replay?container=web&position=${at.step3}&path=/root/notes.txt`);
    await ready(page, at.step3);
    let s = await shown(page);
    expect(s).toMatchObject({
      heading: 'Step 3',
      content: 'hello from strata\nsecond line\n',
      ghosts: ['/var/log.txt'],
    });
    expect(await page.locator('#slider').inputValue()).toBe('4');

    // A deleted path: struck through in the tree, its content as of just before the step.
    page = await open(`/replay?container=web&position=${at.step3}&path=/var/log.txt`);
    await ready(page, at.step3);
    s = await shown(page);
    expect(s).toMatchObject({
      filePath: '/var/log.txt',
      fileNote: `Deleted at this point; its content as of position ${at.step2}:`,
      content: 'old\n',
    });
    s = await press(page, 'ArrowRight', at.step4!);
    expect(s).toMatchObject({
      fileNote: `/var/log.txt does not exist as of position ${at.step4}.`,
      content: null,
    });

    // A position between points shows the last point at or before it.
    page = await open(`/replay?container=${containerId}&position=${at.step2! + 1}`);
    await ready(page, at.step2);
    s = await shown(page);
    expect(s.command).toBe('$ cat /root/notes.txt');
    expect(s.url).toBe(`/replay?container=${containerId}&position=${at.step2}`);

    page = await open(`/replay?session=${sessionId}&step=2`);
    await ready(page, at.step2);
    expect(await page.locator('.point').count()).toBe(6); // before, 4 steps, exit
    s = await shown(page);
    expect(s).toMatchObject({
      heading: 'Step 2',
      stdout: 'hello from strata\n',
      url: `/replay?session=${sessionId}&step=2`,
    });
    s = await press(page, 'ArrowRight', at.step3!);
    expect(s.url).toBe(`/replay?session=${sessionId}&step=3`);
    expect(await page.getAttribute('#life-link', 'href')).toBe(
      `/replay?container=${containerId}&position=${at.step3}`,
    );
    s = await press(page, 'End', at.stopped!);
    expect(s).toMatchObject({
      heading: 'Session ended',
      eventLabel: 'exit 0, stopped (exit 0)',
      url: `/replay?session=${sessionId}&position=${at.stopped}`,
    });
    s = await press(page, 'Home', at.sessionStarted! - 1);
    expect(s).toMatchObject({ heading: 'Before the session', url: `/replay?session=${sessionId}&step=0` });
    expect(s.rows).not.toContain('/root/notes.txt');
  });

  it('replays a removed container by name, up to its removal', async () => {
    await gql(`mutation { createContainer(image: "ubuntu", name: "gone") { __typename } }`);
    await gql(`mutation { startContainer(container: "gone") { __typename } }`);
    await gql(`mutation { exec(container: "gone", command: "echo bye > /bye.txt") { __typename } }`);
    await gql(`mutation { removeContainer(container: "gone", force: true) { __typename } }`);
    const page = await open('/replay?container=gone');
    await ready(page);
    const labels = await page.locator('.point .label').allTextContents();
    expect(labels.slice(0, 3)).toEqual(['created from ubuntu', 'started', 'echo bye > /bye.txt']);
    expect(labels[labels.length - 1]).toMatch(/removed \(forced\)$/);
    await page.keyboard.press('End');
    await page.waitForSelector('#tree-empty');
    await page.keyboard.press('ArrowLeft');
    await page.waitForSelector('#view[aria-busy="false"] #tree .row[data-path="/bye.txt"]');
  });

  it('opens a large tree only along the changed paths; directories open and close by hand', async () => {
    const packages = Array.from({ length: 300 }, (_, i) => `pkg${String(i).padStart(3, '0')}`);
    await importImage(
      strata,
      memoryImage(
        [
          [
            dir('usr'),
            dir('usr/share'),
            dir('usr/share/doc'),
            ...packages.flatMap((p) => [
              dir(`usr/share/doc/${p}`),
              file(`usr/share/doc/${p}/README`, `${p}\n`),
            ]),
          ],
        ],
        { tag: 'big:latest' },
      ),
    );
    await gql(`mutation { createContainer(image: "big", name: "big") { __typename } }`);
    await gql(`mutation { startContainer(container: "big") { __typename } }`);
    const step = await gql(
      `mutation { exec(container: "big", command: "echo hi >> /usr/share/doc/pkg007/README") { ... on MutationExecSuccess { data { step { position } } } } }`,
    );
    const position = step.exec.data.step.position;
    const page = await open(`/replay?container=big&position=${position}`);
    await ready(page, position);
    let s = await shown(page);
    expect(await page.locator('#tree .state').textContent()).toContain('604 entries'); // / and 603 more: two pages of files
    expect(s.changes).toEqual([
      'C /usr',
      'C /usr/share',
      'C /usr/share/doc',
      'C /usr/share/doc/pkg007',
      'C /usr/share/doc/pkg007/README',
    ]);
    expect(s.rows.slice(0, 5)).toEqual([
      'C /usr',
      'C /usr/share',
      'C /usr/share/doc',
      '/usr/share/doc/pkg000',
      '/usr/share/doc/pkg001',
    ]);
    expect(s.rows).toContain('C /usr/share/doc/pkg007/README');
    expect(s.rows).not.toContain('/usr/share/doc/pkg008/README');
    expect(s.rows).toHaveLength(3 + 300 + 1);
    expect(s.content).toBe('pkg007\nhi\n');
    const pkg8 = '#tree .row[data-path="/usr/share/doc/pkg008"]';
    expect(await page.getAttribute(pkg8, 'aria-expanded')).toBe('false');
    await page.click(pkg8);
    await ready(page, position);
    expect(await page.getAttribute(pkg8, 'aria-expanded')).toBe('true');
    expect((await shown(page)).rows).toContain('/usr/share/doc/pkg008/README');
    // An opened directory stays open at other points; the one opened for the change closes.
    s = await press(page, 'ArrowLeft');
    expect(s.eventLabel).toBe('started');
    expect(s.rows).toContain('/usr/share/doc/pkg008/README');
    expect(s.rows).not.toContain('/usr/share/doc/pkg007/README');
  });

  it('asks for an access token when the server requires one, and sends it as a bearer token', async () => {
    const tokenBase = tokenServer.url.replace(/\/graphql$/, '');
    const page = await open('/replay?container=web', tokenBase);
    await page.waitForSelector('#alert:not([hidden])');
    expect(await page.locator('#alert').textContent()).toMatch(/token/i);
    expect(await page.locator('#auth').getAttribute('open')).not.toBeNull();
    const authorization: string[] = [];
    page.on('request', (r) => {
      if (r.url().endsWith('/graphql')) authorization.push(r.headers().authorization ?? '');
    });
    await page.fill('#token', token);
    await page.click('#token-form button');
    await ready(page, at.created);
    expect(authorization.length).toBeGreaterThan(0);
    expect(new Set(authorization)).toEqual(new Set([`Bearer ${token}`]));
    expect(await page.evaluate(() => sessionStorage.getItem('strata.replay.token'))).toBe(token);
  });

  it('without a container, offers a form and the containers', async () => {
    const page = await open('/replay');
    await page.waitForSelector('#containers a');
    expect(await page.locator('#containers a').allTextContents()).toContain('web');
    await page.fill('#pick-container', 'web');
    await page.click('#start form:first-of-type button');
    await ready(page, at.created);
  });

  it('serves only its own files, with a strict content security policy', async () => {
    const get = (path: string, method = 'GET', headers: Record<string, string> = {}) =>
      new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }>(
        (resolve, reject) => {
          const req = httpRequest(`${base}${path}`, { method, headers }, (res) => {
            let body = '';
            res.setEncoding('utf8');
            res.on('data', (chunk) => {
              body += chunk;
            });
            res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
          });
          req.on('error', reject);
          req.end();
        },
      );
    const page = await get('/replay?container=web');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['content-security-policy']).toContain("connect-src 'self'");
    expect(page.body).toContain('<script type="module" src="/replay/replay.js">');
    const script = await get('/replay/replay.js');
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(
      (await get('/replay/replay.js', 'GET', { 'if-none-match': String(script.headers.etag) })).status,
    ).toBe(304);
    expect((await get('/replay/replay.js', 'HEAD')).body).toBe('');
    for (const path of [
      '/replay/serveReplay.ts',
      '/replay/..%2Fserver%2FstartServer.ts',
      '/replay/../package.json',
      '/replay/nope.js',
    ]) {
      expect((await get(path)).status, path).toBe(404);
    }
    expect((await get('/replay', 'POST')).status).toBe(405);
  });
});
