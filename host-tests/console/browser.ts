// Headless Chromium for the console tests: Debian's chromium (apt-get install chromium) driven by
// playwright-core, which downloads no browser of its own. CHROMIUM names another binary.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

// The few DOM calls the page functions below make (this program has no DOM types: they run in the page).
declare const document: { querySelector(s: string): { textContent: string | null; getAttribute(n: string): string | null } | null };

export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

// What works in a container as root without a GPU, with nothing reaching out to the network.
const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface Browser {
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

export async function openBrowser(viewport = { width: 1440, height: 900 }): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'xs-lwm2m-chromium-')); // a fresh --user-data-dir each run
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ARGS, viewport });
  const page = context.pages()[0] ?? (await context.newPage());
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  return {
    context,
    page,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
      if (errors.length) throw new Error(`the page threw: ${errors.join('; ')}`);
    },
  };
}

/** Resolves with the element's numeric attribute once it is at least `min`. */
export async function untilAtLeast(page: Page, selector: string, attribute: string, min: number, timeout = 30_000): Promise<number> {
  await page.waitForFunction(
    ([sel, attr, n]) => Number(document.querySelector(sel)?.getAttribute(attr)) >= n,
    [selector, attribute, min] as const,
    { timeout },
  );
  return Number(await page.locator(selector).first().getAttribute(attribute));
}

/** Resolves once the element's text matches; a timeout names what was there instead. */
export async function untilText(page: Page, selector: string, re: RegExp, timeout = 20_000): Promise<string> {
  try {
    await page.waitForFunction(
      ([sel, src, flags]) => new RegExp(src, flags).test(document.querySelector(sel)?.textContent ?? ''),
      [selector, re.source, re.flags] as const,
      { timeout },
    );
  } catch {
    throw new Error(
      `${selector}: no text matching ${re} (it shows ${JSON.stringify(
        await page
          .locator(selector)
          .first()
          .textContent()
          .catch(() => null),
      )})`,
    );
  }
  return (await page.locator(selector).first().textContent()) ?? '';
}
