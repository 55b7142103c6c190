/** `e-state eid` as an operator runs it: status, suspend, resume, revoke, suspend a batch. */
import { X509Certificate, type KeyObject } from 'node:crypto'
import { readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openSoftwareToken } from '../src/identity/index.ts'
import { openPkcs11Signer } from '../src/trust/index.ts'
import { SOFTHSM, softHsmToken } from './support/softhsm.ts'
import { startTestApp, type TestApp } from './support/app.ts'
import { cliOn } from './support/cli.ts'
import { issueCard, loginWith } from './support/eid.ts'

describe('the eid command', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await startTestApp('sqlite', { options: { drainIntervalMs: 0 } })
  }, 120_000)
  afterAll(async () => {
    await t?.close()
  })

  it('shows, suspends, resumes and revokes a certificate, each reflected in OCSP status', async () => {
    const card = await issueCard(t, '38001085718', { given: 'JAAK-KRISTJAN', surname: 'JÕEORG' })
    const status = await cliOn(t, ['eid', 'status', '38001085718'])
    expect(status.code).toBe(0)
    expect(status.stdout).toMatch(new RegExp(`${card.serial}\\s+auth\\s+good`))
    const pki = t.app.platform().pki
    expect((await cliOn(t, ['eid', 'suspend', card.serial])).stdout).toContain('suspended')
    expect(await pki.status('citizen', card.serial)).toMatchObject({ status: 'revoked', reason: 6 })
    expect((await cliOn(t, ['eid', 'resume', card.serial])).code).toBe(0)
    expect(await pki.status('citizen', card.serial)).toEqual({ status: 'good' })
    expect((await cliOn(t, ['eid', 'revoke', card.serial])).code).toBe(0)
    const again = await cliOn(t, ['eid', 'resume', card.serial])
    expect(again.code).toBe(1)
    expect(again.stderr).toContain('TRUST_INVALID_STATUS_CHANGE')
    expect((await cliOn(t, ['eid', 'suspend', 'ffff'])).stderr).toContain(
      'TRUST_UNKNOWN_CERTIFICATE',
    )
  })

  it('suspends a whole batch in one act, and refuses bad usage', async () => {
    const pki = t.app.platform().pki
    const { generateKeyPairSync } = await import('node:crypto')
    const key = generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey
    await pki.issueMany(
      ['39001010000', '48707032744'].map((holder) => ({
        kind: 'auth' as const,
        holder,
        batch: 'CARDS-2017',
        publicKey: key,
        subject: [['2.5.4.5', `PNOEE-${holder}`]] as const,
      })),
    )
    const batch = await cliOn(t, [
      'eid',
      'suspend-batch',
      '--batch',
      'CARDS-2017',
      '--why',
      'a flaw in the chip',
    ])
    expect(batch.code).toBe(0)
    expect(batch.stdout).toContain('2 certificates suspended')
    for (const args of [
      ['eid'],
      ['eid', 'status'],
      ['eid', 'suspend-batch', '--batch', 'X'],
      ['eid', 'suspend-batch', '--key-type', 'rsa', '--why', 'x'],
    ])
      expect((await cliOn(t, args)).code, args.join(' ')).toBe(2)
  })

  it('makes a PIN-protected software token at the service desk, and the holder logs in with it', async () => {
    const file = join(t.dataDir, 'jaak.p12')
    const pins = {
      E_STATE_TOKEN_PIN1: '1234',
      E_STATE_TOKEN_PIN2: '12345',
      E_STATE_TOKEN_PUK: '12345678',
    }
    const made = await cliOn(
      t,
      ['eid', 'token', 'create', '39001010000', '--clerk', '48707032744', '--out', file],
      pins,
    )
    expect(made.stderr).toBe('')
    expect(made.stdout).toContain('issued by clerk')
    expect(statSync(file).mode & 0o777).toBe(0o600)
    const status = await cliOn(t, ['eid', 'token', 'status', file])
    expect(status.stdout).toMatch(/auth\s+[0-9a-f]+\s+CN=IVANOV\\,IVAN\\,39001010000/)
    expect(status.stdout).toContain('tries left: PIN1 3, PIN2 3, PUK 6')

    const token = openSoftwareToken(readFileSync(file))
    const { key } = token.unlock('auth', '1234')
    const login = await loginWith(
      t,
      { key: key as KeyObject, certificate: token.certificates.auth },
      t.config.publicUrl,
    )
    expect(login.status).toBe(200)
    expect(login.body.personalCode).toBe('39001010000')

    const refused = await cliOn(
      t,
      [
        'eid',
        'token',
        'create',
        '39001010000',
        '--clerk',
        '39001010000',
        '--out',
        join(t.dataDir, 'x.p12'),
      ],
      pins,
    )
    expect(refused.stderr).toContain('ROLE_REQUIRED')
    const noPins = await cliOn(t, [
      'eid',
      'token',
      'create',
      '39001010000',
      '--clerk',
      '48707032744',
      '--out',
      join(t.dataDir, 'y.p12'),
    ])
    expect(noPins.stderr).toContain('TOKEN_PIN_INVALID')
    expect(
      (
        await cliOn(
          t,
          ['eid', 'token', 'create', '39001010000', '--clerk', '48707032744', '--out', file],
          pins,
        )
      ).code,
    ).toBe(1)
  }, 60_000)

  it('issues an e-ID for keys that stay on a PKCS#11 token', async () => {
    const hsm = softHsmToken(join(t.dataDir, 'hsm'), 'mari-card', [
      { label: 'auth', curve: 'secp384r1' },
      { label: 'sign', curve: 'secp384r1' },
    ])
    const out = join(t.dataDir, 'mari-card-certificates')
    const issued = await cliOn(
      t,
      [
        'eid',
        'issue',
        '48707032744',
        '--clerk',
        '48707032744',
        '--pkcs11',
        SOFTHSM,
        '--token',
        'mari-card',
        '--auth-key',
        'auth',
        '--sign-key',
        'sign',
        '--out-dir',
        out,
      ],
      { ...hsm, E_STATE_TOKEN_PIN: '1234' },
    )
    expect(issued.stderr).toBe('')
    expect(issued.stdout).toContain('on token mari-card')
    const certificate = new X509Certificate(readFileSync(join(out, 'auth.crt')))
    expect(certificate.subject).toContain('serialNumber=PNOEE-48707032744')
    const onToken = await openPkcs11Signer({
      library: SOFTHSM,
      tokenLabel: 'mari-card',
      pin: '1234',
      keyLabel: 'auth',
    })
    try {
      expect(certificate.publicKey.export({ format: 'der', type: 'spki' })).toEqual(
        onToken.publicKey.export({ format: 'der', type: 'spki' }),
      )
    } finally {
      onToken.close()
    }
    const wrongPin = await cliOn(
      t,
      [
        'eid',
        'issue',
        '48707032744',
        '--clerk',
        '48707032744',
        '--pkcs11',
        SOFTHSM,
        '--token',
        'mari-card',
        '--auth-key',
        'auth',
        '--sign-key',
        'sign',
        '--out-dir',
        out,
      ],
      { ...hsm, E_STATE_TOKEN_PIN: '0000' },
    )
    expect(wrongPin.stderr).toContain('TRUST_TOKEN_LOGIN_FAILED')
  }, 60_000)
})
