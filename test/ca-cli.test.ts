/**
 * The state PKI's key ceremony and import, as an operator runs them: `e-state ca init` writes a
 * production hierarchy with encrypted keys, `e-state ca import` checks and seals it into a store,
 * which production then serves; a wrong passphrase, a second import and a mixed-up hierarchy are
 * refused.
 */
import { copyFileSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { openEnvelope } from '../src/crypto/index.ts'
import { readConfig } from '../src/main/index.ts'
import { systemClock } from '../src/shared/index.ts'
import { createDataKeyStore, openStore } from '../src/storage/index.ts'
import { generateKeyPairSync, X509Certificate } from 'node:crypto'
import { openPkcs11Token, openPki, OID, TRUST_AGENCY } from '../src/trust/index.ts'
import { SOFTHSM, softHsmToken } from './support/softhsm.ts'
import { cliOn } from './support/cli.ts'

const root = mkdtempSync(join(tmpdir(), 'e-state-ca-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))
const PASSPHRASE = { E_STATE_CA_PASSPHRASE: 'a long ceremony passphrase' }

describe('the ca command', () => {
  const ceremony = join(root, 'ceremony')
  const site = { dataDir: join(root, 'site', 'data') }

  it('makes a hierarchy with encrypted keys, imports it, and production serves it', async () => {
    expect((await cliOn(site, ['ca', 'init', '--out', ceremony])).code).toBe(1)
    const made = await cliOn(
      site,
      ['ca', 'init', '--out', ceremony, '--organization', 'Republic of Example'],
      PASSPHRASE,
    )
    expect(made.stderr).toBe('')
    expect(made.stdout).toContain('8 authorities written')
    const files = readdirSync(ceremony)
    expect(files.filter((name) => name.endsWith('.key'))).toHaveLength(8)
    expect(statSync(join(ceremony, 'root.key')).mode & 0o777).toBe(0o600)

    expect(
      (
        await cliOn(site, ['ca', 'import', ceremony], {
          E_STATE_CA_PASSPHRASE: 'the wrong passphrase',
        })
      ).code,
    ).toBe(1)
    const imported = await cliOn(site, ['ca', 'import', ceremony], PASSPHRASE)
    expect(imported.stdout).toContain('imported 8 authorities')
    const status = await cliOn(site, ['ca', 'status'])
    expect(status.stdout).not.toContain('DEVELOPMENT')
    expect(status.stdout).toMatch(/citizen\s+issuing\s+CN=ESTEID-STATE \d{4}/)
    const again = await cliOn(site, ['ca', 'import', ceremony], PASSPHRASE)
    expect(again.stderr).toContain('TRUST_ALREADY_INITIALISED')

    // Production opens the imported PKI (and would refuse a development one).
    const config = readConfig({ E_STATE_DATA_DIR: site.dataDir })
    const store = await openStore({ url: config.databaseUrl })
    try {
      const envelope = await openEnvelope(
        config.masterKeys,
        createDataKeyStore(store.db, systemClock.now),
        [TRUST_AGENCY],
      )
      const pki = await openPki({
        store,
        envelope,
        clock: systemClock,
        publicUrl: 'https://state.example',
        environment: 'production',
        organization: 'Republic of Example',
      })
      expect(pki.development).toBe(false)
      expect(pki.authorities.size).toBe(8)
    } finally {
      await store.close()
    }
  })

  it('refuses a hierarchy whose certificates do not belong together', async () => {
    const mixed = join(root, 'mixed')
    const other = { dataDir: join(root, 'other', 'data') }
    await cliOn(other, ['ca', 'init', '--out', mixed], PASSPHRASE)
    copyFileSync(join(ceremony, 'citizen.crt'), join(mixed, 'citizen.crt'))
    copyFileSync(join(ceremony, 'citizen.key'), join(mixed, 'citizen.key'))
    const refused = await cliOn(other, ['ca', 'import', mixed], PASSPHRASE)
    expect(refused.code).toBe(1)
    expect(refused.stderr).toContain('TRUST_IMPORT_INVALID')
    expect((await cliOn(other, ['ca'])).code).toBe(2)
  })

  it('runs the ceremony with the keys in an HSM: only certificates leave it, and the PKI signs there', async () => {
    const hsmDirectory = join(root, 'hsm')
    const curves: Record<string, 'secp384r1' | 'prime256v1'> = {
      root: 'secp384r1',
      citizen: 'secp384r1',
    }
    const labels = [
      'root',
      'citizen',
      'eseal',
      'tls',
      'ocsp-citizen',
      'ocsp-eseal',
      'ocsp-tls',
      'tsa',
    ]
    const hsmEnv = softHsmToken(
      hsmDirectory,
      'state-pki',
      labels.map((label) => ({ label, curve: curves[label] ?? 'prime256v1' })),
    )
    const pkcs11 = {
      ...hsmEnv,
      E_STATE_PKI_PKCS11_LIBRARY: SOFTHSM,
      E_STATE_PKI_PKCS11_TOKEN: 'state-pki',
      E_STATE_PKI_PKCS11_PIN: '1234',
    }
    const out = join(root, 'hsm-ceremony')
    const hsmSite = { dataDir: join(root, 'hsm-site', 'data') }
    const made = await cliOn(hsmSite, ['ca', 'init', '--out', out], pkcs11)
    expect(made.stdout).toContain('keys stay in the HSM')
    expect(readdirSync(out).filter((name) => name.endsWith('.key'))).toEqual([])
    const imported = await cliOn(hsmSite, ['ca', 'import', out], pkcs11)
    expect(imported.stdout).toContain('their keys stay in the HSM')

    const config = readConfig({ E_STATE_DATA_DIR: hsmSite.dataDir })
    const store = await openStore({ url: config.databaseUrl })
    const token = await openPkcs11Token({ library: SOFTHSM, tokenLabel: 'state-pki', pin: '1234' })
    try {
      const rows = await store.admin
        .selectFrom('trust_authorities')
        .select(['name', 'private_key'])
        .execute()
      expect(rows.every((row) => row.private_key.length === 0)).toBe(true)
      const envelope = await openEnvelope(
        config.masterKeys,
        createDataKeyStore(store.db, systemClock.now),
        [TRUST_AGENCY],
      )
      const pki = await openPki({
        store,
        envelope,
        clock: systemClock,
        publicUrl: 'https://state.example',
        environment: 'production',
        organization: 'e-state',
        hsm: token,
      })
      const holder = generateKeyPairSync('ec', { namedCurve: 'P-384' })
      const issued = await pki.issue({
        kind: 'auth',
        holder: '38001085718',
        publicKey: holder.publicKey,
        subject: [[OID.serialNumber, 'PNOEE-38001085718']],
      })
      const citizen = new X509Certificate(pki.authorities.get('citizen')?.certificate as Buffer)
      expect(new X509Certificate(issued.der).verify(citizen.publicKey)).toBe(true)
      // Without the HSM configured, the PKI cannot open: its keys are not in the store.
      await expect(
        openPki({
          store,
          envelope,
          clock: systemClock,
          publicUrl: 'https://state.example',
          environment: 'production',
          organization: 'e-state',
        }),
      ).rejects.toThrow(/HSM/)
    } finally {
      token.close()
      await store.close()
    }
  }, 60_000)
})
