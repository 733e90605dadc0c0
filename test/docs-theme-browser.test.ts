/**
 * The docs site's two themes in headless Chromium: every colour of the palette, and what a
 * few elements draw with it, under each way a theme is chosen (the system's preference, the
 * reader's choice in either system preference). The dark theme is one palette whether the
 * system or the reader picked it; choosing light in a dark system gives the light one.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import { writeDocsSite } from '../src/docs/site.js';
import { launchChromium, type Browser } from './fixtures/docs/browser.js';

declare const window: any;
declare const document: any;
declare function getComputedStyle(el: unknown): any;

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const fixture = (name: string) => JSON.parse(readFileSync(path.join(ROOT, 'test/fixtures/docs/shop', name), 'utf8'));
/** The palette: the custom properties the stylesheet declares with a colour. */
const palette = [
  ...readFileSync(path.join(ROOT, 'docs-site/src/style.css'), 'utf8').matchAll(
    /^\s*(--[\w-]+):[^;]*#[\da-f]{3,8}\b/gim,
  ),
]
  .map((m) => m[1]!)
  .filter((name, i, all) => all.indexOf(name) === i);

let dir = '';
let browser: Browser;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'kiln-docs-theme-'));
  await writeDocsSite(dir, { manifest: fixture('manifest.json'), runResults: fixture('run_results.json') }, {});
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

type Colours = Record<string, string>;

/** Each palette colour as the browser computes it (through a probe element), and a few elements' colours. */
async function colours(system: 'light' | 'dark', chosen: 'light' | 'dark' | null): Promise<Colours> {
  const page: Page = await browser.context.newPage();
  try {
    await page.emulateMedia({ colorScheme: system });
    await page.goto(pathToFileURL(path.join(dir, 'index.html')).href + '#!/model/model.shop.customers');
    await page.waitForFunction(() => window.__kiln?.ready === true, undefined, { timeout: 10000 });
    await page.locator('main .tbadge').first().waitFor();
    return await page.evaluate(
      ({ names, theme }: { names: string[]; theme: string | null }) => {
        if (theme) document.documentElement.setAttribute('data-theme', theme);
        else document.documentElement.removeAttribute('data-theme');
        const out: Record<string, string> = {};
        const probe = document.createElement('span');
        document.body.appendChild(probe);
        for (const name of names) {
          probe.style.color = `var(${name})`;
          out[name] = getComputedStyle(probe).color;
        }
        probe.remove();
        // The lineage export inlines these values into a standalone SVG: each must be a plain colour.
        const root = getComputedStyle(document.documentElement);
        for (const name of names) out[`${name} as written`] = root.getPropertyValue(name).trim();
        const body = getComputedStyle(document.body);
        out['body background'] = body.backgroundColor;
        out['body text'] = body.color;
        out['color-scheme'] = getComputedStyle(document.documentElement).colorScheme;
        const badge = getComputedStyle(document.querySelector('main .tbadge'));
        out['type badge background'] = badge.backgroundColor;
        out['type badge text'] = badge.color;
        return out;
      },
      { names: palette, theme: chosen },
    );
  } finally {
    await page.close();
  }
}

test('each theme has one palette, however it was chosen, with the colours the site has always had', async () => {
  assert.ok(palette.length >= 40, `the palette was read from style.css (${palette.length} colours)`);
  const light = await colours('light', null);
  const dark = await colours('dark', null);
  assert.deepEqual(await colours('dark', 'light'), light, 'light chosen in a dark system');
  // Dark chosen by the reader or preferred by the system: the same palette, type badges' text included.
  for (const system of ['light', 'dark'] as const)
    assert.deepEqual(await colours(system, 'dark'), dark, `dark chosen in a ${system} system`);
  assert.equal(dark['type badge text'], 'rgb(16, 19, 26)');
  for (const name of palette) {
    assert.match(light[`${name} as written`]!, /^#[\da-f]{6}$/, name);
    assert.match(dark[`${name} as written`]!, /^#[\da-f]{6}$/, name);
  }
  assert.equal(light['--t-model as written'], '#2f6fd6');
  assert.equal(dark['--t-model as written'], '#5b93f0');

  assert.deepEqual(
    {
      bg: light['--bg'],
      fg: light['--fg'],
      link: light['--link'],
      model: light['--t-model'],
      bad: light['--s-bad'],
      body: light['body background'],
      text: light['body text'],
      scheme: light['color-scheme'],
      badge: light['type badge background'],
      badgeText: light['type badge text'],
    },
    {
      bg: 'rgb(255, 255, 255)',
      fg: 'rgb(29, 35, 48)',
      link: 'rgb(26, 86, 179)',
      model: 'rgb(47, 111, 214)',
      bad: 'rgb(209, 47, 47)',
      body: 'rgb(255, 255, 255)',
      text: 'rgb(29, 35, 48)',
      scheme: 'light',
      badge: 'rgb(47, 111, 214)',
      badgeText: 'rgb(255, 255, 255)',
    },
  );
  assert.deepEqual(
    {
      bg: dark['--bg'],
      fg: dark['--fg'],
      link: dark['--link'],
      model: dark['--t-model'],
      bad: dark['--s-bad'],
      body: dark['body background'],
      text: dark['body text'],
      scheme: dark['color-scheme'],
      badge: dark['type badge background'],
    },
    {
      bg: 'rgb(20, 23, 28)',
      fg: 'rgb(227, 231, 238)',
      link: 'rgb(130, 180, 255)',
      model: 'rgb(91, 147, 240)',
      bad: 'rgb(255, 107, 107)',
      body: 'rgb(20, 23, 28)',
      text: 'rgb(227, 231, 238)',
      scheme: 'dark',
      badge: 'rgb(91, 147, 240)',
    },
  );
  const differ = palette.filter((name) => light[name] !== dark[name]);
  assert.ok(differ.length >= palette.length - 2, `light and dark differ in ${differ.length} of ${palette.length}`);
});
