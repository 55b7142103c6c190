/**
 * Signatures: validations/s of a container with one 1 MB document and two B-LT signatures, beside
 * the bare XML-DSig verification of the same container in the same run (unzip, parse, the
 * reference digests and the two signature values — what xmlsec1 would check, without chain,
 * time-stamp, OCSP or report); and the time to create a B-LT signature (key in this process,
 * TSA and OCSP in process; no PIN prompt).
 */
import { createHash, randomBytes, X509Certificate } from 'node:crypto'
import { availableParallelism } from 'node:os'
import {
  createSignatureValidator,
  createTrustList,
  createValidationPool,
  signContainer,
  type ContainerDocument,
} from '../src/signature/index.ts'
import { canonicalize } from '../src/signature/c14n.ts'
import { DIGEST_URIS, SIGNATURE_URIS, verifySignatureValue } from '../src/signature/algorithms.ts'
import { parseSignatureFile } from '../src/signature/xades.ts'
import { readZipDirectory, readZipEntry } from '../src/signature/zip-reader.ts'
import { signaturePki } from '../test/support/signature-pki.ts'

const fmt = (n: number) => Math.round(n).toLocaleString('en-US')

/** A 1 MB document that compresses as office documents do (words, not zeros or noise). */
function document(): ContainerDocument {
  const words = Array.from({ length: 4000 }, () =>
    randomBytes(4)
      .toString('hex')
      .slice(0, 3 + (randomBytes(1)[0] % 6)),
  )
  let text = ''
  while (text.length < 1024 * 1024)
    text += `${words[randomBytes(2).readUInt16BE() % words.length]} `
  return {
    name: 'contract.pdf',
    mediaType: 'application/pdf',
    bytes: Buffer.from(text.slice(0, 1024 * 1024)),
  }
}

export async function makeBenchContainer(): Promise<{
  container: Buffer
  trustCas: Buffer[]
  tsas: Buffer[]
  create: () => Promise<number>
}> {
  const now = () => new Date()
  const pki = await signaturePki(now)
  const mari = await pki.issueSigning('47101010033', { given: 'MARI-LIIS', surname: 'MÄNNIK' })
  const jaan = await pki.issueSigning('38001085718', { given: 'JAAN', surname: 'TAMM' })
  const documents = [document()]
  const sign = (who: typeof mari, container?: Buffer) =>
    signContainer({
      ...(container === undefined ? { documents } : { container }),
      certificate: who.certificate,
      issuer: pki.citizenCa,
      signer: who.signer,
      profile: 'LT',
      services: pki.services,
      now: now(),
    })
  const container = await sign(jaan, await sign(mari))
  return {
    container,
    trustCas: pki.trust.cas.map((entry) => entry.der),
    tsas: pki.trust.tsas.map((entry) => entry.der),
    create: async () => {
      const started = performance.now()
      await sign(mari)
      return performance.now() - started
    },
  }
}

/** XML-DSig alone: every reference digest and signature value, nothing else. */
function bareVerify(container: Buffer): boolean {
  // The same native unzip as validation uses, without its container checks.
  const files: Record<string, Buffer> = {}
  for (const entry of readZipDirectory(container, 1000))
    files[entry.name] = readZipEntry(container, entry)
  let ok = true
  for (const [name, bytes] of Object.entries(files)) {
    if (!name.startsWith('META-INF/signatures')) continue
    for (const signature of parseSignatureFile(name, Buffer.from(bytes).toString('utf8'))) {
      for (const reference of signature.documentReferences) {
        const digest = DIGEST_URIS[reference.digestMethod] as string
        ok &&= createHash(digest)
          .update(files[reference.uri])
          .digest()
          .equals(reference.digestValue)
      }
      const properties = signature.propertiesReference
      ok &&= createHash(DIGEST_URIS[properties.digestMethod] as string)
        .update(
          canonicalize(signature.signedProperties, properties.transforms[0], {
            omitComments: true,
          }),
        )
        .digest()
        .equals(properties.digestValue)
      const key = new X509Certificate(signature.keyInfoCertificates[0]).publicKey
      ok &&= verifySignatureValue(
        SIGNATURE_URIS[signature.signatureMethod],
        Buffer.from(canonicalize(signature.signedInfo, signature.canonicalization)),
        key,
        signature.signatureValue,
      )
    }
  }
  return ok
}

function rate(seconds: number, action: () => void): number {
  const until = performance.now() + seconds * 1000
  let count = 0
  const started = performance.now()
  while (performance.now() < until) {
    action()
    count++
  }
  return count / ((performance.now() - started) / 1000)
}

export async function benchSignatures(seconds: number): Promise<void> {
  const made = await makeBenchContainer()
  const validator = createSignatureValidator({
    trust: createTrustList({ cas: made.trustCas, tsas: made.tsas }),
    now: () => new Date(),
  })
  const first = validator.validate(made.container)
  if (first.validSignaturesCount !== 2)
    throw new Error(
      `bench container does not validate: ${JSON.stringify(first.signatures.map((s) => s.errors))}`,
    )
  if (!bareVerify(made.container)) throw new Error('bare verification fails')
  const size = made.container.length
  const bare = rate(seconds, () => bareVerify(made.container))
  const full = rate(seconds, () => validator.validate(made.container))
  console.log(`container      1 MB document (${fmt(size / 1024)} kB zipped), two B-LT signatures`)
  console.log(`baseline       bare XML-DSig verification ${fmt(bare)} containers/s (one core)`)
  console.log(
    `validate       ${fmt(full)} validations/s on one core (full report: chain, time-stamp, OCSP)`,
  )
  console.log(`ratio          validation ÷ bare XML-DSig = ${(full / bare).toFixed(2)}`)
  const workers = availableParallelism()
  const parallel = await validateInWorkers(made, workers, seconds)
  console.log(
    `validate       ${fmt(parallel)} validations/s through the service's pool of ${workers} worker threads (one per core)`,
  )
  const times: number[] = []
  for (let index = 0; index < 20; index++) times.push(await made.create())
  times.sort((a, b) => a - b)
  console.log(
    `create B-LT    ${times[10].toFixed(1)} ms median (${times[0].toFixed(1)}–${times[19].toFixed(1)}) per signature of a 1 MB document: hash, sign, time-stamp, OCSP; no PIN prompt`,
  )
}

async function validateInWorkers(
  made: { container: Buffer; trustCas: Buffer[]; tsas: Buffer[] },
  count: number,
  seconds: number,
): Promise<number> {
  // The HTTP service's own pool, kept busy with two requests per worker.
  const pool = createValidationPool({
    trust: createTrustList({ cas: made.trustCas, tsas: made.tsas }),
    workers: count,
  })
  try {
    await Promise.all(
      Array.from({ length: count }, () => pool.validate(made.container, new Date())),
    )
    const started = performance.now()
    const until = started + seconds * 1000
    let done = 0
    await Promise.all(
      Array.from({ length: count * 2 }, async () => {
        while (performance.now() < until) {
          await pool.validate(made.container, new Date())
          done++
        }
      }),
    )
    return done / ((performance.now() - started) / 1000)
  } finally {
    await pool.close()
  }
}
