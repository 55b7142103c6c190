/**
 * A clerk at the service desk, in Chromium: Mari (a clerk of the Ministry of the Interior)
 * gets a demo e-ID, logs in, chooses English, opens the desk and its e-ID form. Sent without
 * the identity document checked, the form comes back (400, still in English) with the error
 * summary linking to the field and the field's own message; with it checked and a key request
 * made by Ivan's "card" (node:crypto here), the e-ID is issued — and Ivan's data tracker shows
 * the act and the population register's read, each naming the clerk and "present in person".
 * Then, with the keyboard alone, the desk's other act: Ivan's data shown to him at the desk.
 */
import { generateKeyPairSync, sign } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  PEOPLE,
  expectAccessible,
  focusedElement,
  getDemoEid,
  loginWithEid,
  open,
  pressUntilFocused,
  publishUntil,
  scriptProblems,
  startBrowserPortal,
  submitForm,
  usageOf,
  type BrowserPortal,
} from './support/browser.ts'

const MARI = PEOPLE.mari
const IVAN = PEOPLE.ivan

/** The key request an ID card makes: two P-384 keys, each proving itself (identity/possession.ts). */
function keyRequestFor(personalCode: string): string {
  const proven = (dsaEncoding: 'ieee-p1363' | 'der') => {
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-384' })
    const publicKey = pair.publicKey.export({ type: 'spki', format: 'der' }).toString('base64')
    const message = Buffer.from(`e-state e-ID key\n${personalCode}\n${publicKey}\n`, 'utf8')
    const proof = sign('sha384', message, { key: pair.privateKey, dsaEncoding })
    return { publicKey, proof: proof.toString('base64') }
  }
  return JSON.stringify({ auth: proven('ieee-p1363'), sign: proven('der') })
}

describe('a clerk at the service desk in Chromium', () => {
  let portal: BrowserPortal
  beforeAll(async () => {
    portal = await startBrowserPortal()
  }, 180_000)
  afterAll(() => portal?.close())

  it('issues an e-ID to a resident present in person, refusing it until the document is checked', async () => {
    const { t, url } = portal
    const page = await portal.newPage()
    const problems = scriptProblems(page)
    await getDemoEid(page, url, MARI)
    await loginWithEid(page, url, MARI)

    // The desk, in English (chosen with the switch, then remembered).
    await open(page, url, '/desk')
    expect(await page.textContent('h1')).toBe('Teenindus')
    await Promise.all([
      page.waitForURL('**/desk?lang=en'),
      page.click('a.govuk-language-navigation__link[hreflang="en"]'),
    ])
    expect(await page.textContent('h1')).toBe('Service desk')
    await expectAccessible(page, 'the desk')
    await Promise.all([page.waitForURL('**/desk/eid'), page.click('main a[href="/desk/eid"]')])
    expect(await page.getAttribute('html', 'lang')).toBe('en')
    expect(await page.textContent('h1')).toBe('Issue an e-ID')
    await expectAccessible(page, 'the e-ID form')

    // Without the document checked: the form comes back with what is wrong.
    const keyRequest = keyRequestFor(IVAN.personalCode)
    await page.fill('#personalCode', IVAN.personalCode)
    await page.fill('#keyRequest', keyRequest)
    expect(await submitForm(page)).toBe(400)
    expect(await page.getAttribute('html', 'lang')).toBe('en')
    expect(await page.title()).toBe('Error: Issue an e-ID – e-state')
    expect(await page.textContent('.govuk-error-summary__title')).toContain('There is a problem')
    // govuk-frontend's script moves the focus to the summary, so a screen reader reads it first.
    await expect
      .poll(() => page.evaluate(() => document.activeElement?.className))
      .toContain('govuk-error-summary')
    const links = await page.$$eval('.govuk-error-summary__list a', (found) =>
      found.map((link) => ({
        href: link.getAttribute('href'),
        code: link.dataset.code,
        text: link.textContent?.trim(),
      })),
    )
    expect(links).toEqual([
      {
        href: '#documentChecked',
        code: 'FIELD_REQUIRED',
        text: "I have checked the resident's identity document: Check the resident's identity document before issuing",
      },
    ])
    expect(await page.textContent('#documentChecked-error')).toContain(
      "Check the resident's identity document before issuing",
    )
    expect(await page.getAttribute('#documentChecked', 'aria-describedby')).toContain(
      'documentChecked-error',
    )
    // What was typed is kept; only the missing tick is asked for.
    expect(await page.inputValue('#personalCode')).toBe(IVAN.personalCode)
    expect(await page.inputValue('#keyRequest')).toBe(keyRequest)
    await expectAccessible(page, 'the e-ID form with errors')
    // The summary's link takes the focus to the checkbox; Space ticks it.
    await page.click('.govuk-error-summary__list a[href="#documentChecked"]')
    expect(await focusedElement(page)).toMatchObject({ tag: 'input', id: 'documentChecked' })
    await page.keyboard.press('Space')
    expect(await page.isChecked('#documentChecked')).toBe(true)

    // Now it is issued.
    expect(await submitForm(page)).toBe(200)
    expect(await page.textContent('.govuk-panel__title')).toContain('e-ID issued')
    expect(await page.textContent('.govuk-panel__body')).toContain(
      `For resident ${IVAN.personalCode}`,
    )
    const serials = await page.$$eval('.govuk-summary-list__value', (values) =>
      values.map((value) => value.textContent?.trim() ?? ''),
    )
    expect(serials).toHaveLength(2)
    await expectAccessible(page, 'the e-ID issued')
    const held = await t.app.platform().pki.certificatesOf(IVAN.personalCode)
    expect(
      held.filter((certificate) => serials.includes(certificate.serial)).map((c) => c.status),
    ).toEqual(['good', 'good'])

    // Ivan's tracker, as the state portal shows it him: the act and the read, the clerk's.
    const purpose = `e-ID issuance: by clerk ${MARI.personalCode} at the service desk, for resident ${IVAN.personalCode} present in person`
    const deskRecords = async () =>
      (await usageOf(t, IVAN)).filter((record) => record.purpose === purpose)
    await publishUntil(t, async () => {
      const records = await deskRecords()
      return records.length >= 2 && records.every((record) => record.ledger.receipt !== null)
    })
    const records = await deskRecords()
    expect(records.map((record) => `${record.registry}: ${record.data}`).sort()).toEqual([
      'population: population.person',
      'service-desk: e-ID issuance',
    ])
    for (const record of records) expect(record.official).toBe(`${MARI.given} ${MARI.surname}`)

    // The desk's other act, with the keyboard alone: Tab to it from the desk, type Ivan's code,
    // Space ticks the document, Enter shows his data.
    await open(page, portal.url, '/desk')
    await pressUntilFocused(
      page,
      'Tab',
      (f) => f.href === '/desk/my-data' && f.inMain,
      'the desk act "Show a resident their data"',
    )
    await Promise.all([page.waitForURL('**/desk/my-data'), page.keyboard.press('Enter')])
    await pressUntilFocused(page, 'Tab', (f) => f.id === 'personalCode', 'the code field')
    await page.keyboard.type(IVAN.personalCode)
    await pressUntilFocused(page, 'Tab', (f) => f.id === 'documentChecked', 'the checkbox')
    await page.keyboard.press('Space')
    await Promise.all([
      page.waitForURL('**/desk/my-data'),
      page.waitForResponse((reply) => reply.request().method() === 'POST'),
      pressUntilFocused(page, 'Tab', (f) => f.tag === 'button', 'the button').then(() =>
        page.keyboard.press('Enter'),
      ),
    ])
    await page.waitForLoadState()
    expect(await page.textContent('h1')).toBe(`Data of resident ${IVAN.personalCode}`)
    expect(await page.textContent('main')).toContain('Ivan Ivanov')
    await expectAccessible(page, "a resident's data at the desk")
    expect(problems).toEqual([])
  }, 240_000)
})
