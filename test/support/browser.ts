import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

/** Debian's Chromium (installed by .ci/run): no browser download, ever. */
export const chromiumPath = '/usr/bin/chromium';

export const hasChromium = (): boolean => existsSync(chromiumPath);

/** Headless Chromium with the flags this sandbox needs (no background networking: it has no internet). */
export function launchChromium(): Promise<Browser> {
  if (!hasChromium())
    throw new Error(`${chromiumPath} is missing: run scripts/install-test-tools.sh (apt package chromium)`);
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
