/**
 * The software e-ID token: a PKCS#12 file OpenSSL reads, keys behind PIN1 and PIN2, three wrong
 * PINs block a key, the PUK unblocks it with a new PIN; each change is new file bytes.
 */
import { spawnSync } from 'node:child_process'
import { createPublicKey, generateKeyPairSync, randomBytes, sign, verify } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { issueCertificate, keySigner, OID } from '../trust/index.ts'
import { createSoftwareToken, openSoftwareToken } from './software-token.ts'

const directory = mkdtempSync(join(tmpdir(), 'e-state-token-'))
afterAll(() => rmSync(directory, { recursive: true, force: true }))

describe('the software e-ID token', async () => {
  const pair = () => generateKeyPairSync('ec', { namedCurve: 'P-384' })
  const auth = pair()
  const signing = pair()
  const certificateFor = (key: ReturnType<typeof pair>, cn: string) =>
    issueCertificate({
      subject: [[OID.commonName, cn]],
      publicKey: key.publicKey,
      serial: randomBytes(8),
      notBefore: new Date(),
      notAfter: new Date(Date.now() + 86_400_000),
      profile: { keyUsage: ['digitalSignature'] },
      signer: keySigner(key.privateKey),
    })
  const certificates = {
    auth: await certificateFor(auth, 'auth'),
    sign: await certificateFor(signing, 'sign'),
  }
  const token = createSoftwareToken({
    auth: { key: auth.privateKey, certificate: certificates.auth },
    sign: { key: signing.privateKey, certificate: certificates.sign },
    pin1: '1234',
    pin2: '12345',
    puk: '12345678',
  })

  it('is a PKCS#12 file that OpenSSL reads, with both certificates in it', () => {
    writeFileSync(join(directory, 'token.p12'), token)
    const result = spawnSync(
      'openssl',
      [
        'pkcs12',
        '-in',
        join(directory, 'token.p12'),
        '-nokeys',
        '-info',
        '-passin',
        'pass:',
        '-nomacver',
      ],
      { encoding: 'utf8' },
    )
    const output = `${result.stdout}${result.stderr}`
    expect(output).toContain('friendlyName: auth')
    expect(output).toContain('friendlyName: sign')
    expect(output).toContain('PBES2')
    expect(output.match(/BEGIN CERTIFICATE/g)).toHaveLength(2)
    const opened = openSoftwareToken(token)
    expect(opened.certificates.auth).toEqual(certificates.auth)
    expect(opened.triesLeft).toMatchObject({ auth: 3, sign: 3 })
  })

  it('gives the signing key for PIN2 only, and it signs as the certificate says', () => {
    const wrongKey = openSoftwareToken(token).unlock('sign', '1234')
    expect(wrongKey.error?.code).toBe('TOKEN_PIN_WRONG')
    const { key, error } = openSoftwareToken(token).unlock('sign', '12345')
    expect(error).toBeUndefined()
    const signature = sign('sha384', Buffer.from('a document'), key as NonNullable<typeof key>)
    expect(
      verify('sha384', Buffer.from('a document'), createPublicKey(signing.privateKey), signature),
    ).toBe(true)
  })

  it('blocks a PIN after three wrong tries, and the PUK sets a new one', () => {
    let bytes: Buffer = token
    for (const expected of ['TOKEN_PIN_WRONG', 'TOKEN_PIN_WRONG', 'TOKEN_PIN_BLOCKED']) {
      const attempt = openSoftwareToken(bytes).unlock('auth', '0000')
      expect(attempt.error?.code).toBe(expected)
      bytes = attempt.token
    }
    expect(openSoftwareToken(bytes).unlock('auth', '1234').error?.code).toBe('TOKEN_PIN_BLOCKED')
    const wrongPuk = openSoftwareToken(bytes).unblock('auth', '00000000', '4321')
    expect(wrongPuk.error?.code).toBe('TOKEN_PIN_WRONG')
    bytes = wrongPuk.token
    expect(openSoftwareToken(bytes).unblock('auth', '12345678', '12').error?.code).toBe(
      'TOKEN_PIN_INVALID',
    )
    const unblocked = openSoftwareToken(bytes).unblock('auth', '12345678', '4321')
    expect(unblocked.error).toBeUndefined()
    bytes = unblocked.token
    expect(openSoftwareToken(bytes).unlock('auth', '1234').error?.code).toBe('TOKEN_PIN_WRONG')
    expect(openSoftwareToken(unblocked.token).unlock('auth', '4321').key).toBeDefined()
    // PIN2 was never touched.
    expect(openSoftwareToken(bytes).unlock('sign', '12345').key).toBeDefined()
  })

  it('refuses short PINs and files that are not tokens', () => {
    expect(() =>
      createSoftwareToken({
        auth: { key: auth.privateKey, certificate: certificates.auth },
        sign: { key: signing.privateKey, certificate: certificates.sign },
        pin1: '12',
        pin2: '12345',
        puk: '12345678',
      }),
    ).toThrow(expect.objectContaining({ code: 'TOKEN_PIN_INVALID' }))
    expect(() => openSoftwareToken(Buffer.from('garbage'))).toThrow(
      expect.objectContaining({ code: 'TOKEN_MALFORMED' }),
    )
  })
})
