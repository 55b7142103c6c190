// The portal in a real browser: a test app listening on a free loopback port (its public URL
// the one the browser opens), the system Chromium driven by playwright-core, and the steps the
// portal's browser tests share — a demo e-ID from the demo desk, the e-ID login, the ledger
// published, axe-core's check of a page, a screenshot.
//
//   let portal: BrowserPortal
//   beforeAll(async () => { portal = await startBrowserPortal() }, 180_000)
//   afterAll(() => portal?.close())
//   it('…', async () => {
//     const page = await portal.newPage()
//     await page.goto(`${portal.url}/`)
//     await expectAccessible(page, 'the front page')
//   })
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import axe from 'axe-core'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import { expect } from 'vitest'
import { startTestApp, type TestApp } from './app.ts'
import { freePort } from './net.ts'

/** A condition in a busy CI machine's terms: long enough never to be the reason a test fails. */
export const PATIENCE = 60_000

export const SCREENSHOTS = join(import.meta.dirname, '..', '..', 'docs', 'screenshots')

export const PEOPLE = {
  jaak: { personalCode: '38001085718', given: 'Jaak-Kristjan', surname: 'Jõeorg' },
  mari: { personalCode: '48707032744', given: 'Mari', surname: 'Maasikas' },
  ivan: { personalCode: '39001010000', given: 'Ivan', surname: 'Ivanov' },
} as const

export type Person = (typeof PEOPLE)[keyof typeof PEOPLE]

export interface BrowserPortal {
  readonly t: TestApp
  /** `http://localhost:<port>`: the app's public URL, so its forms' origin check passes. */
  readonly url: string
  readonly browser: Browser
  /** A fresh browser (its own cookies and IndexedDB), 1280×900. */
  newContext(): Promise<BrowserContext>
  newPage(): Promise<Page>
  close(): Promise<void>
}

export async function startBrowserPortal(population = 200): Promise<BrowserPortal> {
  const port = await freePort()
  const url = `http://localhost:${port}`
  const t = await startTestApp('sqlite', {
    env: { E_STATE_PUBLIC_URL: url, PORT: String(port) },
    // The ledger drains itself as in production: a stopped drain would, after its bound of
    // tens of seconds, make the door refuse every read (ACCESS_LOG_BACKLOG, fail-closed) in
    // the middle of a long browser test. `publishUntil` still drains at once when it waits.
    population,
  })
  let browser: Browser | undefined
  try {
    await t.app.server.listen({ host: '127.0.0.1', port })
    browser = await launchChromium()
  } catch (error) {
    await t.close()
    throw error
  }
  const started = browser
  const contexts: BrowserContext[] = []
  const newContext = async () => {
    const context = await started.newContext({ viewport: { width: 1280, height: 900 } })
    contexts.push(context)
    return context
  }
  return {
    t,
    url,
    browser: started,
    newContext,
    newPage: async () => (await newContext()).newPage(),
    close: async () => {
      try {
        await started.close()
      } finally {
        await t.close()
      }
    },
  }
}

/** The system Chromium (never a downloaded one), with the flags the CI machine needs. */
function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    timeout: PATIENCE,
  })
}

/** What the portal's script puts on `globalThis.estate` (src/portal/browser/app.ts). */
export interface PageApi {
  verifyReceipt(receipt: unknown): Promise<boolean>
}

/**
 * What went wrong in the page's script: uncaught errors and the CSP's refusals (each would mean
 * a page that works in a test's request but not in a browser). Read it at the end of a test.
 */
export function scriptProblems(page: Page): string[] {
  const problems: string[] = []
  page.on('pageerror', (error) => problems.push(`${page.url()}: ${error.message}`))
  page.on('console', (message) => {
    if (message.type() === 'error' && /Content Security Policy|Refused to/.test(message.text()))
      problems.push(`${page.url()}: ${message.text()}`)
  })
  return problems
}

/** Opens `path` and checks it answered `status` (an error page is a page too). */
export async function open(page: Page, url: string, path: string, status = 200): Promise<void> {
  const response = await page.goto(`${url}${path}`)
  const code = await page
    .locator('#error-code')
    .getAttribute('data-code', { timeout: 1 })
    .catch(() => null)
  expect(response?.status(), `${path} answered ${response?.status()} ${code ?? ''}`).toBe(status)
}

/**
 * axe-core on the page as it is now: no violation of impact serious or critical. Injected with
 * `evaluate` (the CSP forbids a script tag of another origin, rightly). Returns the milder
 * violations, for the caller to report.
 */
export async function expectAccessible(page: Page, label: string): Promise<AxeFinding[]> {
  const findings = await axeFindings(page)
  const grave = findings.filter((finding) => ['serious', 'critical'].includes(finding.impact))
  expect(grave, `${label} (${page.url()}): ${describeFindings(grave)}`).toEqual([])
  return findings
}

export interface AxeFinding {
  readonly id: string
  readonly impact: string
  readonly help: string
  readonly targets: string[]
}

async function axeFindings(page: Page): Promise<AxeFinding[]> {
  if (!(await page.evaluate(() => 'axe' in globalThis))) await page.evaluate(axe.source)
  const results = await page.evaluate(() =>
    (globalThis as unknown as { axe: typeof axe }).axe.run(document, {
      resultTypes: ['violations'],
    }),
  )
  return results.violations.map((violation) => ({
    id: violation.id,
    impact: violation.impact ?? 'unknown',
    help: violation.help,
    targets: violation.nodes.map((node) => node.target.join(' ')),
  }))
}

export function describeFindings(findings: readonly AxeFinding[]): string {
  return findings
    .map(
      (finding) =>
        `${finding.id} [${finding.impact}] ${finding.help}: ${finding.targets.join(', ')}`,
    )
    .join('; ')
}

/** A full-page PNG in docs/screenshots/. */
export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(SCREENSHOTS, { recursive: true })
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true })
}

/** Sends the page's form by its submit button; answers the status of the post. */
export async function submitForm(page: Page): Promise<number> {
  const [response] = await Promise.all([
    page.waitForResponse(
      (reply) =>
        reply.request().method() === 'POST' &&
        new URL(reply.url()).pathname === new URL(page.url()).pathname,
      { timeout: PATIENCE },
    ),
    page.click('main form button[type="submit"]'),
  ])
  await page.waitForLoadState()
  return response.status()
}

/** The demo desk: this browser makes the keys, the demo clerk issues the certificates. */
export async function getDemoEid(page: Page, url: string, person: Person): Promise<void> {
  await open(page, url, '/dev/desk')
  await page.check(`input[name="resident"][value="${person.personalCode}"]`)
  await page.click('#demo-eid-issue')
  await page.locator('#demo-next').waitFor({ state: 'visible', timeout: PATIENCE })
}

/** The e-ID login on /login, with the e-ID this browser holds. */
export async function loginWithEid(page: Page, url: string, person: Person): Promise<void> {
  await open(page, url, '/login')
  await page.waitForFunction(() => 'estate' in globalThis, null, { timeout: PATIENCE })
  await page.click('#login')
  await page.waitForFunction(
    (code) => document.querySelector('#status')?.textContent?.includes(`(${code})`) === true,
    person.personalCode,
    { timeout: PATIENCE },
  )
}

/** The element that has the keyboard's focus, as a test compares it. */
export interface Focused {
  readonly tag: string
  readonly id: string
  readonly text: string
  readonly href: string | null
  readonly inMain: boolean
  /** The computed focus style: govuk-frontend's is a focus-coloured background. */
  readonly background: string
  readonly shadow: string
}

export function focusedElement(page: Page): Promise<Focused> {
  return page.evaluate(() => {
    const element = document.activeElement ?? document.body
    const style = getComputedStyle(element)
    return {
      tag: element.tagName.toLowerCase(),
      id: element.id,
      text: (element.textContent ?? '').replace(/\s+/g, ' ').trim(),
      href: element.getAttribute('href'),
      inMain: element.closest('main') !== null,
      background: style.backgroundColor,
      shadow: style.boxShadow,
    }
  })
}

/** Presses `key` until the focus is on what `wanted` accepts (failing after `limit` presses). */
export async function pressUntilFocused(
  page: Page,
  key: 'Tab' | 'Shift+Tab',
  wanted: (focused: Focused) => boolean,
  what: string,
  limit = 60,
): Promise<Focused> {
  const seen: string[] = []
  for (let press = 0; press < limit; press++) {
    await page.keyboard.press(key)
    const focused = await focusedElement(page)
    if (wanted(focused)) return focused
    seen.push(`${focused.tag}#${focused.id} "${focused.text.slice(0, 30)}"`)
  }
  throw new Error(`${key} never reached ${what} on ${page.url()}; it went: ${seen.join(' → ')}`)
}

/**
 * Drains the ledger's outbox and publishes until `ready` holds (the tracker's receipt exists
 * once a published checkpoint covers the record's entry).
 */
export async function publishUntil(t: TestApp, ready: () => Promise<boolean>): Promise<void> {
  await waitUntil(async () => {
    while ((await t.app.platform().ledger.drainOnce()) > 0);
    return ready()
  }, 'the ledger to publish what the test waits for')
}

/** Asks `condition` again (a fifth of a second apart) until it holds; fails after PATIENCE. */
export async function waitUntil(condition: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + PATIENCE
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

/** The tracker's records of `person`, as the state portal's member system asks for them. */
export async function usageOf(
  t: TestApp,
  person: Person,
): Promise<
  {
    official: string
    registry: string
    data: string
    purpose: string
    ledger: { index: number | null; receipt: unknown }
  }[]
> {
  const reply = await t.inject({
    url: '/tracker/usage?limit=100',
    headers: { ...t.headers('RIA'), 'x-road-userid': `EE${person.personalCode}` },
  })
  expect(reply.statusCode, reply.body).toBe(200)
  return reply.json().records
}
