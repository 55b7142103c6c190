/**
 * XAdES in ASiC-E, made and checked end to end over the real PKI parts (hierarchy, OCSP
 * responder, TSA): B-B, B-T, B-LT and BDOC time-marks; several signers in turn; and each way
 * a signature can be broken — changed documents and properties, another key, another
 * certificate, a moved time-stamp or OCSP answer, a revoked or wrongly used certificate, an
 * untrusted chain — reported with the ETSI indication that fits, failures outranking doubts.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createHash, generateKeyPairSync } from 'node:crypto'
import { unzipSync } from 'fflate'
import { beforeAll, describe, expect, it } from 'vitest'
import { keySigner } from '../trust/index.ts'
import {
  signaturePki,
  type SignaturePki,
  type TestSigner,
} from '../../test/support/signature-pki.ts'
import { writeContainer, type ContainerDocument } from './container.ts'
import { finalizeSignature, prepareSignature, type SignatureProfile } from './create.ts'
import { exitCodeOf } from './report.ts'
import { signContainer } from './sign.ts'
import { createTrustList } from './trust-list.ts'
import { createSignatureValidator, type SignatureValidator } from './validate.ts'
import { createValidationPool } from './validation-pool.ts'

const VECTORS = join(import.meta.dirname, '../../../shared/vectors/asice')
const vector = (name: string) => readFileSync(join(VECTORS, name))

let clock = new Date('2026-11-25T10:00:00Z')
const now = () => clock
let pki: SignaturePki
let validator: SignatureValidator
let mari: TestSigner
let jaan: TestSigner

const DOCUMENTS: ContainerDocument[] = [
  {
    name: 'articles.txt',
    mediaType: 'text/plain',
    bytes: Buffer.from('Articles of association\n'),
  },
  {
    name: 'folder/annex 1.pdf',
    mediaType: 'application/pdf',
    bytes: Buffer.from('%PDF-1.7 annex'),
  },
]

async function sign(
  who: TestSigner,
  profile: SignatureProfile,
  container?: Buffer,
  details?: { claimedRole?: string },
): Promise<Buffer> {
  return signContainer({
    ...(container === undefined ? { documents: DOCUMENTS } : { container }),
    certificate: who.certificate,
    issuer: pki.citizenCa,
    signer: who.signer,
    profile,
    services: pki.services,
    now: now(),
    details,
  })
}

/** The container's files, one changed by `edit` (documents, signatures, anything). */
function rewrite(container: Buffer, edit: (files: Record<string, Buffer>) => void): Buffer {
  const files = Object.fromEntries(
    Object.entries(unzipSync(container)).map(([name, bytes]) => [name, Buffer.from(bytes)]),
  )
  edit(files)
  const documents = Object.keys(files)
    .filter((name) => name !== 'mimetype' && !name.startsWith('META-INF/'))
    .map((name) => ({ name, mediaType: 'application/octet-stream', bytes: files[name] }))
  const signatures = Object.keys(files)
    .filter((name) => /^META-INF\/signatures\d+\.xml$/.test(name))
    .map((name) => ({ name, bytes: files[name] }))
  return writeContainer(documents, signatures)
}

const editSignature = (container: Buffer, index: number, edit: (xml: string) => string) =>
  rewrite(container, (files) => {
    const name = `META-INF/signatures${index}.xml`
    const before = files[name].toString('utf8')
    const after = edit(before)
    expect(after).not.toBe(before)
    files[name] = Buffer.from(after)
  })

const only = (validatorReport: ReturnType<SignatureValidator['validate']>) => {
  expect(validatorReport.signatures).toHaveLength(1)
  return validatorReport.signatures[0]
}
const codes = (signature: { errors: { code?: string }[] }) => signature.errors.map((e) => e.code)

beforeAll(async () => {
  pki = await signaturePki(now)
  validator = createSignatureValidator({ trust: pki.trust, now })
  mari = await pki.issueSigning('47101010033', { given: 'MARI-LIIS', surname: 'MÄNNIK' })
  jaan = await pki.issueSigning(
    '38001085718',
    { given: 'JAAN', surname: 'TAMM' },
    { curve: 'P-256' },
  )
})

describe('containers from elsewhere', () => {
  it('fails the forged container as key substitution, naming its signer, with its digests intact', () => {
    const report = validator.validate(vector('forged_lt.asice'))
    const signature = only(report)
    expect(signature.signedBy).toBe('MÖLDER,HUGO MARTIN,38910239121')
    expect(signature.subjectDistinguishedName.serialNumber).toBe('PNOEE-38910239121')
    expect(signature.indication).toBe('TOTAL-FAILED')
    expect(signature.subIndication).toBe('SIG_CRYPTO_FAILURE')
    expect(codes(signature)).toContain('SIGNATURE_VALUE')
    // Its document and SignedProperties digests are right: our canonical form is DigiDoc's.
    expect(codes(signature)).not.toContain('REFERENCE_DIGEST')
    expect(codes(signature)).not.toContain('SIGNED_PROPERTIES_DIGEST')
    expect(report.documents.map((document) => document.name)).toEqual(['example-for-signing.txt'])
    expect(exitCodeOf(report)).toBe(1)
  })

  it('checks an old RSA signature with C14N 1.1, and reports a container with none', () => {
    // test.asice: a 2013 RSA-SHA256 signature canonicalized with C14N 1.1 by libdigidocpp, from a
    // test CA we do not trust: its value and digests verify, its chain does not.
    const old = validator.validate(vector('test.asice'))
    expect(old.documents.map((document) => document.name)).toEqual(['test1.txt'])
    const signature = only(old)
    expect(signature.signatureMethod).toMatch(/rsa-sha256$/)
    expect(codes(signature)).not.toContain('SIGNATURE_VALUE')
    expect(codes(signature)).not.toContain('REFERENCE_DIGEST')
    expect(codes(signature)).not.toContain('SIGNED_PROPERTIES_DIGEST')
    expect(signature.indication).toBe('INDETERMINATE')
    const unsigned = validator.validate(vector('asice-path.asice'))
    expect(unsigned.documents.map((document) => document.name)).toEqual(['folder/test1.txt'])
    expect(unsigned.signaturesCount).toBe(0)
    expect(exitCodeOf(unsigned)).toBe(1)
    for (const name of ['asice-relative.asice', 'dot.asice', 'pt-empty.asice']) {
      const refused = validator.validate(vector(name))
      expect(refused.refused?.code).toBe('CONTAINER_UNSAFE_PATH')
      expect(exitCodeOf(refused)).toBe(2)
    }
    expect(validator.validate(Buffer.from('not a zip')).refused?.code).toBe('CONTAINER_NOT_ZIP')
  })
})

describe('signing and validating', () => {
  it('makes B-LT signatures by two signers in turn; both pass, the first file unchanged', async () => {
    const first = await sign(mari, 'LT', undefined, { claimedRole: 'Founder' })
    clock = new Date(clock.getTime() + 60_000)
    const second = await sign(jaan, 'LT', first)
    const before = unzipSync(first)['META-INF/signatures0.xml']
    expect(
      Buffer.from(unzipSync(second)['META-INF/signatures0.xml']).equals(Buffer.from(before)),
    ).toBe(true)
    const report = validator.validate(second)
    expect(report.signaturesCount).toBe(2)
    expect(report.validSignaturesCount).toBe(2)
    expect(exitCodeOf(report)).toBe(0)
    const [one, two] = report.signatures
    expect(one.signedBy).toBe('MÄNNIK,MARI-LIIS,47101010033')
    expect(one.signatureFormat).toBe('XAdES_BASELINE_LT')
    expect(one.signatureMethod).toMatch(/ecdsa-sha384$/)
    expect(two.signatureMethod).toMatch(/ecdsa-sha256$/)
    expect(one.info.signerRole).toEqual([{ claimedRole: 'Founder' }])
    expect(one.errors).toEqual([])
    expect(one.info.timestampCreationTime).toBeDefined()
    expect(new Date(two.info.bestSignatureTime).getTime()).toBeGreaterThan(
      new Date(one.info.bestSignatureTime).getTime(),
    )
    expect(one.signatureScopes.map((scope) => scope.name)).toEqual([
      'articles.txt',
      'folder/annex 1.pdf',
    ])
    expect(report.documents.map((document) => document.name).sort()).toEqual([
      'articles.txt',
      'folder/annex 1.pdf',
    ])
  })

  it('calls B-B and B-T indeterminate (no revocation data), with their formats', async () => {
    const basic = only(validator.validate(await sign(mari, 'B')))
    expect(basic.signatureFormat).toBe('XAdES_BASELINE_B')
    expect([basic.indication, basic.subIndication]).toEqual(['INDETERMINATE', 'TRY_LATER'])
    const stamped = only(validator.validate(await sign(mari, 'T')))
    expect(stamped.signatureFormat).toBe('XAdES_BASELINE_T')
    expect(stamped.info.timestampCreationTime).toBe(clock.toISOString().replace(/\.\d+Z/, '.000Z'))
    expect([stamped.indication, stamped.subIndication]).toEqual(['INDETERMINATE', 'TRY_LATER'])
  })

  it('validates a BDOC time-mark: the OCSP nonce is the signature hash', async () => {
    const marked = await sign(mari, 'LT-TM')
    const signature = only(validator.validate(marked))
    expect(signature.signatureFormat).toBe('XAdES_BASELINE_LT_TM')
    expect(signature.indication).toBe('TOTAL-PASSED')
    expect(signature.info.bestSignatureTime).toBe(signature.info.ocspResponseCreationTime)
    // Validated after the signing certificate expired: the time-mark proves it was valid then.
    const later = new Date(now().getTime() + 4 * 365 * 86_400_000)
    expect(only(validator.validate(marked, { at: later })).indication).toBe('TOTAL-PASSED')
    // Another time-marked signature's OCSP answer does not mark this one.
    const other = await sign(jaan, 'LT-TM')
    const ocspOf = (container: Buffer) =>
      /<xades:EncapsulatedOCSPValue[^>]*>([^<]+)</.exec(
        Buffer.from(unzipSync(container)['META-INF/signatures0.xml']).toString(),
      )?.[1] as string
    const swapped = editSignature(marked, 0, (xml) => xml.replace(ocspOf(marked), ocspOf(other)))
    const broken = only(validator.validate(swapped))
    expect(broken.indication).not.toBe('TOTAL-PASSED')
  })

  it('validates the same in worker threads as in process (the HTTP service uses them)', async () => {
    const container = await sign(mari, 'LT')
    const pool = createValidationPool({ trust: pki.trust, workers: 2 })
    try {
      const reports = await Promise.all([
        pool.validate(container, now()),
        pool.validate(Buffer.from('junk'), now()),
        pool.validate(container, now()),
      ])
      expect(reports[0]).toEqual(validator.validate(container))
      expect(reports[1].refused?.code).toBe('CONTAINER_NOT_ZIP')
      expect(reports[2].validSignaturesCount).toBe(1)
    } finally {
      await pool.close()
    }
    await expect(pool.validate(container, now())).rejects.toThrow('closed')
  })

  it('refuses a validation past its time limit, and the requests beside it still get answered', async () => {
    const container = await sign(mari, 'LT')
    const pool = createValidationPool({ trust: pki.trust, workers: 1 })
    try {
      // One worker: the second request waits behind the first, which overruns (1 ms) and has
      // its worker terminated; the second goes to the replacement and is answered.
      const [slow, beside] = await Promise.allSettled([
        pool.validate(container, now(), 1),
        pool.validate(container, now()),
      ])
      expect(slow).toMatchObject({
        status: 'rejected',
        reason: expect.objectContaining({ code: 'CONTAINER_TOO_COSTLY' }),
      })
      expect(beside).toMatchObject({ status: 'fulfilled' })
      expect(
        (beside as PromiseFulfilledResult<{ validSignaturesCount: number }>).value,
      ).toMatchObject({ validSignaturesCount: 1 })
      expect((await pool.validate(container, now())).validSignaturesCount).toBe(1)
    } finally {
      await pool.close()
    }
  })

  it('refuses to sign with a suspended certificate, and keeps a signature made before', async () => {
    const kati = await pki.issueSigning('49403136526', { given: 'KATI', surname: 'KASK' })
    const signed = await sign(kati, 'LT')
    pki.setStatus(kati.serial, { status: 'revoked', at: now(), reason: 6 })
    await expect(sign(kati, 'LT')).rejects.toMatchObject({ code: 'SIGN_FAILED' })
    expect(only(validator.validate(signed)).indication).toBe('TOTAL-PASSED')
  })
})

describe('broken signatures', () => {
  let good: Buffer
  beforeAll(async () => {
    good = await sign(mari, 'LT')
  })

  it('finds a changed document (HASH_FAILURE)', () => {
    const changed = rewrite(good, (files) => {
      files['articles.txt'] = Buffer.from('Articles of association, amended\n')
    })
    const signature = only(validator.validate(changed))
    expect([signature.indication, signature.subIndication]).toEqual([
      'TOTAL-FAILED',
      'HASH_FAILURE',
    ])
    expect(codes(signature)).toContain('REFERENCE_DIGEST')
  })

  it('finds changed signed properties, and a document added after signing', () => {
    const later = editSignature(good, 0, (xml) =>
      xml.replace(/<xades:SigningTime>[^<]+</, '<xades:SigningTime>2020-01-01T00:00:00Z<'),
    )
    const signature = only(validator.validate(later))
    expect(signature.subIndication).toBe('HASH_FAILURE')
    expect(codes(signature)).toContain('SIGNED_PROPERTIES_DIGEST')
    const added = rewrite(good, (files) => {
      files['extra.txt'] = Buffer.from('slipped in')
    })
    expect(codes(only(validator.validate(added)))).toContain('DOCUMENT_NOT_SIGNED')
  })

  it('fails a signature made by another key than the certificate names (key substitution)', async () => {
    const thief = keySigner(generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey)
    const forged = await signContainer({
      documents: DOCUMENTS,
      certificate: mari.certificate,
      issuer: pki.citizenCa,
      signer: thief,
      profile: 'B',
      services: pki.services,
      now: now(),
    }).catch((error: { code?: string }) => error.code)
    // Our own signer refuses to finish it; a forger would write the XML by hand:
    expect(forged).toBe('SIGN_FAILED')
    const value = /<ds:SignatureValue[^>]*>([^<]+)</
    const substituted = editSignature(good, 0, (xml) => {
      const original = value.exec(xml)?.[1] as string
      const bytes = Buffer.from(original, 'base64')
      bytes[5] ^= 0x01
      return xml.replace(original, bytes.toString('base64'))
    })
    const signature = only(validator.validate(substituted))
    expect([signature.indication, signature.subIndication]).toEqual([
      'TOTAL-FAILED',
      'SIG_CRYPTO_FAILURE',
    ])
  })

  it('fails when KeyInfo carries another certificate than SignedProperties binds', async () => {
    const certificateOf = (who: TestSigner) => who.certificate.toString('base64')
    const swapped = editSignature(good, 0, (xml) =>
      xml.replace(certificateOf(mari), certificateOf(jaan)),
    )
    const signature = only(validator.validate(swapped))
    expect(signature.indication).toBe('TOTAL-FAILED')
    expect(codes(signature)).toContain('SIGNING_CERTIFICATE_MISMATCH')
  })

  it('fails a time-stamp moved from another signature', async () => {
    const other = await sign(jaan, 'T')
    const tokenOf = (container: Buffer) =>
      /<xades:EncapsulatedTimeStamp>([^<]+)</.exec(
        Buffer.from(unzipSync(container)['META-INF/signatures0.xml']).toString(),
      )?.[1] as string
    const moved = editSignature(good, 0, (xml) => xml.replace(tokenOf(good), tokenOf(other)))
    const signature = only(validator.validate(moved))
    expect([signature.indication, signature.subIndication]).toEqual([
      'TOTAL-FAILED',
      'HASH_FAILURE',
    ])
    expect(codes(signature)).toContain('TIMESTAMP_HASH_FAILURE')
  })

  it('fails a certificate not meant for signatures (no non-repudiation)', async () => {
    const wrong = await pki.issueSigning(
      '38001085718',
      { given: 'JAAN', surname: 'TAMM' },
      { keyUsage: 'digitalSignature' },
    )
    const signature = only(validator.validate(await sign(wrong, 'LT')))
    expect([signature.indication, signature.subIndication]).toEqual([
      'TOTAL-FAILED',
      'SIG_CONSTRAINTS_FAILURE',
    ])
  })

  it('calls an untrusted chain indeterminate, but a broken and untrusted signature failed', () => {
    const stranger = createSignatureValidator({
      trust: createTrustList({
        cas: [vector('ca.crt')],
        tsas: pki.trust.tsas.map((entry) => entry.der),
      }),
      now,
    })
    const untrusted = only(stranger.validate(good))
    expect([untrusted.indication, untrusted.subIndication]).toEqual([
      'INDETERMINATE',
      'NO_CERTIFICATE_CHAIN_FOUND',
    ])
    const changed = rewrite(good, (files) => {
      files['articles.txt'] = Buffer.from('changed')
    })
    const both = only(stranger.validate(changed))
    expect([both.indication, both.subIndication]).toEqual(['TOTAL-FAILED', 'HASH_FAILURE'])
  })

  it('fails a truncated signature file without losing the others', async () => {
    const two = await sign(jaan, 'LT', good)
    const truncated = editSignature(two, 0, (xml) => xml.slice(0, Math.floor(xml.length / 2)))
    const report = validator.validate(truncated)
    expect(report.signaturesCount).toBe(2)
    expect(report.signatures[0]).toMatchObject({
      indication: 'TOTAL-FAILED',
      subIndication: 'FORMAT_FAILURE',
    })
    expect(codes(report.signatures[0])).toEqual(['XML_MALFORMED'])
    expect(report.signatures[1].indication).toBe('TOTAL-PASSED')
  })

  it('fails, never throws, on a certificate that is not one', () => {
    const junk = editSignature(good, 0, (xml) =>
      xml
        .replace(/<ds:X509Certificate>[^<]+</, '<ds:X509Certificate>AAAA<')
        .replace(
          /(<xades:CertDigest>.*?<ds:DigestValue>)[^<]+</,
          (_, head: string) =>
            `${head}${createHash('sha256').update(Buffer.from('AAAA', 'base64')).digest('base64')}<`,
        ),
    )
    const signature = only(validator.validate(junk))
    expect([signature.indication, signature.subIndication]).toEqual([
      'TOTAL-FAILED',
      'FORMAT_FAILURE',
    ])
  })

  it('refuses a malformed signature value with a coded error, never a crash', async () => {
    const prepared = prepareSignature({
      documents: DOCUMENTS,
      certificate: mari.certificate,
      issuer: pki.citizenCa,
      profile: 'B',
      signingTime: now(),
    })
    for (const value of [
      Buffer.from([0x30, 0x02, 0x05, 0x00]),
      Buffer.concat([
        Buffer.from([0x30, 0x45, 0x02, 0x41]),
        Buffer.alloc(65, 1),
        Buffer.from([0x02, 0x00]),
      ]),
      Buffer.alloc(3),
    ])
      await expect(finalizeSignature(prepared, value, pki.services)).rejects.toMatchObject({
        code: 'SIGN_FAILED',
      })
  })

  it('does not pass a signature without a time-stamp on an OCSP answer pasted beside it', () => {
    const unstamped = editSignature(good, 0, (xml) =>
      xml.replace(/<xades:SignatureTimeStamp[\s\S]*?<\/xades:SignatureTimeStamp>/, ''),
    )
    const signature = only(validator.validate(unstamped))
    expect(signature.indication).toBe('INDETERMINATE')
    expect(codes(signature)).toContain('SIGNATURE_TIME_UNPROVEN')
  })

  it('refuses a signature carrying a flood of certificates before any chain search', () => {
    const flood = editSignature(good, 0, (xml) => {
      const certificate = /<ds:X509Certificate>([^<]+)</.exec(xml)?.[1] as string
      return xml.replace(
        '</ds:X509Data>',
        `${`<ds:X509Certificate>${certificate}</ds:X509Certificate>`.repeat(30)}</ds:X509Data>`,
      )
    })
    expect(codes(only(validator.validate(flood)))).toEqual(['XADES_MALFORMED'])
  })

  it('refuses wrapping: a second element with the SignedProperties Id', () => {
    const wrapped = editSignature(good, 0, (xml) =>
      xml.replace(
        '<ds:KeyInfo>',
        '<ds:KeyInfo><ds:KeyName Id="S0-SignedProperties">decoy</ds:KeyName>',
      ),
    )
    const signature = only(validator.validate(wrapped))
    expect([signature.indication, signature.subIndication]).toEqual([
      'TOTAL-FAILED',
      'FORMAT_FAILURE',
    ])
    expect(codes(signature)).toEqual(['XADES_MALFORMED'])
  })

  it('validates at a given time: a B-B signature after its certificate expired is out of bounds', async () => {
    const basic = await sign(mari, 'B')
    const later = only(validator.validate(basic, { at: new Date('2040-01-01T00:00:00Z') }))
    expect([later.indication, later.subIndication]).toEqual([
      'INDETERMINATE',
      'OUT_OF_BOUNDS_NO_POE',
    ])
    // A B-LT one keeps its time-stamped proof: still valid in 2040.
    expect(
      only(validator.validate(good, { at: new Date('2040-01-01T00:00:00Z') })).indication,
    ).toBe('TOTAL-PASSED')
  })
})
