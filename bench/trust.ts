/**
 * Trust services' figures: Web eID token validations per second with the OCSP answer cached,
 * OCSP responses and time-stamp tokens per second, and a mass suspension of N certificates,
 * beside the raw P-384 verification and P-256 signing rates of this machine.
 */
import { createHash, generateKeyPairSync, randomBytes, sign, verify } from 'node:crypto'
import { join } from 'node:path'
import { AsnConvert, OctetString } from '@peculiar/asn1-schema'
import { MessageImprint, TimeStampReq } from '@peculiar/asn1-tsp'
import { AlgorithmIdentifier } from '@peculiar/asn1-x509'
import { generateMasterKey, openEnvelope } from '../src/crypto/index.ts'
import { createWebEidValidator } from '../src/identity/index.ts'
import { MIGRATIONS } from '../src/main/index.ts'
import { systemClock } from '../src/shared/index.ts'
import { createDataKeyStore, openStore } from '../src/storage/index.ts'
import { ocspRequest, openPki, OID, TRUST_AGENCY } from '../src/trust/index.ts'

export async function benchTrust(
  scratch: string,
  seconds: number,
  certificates: number,
): Promise<void> {
  const rate = (work: () => void | Promise<void>) => async () => {
    const started = performance.now()
    let count = 0
    while (performance.now() - started < seconds * 1000) {
      await work()
      count++
    }
    return count / ((performance.now() - started) / 1000)
  }
  const fmt = (value: number) => Math.round(value).toLocaleString('en')

  const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' })
  const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const message = randomBytes(96)
  const p384Signature = sign('sha384', message, { key: p384.privateKey, dsaEncoding: 'ieee-p1363' })
  console.log(
    `baseline       raw P-384 verify ${fmt(await rate(() => void verify('sha384', message, { key: p384.publicKey, dsaEncoding: 'ieee-p1363' }, p384Signature))())}/s, raw P-256 sign ${fmt(await rate(() => void sign('sha256', message, p256.privateKey))())}/s (one core)`,
  )

  const store = await openStore({ url: join(scratch, 'trust.db') })
  await store.migrate(MIGRATIONS)
  const envelope = await openEnvelope(
    { current: generateMasterKey('bench'), previous: [] },
    createDataKeyStore(store.db, systemClock.now),
    [TRUST_AGENCY],
  )
  const pki = await openPki({
    store,
    envelope,
    clock: systemClock,
    publicUrl: 'http://127.0.0.1:8080',
    environment: 'development',
    organization: 'Bench',
  })
  try {
    const holder = generateKeyPairSync('ec', { namedCurve: 'P-384' })
    const subject = (code: string) =>
      [
        [OID.countryName, 'EE'],
        [OID.commonName, `BENCH,PERSON,${code}`],
        [OID.serialNumber, `PNOEE-${code}`],
      ] as const
    const issued = await pki.issue({
      kind: 'auth',
      holder: '38001085718',
      publicKey: holder.publicKey,
      subject: subject('38001085718'),
    })
    const validator = createWebEidValidator({
      trusted: [
        {
          certificate: pki.authorities.get('citizen')?.certificate as Buffer,
          ocsp: { mode: 'on', transport: (request) => pki.ocsp.respond(request) },
        },
      ],
      now: () => new Date(),
      ocspCacheSeconds: 3600,
    })
    const origin = 'https://www.state.example'
    const nonce = randomBytes(32).toString('base64')
    const token = {
      format: 'web-eid:1.0',
      algorithm: 'ES384',
      unverifiedCertificate: issued.der.toString('base64'),
      signature: sign(
        'sha384',
        Buffer.concat([
          createHash('sha384').update(origin).digest(),
          createHash('sha384').update(nonce).digest(),
        ]),
        { key: holder.privateKey, dsaEncoding: 'ieee-p1363' },
      ).toString('base64'),
    }
    await validator.validate(token, origin, nonce)
    const webEid = await rate(async () => {
      await validator.validate(token, origin, nonce)
    })()
    console.log(
      `web eid        ${fmt(webEid)} token validations/s (OCSP answer cached, chain remembered)`,
    )

    const ocspRequestDer = ocspRequest(
      issued.der,
      pki.authorities.get('citizen')?.certificate as Buffer,
      randomBytes(16),
    )
    const ocsp = await rate(async () => {
      await pki.ocsp.respond(ocspRequestDer)
    })()
    console.log(
      `ocsp           ${fmt(ocsp)} signed responses/s (status read from the store, P-256 responder key)`,
    )

    const tsq = Buffer.from(
      AsnConvert.serialize(
        new TimeStampReq({
          messageImprint: new MessageImprint({
            hashAlgorithm: new AlgorithmIdentifier({ algorithm: '2.16.840.1.101.3.4.2.1' }),
            hashedMessage: new OctetString(createHash('sha256').update('a document').digest()),
          }),
          nonce: new Uint8Array(randomBytes(8)).buffer,
          certReq: true,
        }),
      ),
    )
    const tsa = await rate(async () => {
      await pki.tsa.stamp(tsq)
    })()
    console.log(`tsa            ${fmt(tsa)} time-stamp tokens/s (RFC 3161, P-256 TSA key)`)

    const issueStart = performance.now()
    const keys = Array.from(
      { length: 16 },
      () => generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey,
    )
    for (let start = 0; start < certificates; start += 1000) {
      await pki.issueMany(
        Array.from({ length: Math.min(1000, certificates - start) }, (_, n) => {
          const code = String(30000000000 + start + n)
          return {
            kind: 'auth' as const,
            holder: code,
            batch: 'ROCA-BENCH',
            publicKey: keys[n % 16],
            subject: subject(code),
          }
        }),
      )
    }
    const issueSeconds = (performance.now() - issueStart) / 1000
    const suspendStart = performance.now()
    const suspended = await pki.suspendMany({ batch: 'ROCA-BENCH' }, 'a flaw in the key generation')
    const suspendSeconds = (performance.now() - suspendStart) / 1000
    console.log(
      `mass suspend   ${fmt(suspended)} certificates suspended in ${suspendSeconds.toFixed(1)} s (one act: statuses, a ledger entry each, a letter per holder; issuing them took ${issueSeconds.toFixed(0)} s)`,
    )
  } finally {
    await store.close()
  }
}
