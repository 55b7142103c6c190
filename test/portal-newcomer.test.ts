/**
 * A newcomer's first visit, in Chromium: the front page in each language (the choice
 * remembered), a demo e-ID from the demo desk, the e-ID login, "my data", the tracker showing
 * the read "my data" just made with its receipt verified in the browser, a document signed
 * and downloaded, the container validated, and logging out. Then the same main flow with the
 * keyboard alone. Every page on the way passes axe-core (no serious or critical violation).
 */
import { readFile } from 'node:fs/promises'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  PATIENCE,
  PEOPLE,
  expectAccessible,
  focusedElement,
  open,
  pressUntilFocused,
  publishUntil,
  scriptProblems,
  startBrowserPortal,
  usageOf,
  type BrowserPortal,
} from './support/browser.ts'

const JAAK = PEOPLE.jaak
/** The theme's focus colour (src/portal/theme/theme.scss: `focus: #ffb020`). */
const FOCUS = 'rgb(255, 176, 32)'
const MY_DATA_PURPOSE = 'self-service: the person views their own data (my data)'

/** The read of Jaak's population record that "my data" made, once the ledger proves it. */
const myDataRead = async (portal: BrowserPortal) =>
  (await usageOf(portal.t, JAAK)).find(
    (record) => record.registry === 'population' && record.purpose === MY_DATA_PURPOSE,
  )

const htmlLang = (page: Page) => page.getAttribute('html', 'lang')

/** Follows a link (or presses a button) and waits for the page it leads to. */
async function follow(page: Page, selector: string, path: string): Promise<void> {
  await Promise.all([page.waitForURL(`**${path}`), page.click(selector)])
}

/** Waits for the tracker page to have checked every receipt; returns its summary's numbers. */
async function trackerProofs(page: Page): Promise<{ verified: number; failed: number }> {
  const template = (await page.getAttribute('#tracker-proofs', 'data-template')) ?? ''
  const pattern = new RegExp(
    template
      .replace(/[.*+?^$()|[\]\\]/g, '\\$&')
      .replace('{verified}', '(?<verified>\\d+)')
      .replace('{failed}', '(?<failed>\\d+)'),
  )
  await expect
    .poll(() => page.textContent('#tracker-proofs'), { timeout: PATIENCE })
    .toMatch(pattern)
  const groups = pattern.exec((await page.textContent('#tracker-proofs')) ?? '')?.groups ?? {}
  return { verified: Number(groups.verified), failed: Number(groups.failed) }
}

/** The tracker's rows that carry a receipt: when, who, agency, data, why, proof. */
const trackerRows = (page: Page) =>
  page.$$eval('tr[data-receipt]', (rows) =>
    rows.map((row) =>
      [...(row as HTMLTableRowElement).cells].map((cell) => cell.textContent?.trim() ?? ''),
    ),
  )

describe('a newcomer in Chromium', () => {
  let portal: BrowserPortal
  beforeAll(async () => {
    portal = await startBrowserPortal()
  }, 180_000)
  afterAll(() => portal?.close())

  it('switches language, gets a demo e-ID, logs in, sees my data and its proved read, signs, validates and logs out', async () => {
    const { t, url } = portal
    const page = await portal.newPage()
    const problems = scriptProblems(page)

    // The front page: Estonian first, then English and Russian through the switch's links.
    await open(page, url, '/')
    expect(await htmlLang(page)).toBe('et')
    await expectAccessible(page, 'the front page in et')
    for (const language of ['en', 'ru']) {
      await follow(
        page,
        `a.govuk-language-navigation__link[hreflang="${language}"]`,
        `/?lang=${language}`,
      )
      expect(await htmlLang(page)).toBe(language)
      expect(
        await page.getAttribute(
          `.govuk-language-navigation__link[hreflang="${language}"]`,
          'aria-current',
        ),
      ).toBe('true')
      await expectAccessible(page, `the front page in ${language}`)
    }
    // Without ?lang the browser's last choice holds.
    await open(page, url, '/')
    expect(await htmlLang(page)).toBe('ru')
    expect(await page.textContent('h1')).toBe('Электронные услуги государства')

    // The demo desk: the keys are made in this browser, the demo clerk issues the certificates.
    await follow(page, 'main a[href="/dev/desk"]', '/dev/desk')
    await expectAccessible(page, 'the demo desk')
    await page.check(`input[name="resident"][value="${JAAK.personalCode}"]`)
    await page.click('#demo-eid-issue')
    await page.locator('#demo-next').waitFor({ state: 'visible', timeout: PATIENCE })
    expect(await page.textContent('#demo-status')).toBe('Готово: теперь в этом браузере есть e-ID.')
    await expectAccessible(page, 'the demo desk, done')

    // The login with it.
    await follow(page, '#demo-next a', '/login')
    expect(await htmlLang(page)).toBe('ru')
    await expectAccessible(page, 'the login page')
    await page.waitForFunction(() => 'estate' in globalThis, null, { timeout: PATIENCE })
    await page.click('#login')
    await expect
      .poll(() => page.textContent('#status'), { timeout: PATIENCE })
      .toContain(`JAAK-KRISTJAN JÕEORG (${JAAK.personalCode})`)

    // My data: the population register's record, read for this person.
    await follow(page, 'nav a[href="/my-data"]', '/my-data')
    expect(await page.textContent('h1')).toBe('Мои данные')
    const personal = await page.locator('main .govuk-summary-list').first().textContent()
    expect(personal).toContain(`${JAAK.given} ${JAAK.surname}`)
    expect(personal).toContain(JAAK.personalCode)
    expect(await page.textContent('.estate-session')).toContain('JAAK-KRISTJAN JÕEORG')
    await expectAccessible(page, 'my data')

    // The tracker: that read, once a published checkpoint covers it, proved in the browser.
    await publishUntil(t, async () => (await myDataRead(portal))?.ledger.receipt != null)
    await follow(page, 'main a[href="/tracker"]', '/tracker')
    const proofs = await trackerProofs(page)
    expect(proofs.failed).toBe(0)
    expect(proofs.verified).toBeGreaterThan(0)
    const rows = await trackerRows(page)
    const read = rows.find(
      (cells) => cells[3] === 'population.person' && cells[4] === MY_DATA_PURPOSE,
    )
    expect(read, JSON.stringify(rows)).toBeDefined()
    expect(read?.[1]).toBe(`${JAAK.given} ${JAAK.surname}`)
    expect(read?.[5]).toBe('проверено')
    await expectAccessible(page, 'the tracker')

    // Signing: the browser's signing key signs what the server prepared; the container downloads.
    await follow(page, 'nav a[href="/sign"]', '/sign')
    await expectAccessible(page, 'the signing page')
    await page.setInputFiles('#sign-files', {
      name: 'contract.txt',
      mimeType: 'text/plain',
      buffer: Buffer.from('I, Jaak-Kristjan, agree.\n'),
    })
    await page.click('#sign-button')
    await page.locator('#sign-download').waitFor({ state: 'visible', timeout: PATIENCE })
    expect(await page.textContent('#sign-status')).toBe('Подписано: скачайте контейнер.')
    await expectAccessible(page, 'the signing page, signed')
    const [download] = await Promise.all([
      page.waitForEvent('download', { timeout: PATIENCE }),
      page.click('#sign-download'),
    ])
    expect(download.suggestedFilename()).toBe('contract.asice')
    const containerPath = await download.path()
    const container = await readFile(containerPath)
    expect(container.subarray(0, 4).toString('latin1')).toBe('PK\u0003\u0004')

    // The container holds: by the validation service directly, and through its page.
    const validated = await t.inject({
      method: 'POST',
      url: '/signatures/validate',
      headers: { 'content-type': 'application/vnd.etsi.asic-e+zip' },
      payload: container,
    })
    expect(validated.statusCode, validated.body).toBe(200)
    const conclusion = validated.json().validationReport.validationConclusion
    expect(conclusion.signaturesCount).toBe(1)
    expect(conclusion.signatures[0]).toMatchObject({ indication: 'TOTAL-PASSED' })
    expect(conclusion.signatures[0].signedBy).toContain(JAAK.personalCode)
    await follow(page, 'main a[href="/validate"]', '/validate')
    await expectAccessible(page, 'the validation page')
    await page.setInputFiles('#validate-file', containerPath)
    await page.click('#validate-button')
    await expect
      .poll(() => page.textContent('#validate-status'), { timeout: PATIENCE })
      .toBe('Действительных подписей: 1 из 1.')
    expect(
      await page.$$eval('#validate-signatures li', (items) =>
        items.map((item) => item.getAttribute('data-indication')),
      ),
    ).toEqual(['TOTAL-PASSED'])
    await expectAccessible(page, 'the validation page, validated')

    // Logging out (the header's button): the session is over for this browser.
    await follow(page, '.estate-session__logout', '/')
    expect(await page.locator('.estate-session').count()).toBe(0)
    // Asked from the login page: the only one whose policy lets its script connect.
    await open(page, url, '/login')
    expect(await page.evaluate(async () => (await fetch('/auth/session')).status)).toBe(401)
    expect(problems).toEqual([])
  }, 240_000)

  it('does the main flow with the keyboard alone, the focus visible where it lands', async () => {
    const { t, url } = portal
    const page = await portal.newPage()
    const problems = scriptProblems(page)
    const keyboard = page.keyboard
    const myDataReads = async () =>
      (await usageOf(t, JAAK)).filter(
        (record) => record.registry === 'population' && record.purpose === MY_DATA_PURPOSE,
      )
    const readsBefore = (await myDataReads()).length
    /** Enter on the focused link or button, and the page it leads to. */
    const enter = (path: string) =>
      Promise.all([page.waitForURL(`**${path}`), keyboard.press('Enter')])
    /** The skip link comes first on every page; Enter on it moves the focus to the content. */
    const skipToContent = async () => {
      await keyboard.press('Tab')
      expect(await focusedElement(page)).toMatchObject({
        text: 'Skip to main content',
        href: '#main-content',
      })
      await keyboard.press('Enter')
      expect(await focusedElement(page)).toMatchObject({ tag: 'main', id: 'main-content' })
    }

    await open(page, url, '/?lang=en')
    await skipToContent()
    // Past the content: the header's links come first from the top of the page.
    await open(page, url, '/')
    await keyboard.press('Tab')
    await keyboard.press('Tab')
    const home = await focusedElement(page)
    expect(home).toMatchObject({ tag: 'a', href: '/', text: 'e-state' })
    // The theme's focus (amber behind dark text, a dark bar beneath) shows where the focus is.
    expect(home.background).toBe(FOCUS)
    expect(home.shadow).toContain(FOCUS)
    await pressUntilFocused(
      page,
      'Tab',
      (f) => f.href === '/dev/desk' && !f.inMain,
      'the demo desk in the menu',
    )
    await enter('/dev/desk')

    // The demo desk: the first resident is chosen; Space keeps the choice, Enter sends it.
    await skipToContent()
    await keyboard.press('Tab')
    expect(await page.evaluate(() => (document.activeElement as HTMLInputElement).value)).toBe(
      JAAK.personalCode,
    )
    await keyboard.press('Space')
    expect(await page.isChecked(`input[value="${JAAK.personalCode}"]`)).toBe(true)
    await keyboard.press('Tab')
    const issue = await focusedElement(page)
    expect(issue).toMatchObject({ id: 'demo-eid-issue', text: 'Get a demo e-ID' })
    expect(issue.background).toBe(FOCUS)
    await keyboard.press('Enter')
    await page.locator('#demo-next').waitFor({ state: 'visible', timeout: PATIENCE })
    await keyboard.press('Tab')
    expect(await focusedElement(page)).toMatchObject({
      text: 'Log in with your new e-ID',
      href: '/login',
    })
    await enter('/login')

    // The login: its button is the content's first stop.
    await skipToContent()
    await keyboard.press('Tab')
    expect(await focusedElement(page)).toMatchObject({ id: 'login', text: 'Log in with e-ID' })
    await page.waitForFunction(() => 'estate' in globalThis, null, { timeout: PATIENCE })
    await keyboard.press('Enter')
    await expect
      .poll(() => page.textContent('#status'), { timeout: PATIENCE })
      .toContain(`(${JAAK.personalCode})`)

    // Back up into the menu for "my data".
    await pressUntilFocused(
      page,
      'Shift+Tab',
      (f) => f.href === '/my-data' && !f.inMain,
      'my data in the menu',
    )
    await enter('/my-data')
    expect(await page.textContent('main .govuk-summary-list')).toContain(JAAK.personalCode)

    // From the content to the tracker, once the ledger proves this read too.
    await publishUntil(t, async () => {
      const reads = await myDataReads()
      return reads.length > readsBefore && reads.every((record) => record.ledger.receipt !== null)
    })
    await skipToContent()
    await pressUntilFocused(
      page,
      'Tab',
      (f) => f.href === '/tracker' && f.inMain,
      'the tracker link of my data',
    )
    await enter('/tracker')
    const proofs = await trackerProofs(page)
    expect(proofs).toMatchObject({ failed: 0 })
    const verifiedReads = (await trackerRows(page)).filter(
      (cells) => cells[3] === 'population.person' && cells[4] === MY_DATA_PURPOSE,
    )
    expect(verifiedReads.length).toBeGreaterThan(readsBefore)
    expect(verifiedReads.map((cells) => cells[5])).toEqual(verifiedReads.map(() => 'verified'))

    // Logging out: Shift+Tab up to the header's button, Space presses it.
    const logout = await pressUntilFocused(
      page,
      'Shift+Tab',
      (f) => f.text === 'Log out',
      'the log-out button',
    )
    expect(logout.tag).toBe('button')
    expect(logout.background).toBe(FOCUS)
    await Promise.all([page.waitForURL(`${url}/`), keyboard.press('Space')])
    await open(page, url, '/login')
    expect(await page.evaluate(async () => (await fetch('/auth/session')).status)).toBe(401)
    expect(problems).toEqual([])
  }, 240_000)
})
