// Debian's Chromium for console tests, through playwright-core.
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
// Without the background-networking flags Chromium's own connections are refused on this
// closed network and slow every start.
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** A headless Chromium with its own profile folder (the caller removes it after close). */
export function launchChromium(profile: string, locale = 'en-US'): Promise<BrowserContext> {
  return chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS, viewport: { width: 1280, height: 900 }, locale, timezoneId: 'Asia/Shanghai' });
}
