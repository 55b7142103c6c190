// An e-ID held by a test: a P-384 key pair, a certificate for it, and the Web eID login a card
// would do with it against a test app.
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto'
import { expect } from 'vitest'
import { OID } from '../../src/trust/index.ts'
import type { TestApp } from './app.ts'

export interface TestCard {
  readonly key: KeyObject
  readonly certificate: Buffer
  readonly serial: string
}

/** A card issued straight by the PKI (the bootstrap of a first clerk, or a unit of a test). */
export async function issueCard(
  t: TestApp,
  personalCode: string,
  names: { given: string; surname: string },
): Promise<TestCard> {
  const pair = generateKeyPairSync('ec', { namedCurve: 'P-384' })
  const issued = await t.app.platform().pki.issue({
    kind: 'auth',
    holder: personalCode,
    publicKey: pair.publicKey,
    subject: [
      [OID.countryName, 'EE'],
      [OID.commonName, `${names.surname},${names.given},${personalCode}`],
      [OID.surname, names.surname],
      [OID.givenName, names.given],
      [OID.serialNumber, `PNOEE-${personalCode}`],
    ],
  })
  return { key: pair.privateKey, certificate: issued.der, serial: issued.serial }
}

/** The token a Web eID card makes: ES384 over SHA-384(origin) ‖ SHA-384(nonce). */
export function webEidToken(
  card: { key: KeyObject; certificate: Buffer },
  nonce: string,
  origin: string,
) {
  return {
    format: 'web-eid:1.0',
    algorithm: 'ES384',
    appVersion: 'https://web-eid.eu/web-eid-app/releases/2.5.0',
    unverifiedCertificate: card.certificate.toString('base64'),
    signature: sign(
      'sha384',
      Buffer.concat([
        createHash('sha384').update(origin).digest(),
        createHash('sha384').update(nonce).digest(),
      ]),
      { key: card.key, dsaEncoding: 'ieee-p1363' },
    ).toString('base64'),
  }
}

/** Challenge, token, login: the session cookie (`__Host-estate_session=…`), or the failed reply. */
export async function loginWith(
  t: TestApp,
  card: { key: KeyObject; certificate: Buffer },
  origin: string,
): Promise<{ status: number; cookie: string; body: Record<string, unknown> }> {
  const challenge = await t.inject({ method: 'POST', url: '/auth/challenge' })
  expect(challenge.statusCode).toBe(200)
  const reply = await t.inject({
    method: 'POST',
    url: '/auth/web-eid',
    headers: { cookie: String(challenge.headers['set-cookie']).split(';')[0] },
    payload: { authToken: webEidToken(card, challenge.json().nonce, origin) },
  })
  const session = [reply.headers['set-cookie']]
    .flat()
    .map(String)
    .find((value) => value.startsWith('__Host-estate_session='))
  return {
    status: reply.statusCode,
    cookie: String(session ?? '').split(';')[0],
    body: reply.json(),
  }
}
