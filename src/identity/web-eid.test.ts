/**
 * Web eID token validation against a real Estonian test ID-card token (shared/vectors/web-eid,
 * OCSP off for its test CA, the clock inside the certificate's validity): accepted as it is,
 * rejected with any byte of origin, nonce, signature or certificate changed, and with a
 * specific code for each kind of wrong.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createWebEidValidator } from './web-eid.ts'

const VECTORS = join(import.meta.dirname, '../../../shared/vectors/web-eid')
const vector = JSON.parse(readFileSync(join(VECTORS, 'valid-auth-token.json'), 'utf8')) as {
  origin: string
  challengeNonce: string
  validAt: string
  token: Record<string, string>
}
const testCa = readFileSync(join(VECTORS, 'TEST_of_ESTEID2018.cer'))

const validatorAt = (at: string) =>
  createWebEidValidator({
    trusted: [{ certificate: testCa, ocsp: { mode: 'off' } }],
    now: () => new Date(at),
  })
const validator = validatorAt(vector.validAt)
const code = async (promise: Promise<unknown>) => {
  try {
    await promise
    return 'ACCEPTED'
  } catch (error) {
    return (error as { code?: string }).code ?? String(error)
  }
}
const flipChar = (text: string, at: number) => {
  const replacement = text[at] === 'A' ? 'B' : 'A'
  return text.slice(0, at) + replacement + text.slice(at + 1)
}
const flipByte = (base64: string, at: number) => {
  const bytes = Buffer.from(base64, 'base64')
  bytes[at] ^= 0x01
  return bytes.toString('base64')
}

describe('Web eID tokens', () => {
  it('accepts the real test ID-card token and reads the person from its certificate', async () => {
    const identity = await validator.validate(vector.token, vector.origin, vector.challengeNonce)
    expect(identity).toMatchObject({
      personalCode: '38001085718',
      country: 'EE',
      givenName: 'JAAK-KRISTJAN',
      surname: 'JÕEORG',
    })
  })

  it('rejects it with any character of the origin or the nonce changed', async () => {
    for (let at = 0; at < vector.origin.length; at++) {
      expect(
        await code(
          validator.validate(vector.token, flipChar(vector.origin, at), vector.challengeNonce),
        ),
      ).toBe('WEBEID_SIGNATURE_INVALID')
    }
    for (let at = 0; at < vector.challengeNonce.length; at++) {
      expect(
        await code(
          validator.validate(vector.token, vector.origin, flipChar(vector.challengeNonce, at)),
        ),
      ).toBe('WEBEID_SIGNATURE_INVALID')
    }
    expect(
      await code(validator.validate(vector.token, 'https://ria.ee:443', vector.challengeNonce)),
    ).toBe('WEBEID_SIGNATURE_INVALID')
  })

  it('rejects it with any byte of the signature or the certificate changed', async () => {
    const signature = Buffer.from(vector.token.signature, 'base64')
    for (let at = 0; at < signature.length; at++) {
      const token = { ...vector.token, signature: flipByte(vector.token.signature, at) }
      expect(await code(validator.validate(token, vector.origin, vector.challengeNonce))).toBe(
        'WEBEID_SIGNATURE_INVALID',
      )
    }
    const certificate = Buffer.from(vector.token.unverifiedCertificate, 'base64')
    for (let at = 0; at < certificate.length; at++) {
      const token = {
        ...vector.token,
        unverifiedCertificate: flipByte(vector.token.unverifiedCertificate, at),
      }
      expect(
        await code(validator.validate(token, vector.origin, vector.challengeNonce)),
        `byte ${at}`,
      ).not.toBe('ACCEPTED')
    }
  })

  it('names what is wrong: time, CA, format, algorithm, shape', async () => {
    const nonce = vector.challengeNonce
    expect(
      await code(validatorAt('2026-08-01T00:00:00Z').validate(vector.token, vector.origin, nonce)),
    ).toBe('WEBEID_CERTIFICATE_EXPIRED')
    expect(
      await code(validatorAt('2021-01-01T00:00:00Z').validate(vector.token, vector.origin, nonce)),
    ).toBe('WEBEID_CERTIFICATE_NOT_YET_VALID')
    const noCa = createWebEidValidator({ trusted: [], now: () => new Date(vector.validAt) })
    expect(await code(noCa.validate(vector.token, vector.origin, nonce))).toBe(
      'WEBEID_CERTIFICATE_UNTRUSTED',
    )
    expect(
      await code(
        validator.validate({ ...vector.token, format: 'web-eid:2' }, vector.origin, nonce),
      ),
    ).toBe('WEBEID_FORMAT_UNSUPPORTED')
    expect(
      await code(validator.validate({ ...vector.token, algorithm: 'ES256' }, vector.origin, nonce)),
    ).toBe('WEBEID_SIGNATURE_INVALID')
    expect(
      await code(validator.validate({ ...vector.token, algorithm: 'none' }, vector.origin, nonce)),
    ).toBe('WEBEID_TOKEN_MALFORMED')
    for (const bad of [null, 'token', [], {}, { ...vector.token, signature: 'not base64!' }]) {
      expect(await code(validator.validate(bad, vector.origin, nonce))).toMatch(
        /^WEBEID_TOKEN_MALFORMED$/,
      )
    }
    expect(
      await code(
        validator.validate(
          { ...vector.token, unverifiedCertificate: 'AAAA' },
          vector.origin,
          nonce,
        ),
      ),
    ).toBe('WEBEID_CERTIFICATE_MALFORMED')
    // The CA's own certificate is not a login certificate.
    expect(
      await code(
        validator.validate(
          { ...vector.token, unverifiedCertificate: testCa.toString('base64') },
          vector.origin,
          nonce,
        ),
      ),
    ).toMatch(/WEBEID_CERTIFICATE_(WRONG_PURPOSE|UNTRUSTED)/)
  })

  it("accepts only a certificate carrying one of its CA's authentication policies, when named", async () => {
    const withPolicies = (authPolicies: string[]) =>
      createWebEidValidator({
        trusted: [{ certificate: testCa, ocsp: { mode: 'off' }, authPolicies }],
        now: () => new Date(vector.validAt),
      })
    // The test card's certificate carries 1.3.6.1.4.1.51361.1.2.1 (and 0.4.0.2042.1.2).
    const accepted = withPolicies(['1.3.6.1.4.1.51361.1.2.1'])
    expect(await code(accepted.validate(vector.token, vector.origin, vector.challengeNonce))).toBe(
      'ACCEPTED',
    )
    const otherProfile = withPolicies(['1.3.6.1.4.1.51361.1.1.1'])
    expect(
      await code(otherProfile.validate(vector.token, vector.origin, vector.challengeNonce)),
    ).toBe('WEBEID_CERTIFICATE_WRONG_PURPOSE')
  })

  it('asks OCSP only about a token the card really signed', async () => {
    let asked = 0
    const checking = createWebEidValidator({
      trusted: [
        {
          certificate: testCa,
          ocsp: {
            mode: 'on',
            transport: async () => {
              asked++
              return Buffer.from('not an OCSP answer')
            },
          },
        },
      ],
      now: () => new Date(vector.validAt),
    })
    const forged = { ...vector.token, signature: flipByte(vector.token.signature, 10) }
    expect(await code(checking.validate(forged, vector.origin, vector.challengeNonce))).toBe(
      'WEBEID_SIGNATURE_INVALID',
    )
    expect(asked).toBe(0)
    expect(await code(checking.validate(vector.token, vector.origin, vector.challengeNonce))).toBe(
      'WEBEID_OCSP_FAILED',
    )
    expect(asked).toBe(1)
  })
})
