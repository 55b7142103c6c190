/**
 * The login page in a real browser (the system Chromium, driven by playwright-core): a
 * non-extractable WebCrypto key stands in for the ID card, a certificate is issued for it at the
 * service desk, the page logs in by the Web eID protocol, and the person's data tracker shows
 * each read with its ledger receipt verified in the browser — and a doctored receipt fails there.
 */
import { createPublicKey } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Receipt } from '../src/ledger/index.ts'
import { OID } from '../src/trust/index.ts'
import { startTestApp, type TestApp } from './support/app.ts'
import { freePort } from './support/net.ts'

const JAAK = '38001085718'

/** What the page puts on `globalThis.estate` (src/portal/browser/app.ts). */
interface PageApi {
  addPasskey(): Promise<string>
  createKey(): Promise<string>
  installCertificate(certificate: string): Promise<void>
  verifyReceipt(receipt: unknown): Promise<boolean>
}
declare const estate: PageApi

describe('the login page in Chromium', () => {
  let t: TestApp
  let browser: Browser
  let page: Page
  let url: string
  const profile = mkdtempSync(join(tmpdir(), 'e-state-chromium-'))

  beforeAll(async () => {
    const port = await freePort()
    url = `http://localhost:${port}`
    t = await startTestApp('sqlite', {
      env: { E_STATE_PUBLIC_URL: url, PORT: String(port) },
      options: { drainIntervalMs: 0 },
    })
    await t.app.server.listen({ host: '127.0.0.1', port })
    browser = await chromium.launch({
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
      timeout: 60_000,
    })
    page = await (await browser.newContext()).newPage()
  }, 120_000)
  afterAll(async () => {
    await browser?.close()
    await t?.close()
    rmSync(profile, { recursive: true, force: true })
  })

  it('logs in with a browser-held e-ID and verifies the tracker receipts in the page', async () => {
    // A police officer read Jaak's record; the read is in the ledger.
    const read = await t.inject({
      url: `/data/population/1.0?query.personalCode=${JAAK}`,
      headers: { ...t.headers('PPA'), 'x-road-userid': 'EE39001010000', 'x-road-issue': 'case 12' },
    })
    expect(read.statusCode).toBe(200)
    await t.app.platform().ledger.drainOnce()

    const response = await page.goto(`${url}/login`)
    expect(response?.headers()['content-security-policy']).toContain("script-src 'self'")
    await page.waitForFunction(() => 'estate' in globalThis)
    // The card's key is made in the browser and never leaves it: only its public half comes out.
    const spki = await page.evaluate(() => estate.createKey())
    const exportable = await page.evaluate(async () => {
      const request = indexedDB.open('e-state', 1)
      const db: IDBDatabase = await new Promise(
        (resolve) => (request.onsuccess = () => resolve(request.result)),
      )
      const eid: { keys: CryptoKeyPair } = await new Promise((resolve) => {
        const get = db.transaction('eid').objectStore('eid').get('card')
        get.onsuccess = () => resolve(get.result)
      })
      return eid.keys.privateKey.extractable
    })
    expect(exportable).toBe(false)
    // The service desk issues the certificate for that key.
    const issued = await t.app.platform().pki.issue({
      kind: 'auth',
      holder: JAAK,
      publicKey: createPublicKey({ key: Buffer.from(spki, 'base64'), format: 'der', type: 'spki' }),
      subject: [
        [OID.countryName, 'EE'],
        [OID.commonName, `JÕEORG,JAAK-KRISTJAN,${JAAK}`],
        [OID.surname, 'JÕEORG'],
        [OID.givenName, 'JAAK-KRISTJAN'],
        [OID.serialNumber, `PNOEE-${JAAK}`],
      ],
    })
    await page.evaluate(
      (certificate) => estate.installCertificate(certificate),
      issued.der.toString('base64'),
    )

    await page.click('#login')
    await page.waitForFunction(() => document.querySelector('#summary')?.textContent !== '', null, {
      timeout: 30_000,
    })
    expect(await page.textContent('#status')).toBe(`Logged in as JAAK-KRISTJAN JÕEORG (${JAAK})`)
    const summary = await page.textContent('#summary')
    expect(summary).toMatch(/proved in the ledger/)
    expect(summary).not.toContain('FAILED')
    const proofs = await page.$$eval('#tracker td.proof', (cells) =>
      cells.map((cell) => cell.textContent),
    )
    expect(proofs).toContain('verified')
    const cookies = await page.context().cookies()
    expect(cookies.find((cookie) => cookie.name === '__Host-estate_session')).toMatchObject({
      httpOnly: true,
      sameSite: 'Strict',
    })

    // The same receipt, doctored, fails in the browser.
    const receipt = await page.evaluate(async () => {
      const reply = await fetch('/tracker/usage?limit=100')
      const body = await reply.json()
      return body.records.find(
        (record: { ledger: { receipt: Receipt | null } }) => record.ledger.receipt !== null,
      ).ledger.receipt as Receipt & { opening: { salt: string; values: unknown[] } }
    })
    expect(await page.evaluate((r) => estate.verifyReceipt(r), receipt)).toBe(true)
    const doctored = {
      ...receipt,
      opening: {
        ...receipt.opening,
        values: receipt.opening.values.map((v: unknown) => (v === 'case 12' ? 'nothing' : v)),
      },
    }
    expect(await page.evaluate((r) => estate.verifyReceipt(r), doctored)).toBe(false)
  }, 90_000)

  it('adds a passkey after the e-ID login and logs in with it later; a passkey session cannot add another', async () => {
    // A platform authenticator with user verification, as on a phone or a laptop.
    const cdp = await page.context().newCDPSession(page)
    await cdp.send('WebAuthn.enable')
    await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: {
        protocol: 'ctap2',
        transport: 'internal',
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
      },
    })
    await page.click('#passkey-add')
    await page.waitForFunction(() =>
      document.querySelector('#status')?.textContent?.startsWith('Passkey'),
    )
    expect(await page.textContent('#status')).toBe(
      'Passkey added: next time you can log in with it.',
    )
    const stored = await t.app
      .platform()
      .store.admin.selectFrom('passkeys')
      .selectAll()
      .where('personal_code', '=', JAAK)
      .execute()
    expect(stored).toHaveLength(1)

    await page.evaluate(() => fetch('/auth/logout', { method: 'POST' }))
    expect(await page.evaluate(async () => (await fetch('/auth/session')).status)).toBe(401)
    await page.goto(`${url}/login`)
    await page.click('#passkey-login')
    await page.waitForFunction(() =>
      document.querySelector('#status')?.textContent?.startsWith('Logged in'),
    )
    expect(await page.textContent('#status')).toBe(`Logged in as JAAK-KRISTJAN JÕEORG (${JAAK})`)
    const session = await page.evaluate(async () => (await fetch('/auth/session')).json())
    expect(session.method).toBe('passkey')
    // Adding a passkey is a sensitive act: a passkey session must confirm with the e-ID first.
    const refused = await page.evaluate(() =>
      estate.addPasskey().then(
        () => 'added',
        (error: Error) => error.message,
      ),
    )
    expect(refused).toMatch(/e-ID/)
  }, 90_000)
})
