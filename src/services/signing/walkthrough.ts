/**
 * `e-state demo signing`: remote signing against a running development node, as a browser with
 * an ID card would do it, over HTTP only. A demo resident gets an e-ID at the demo desk and logs
 * in (`services/eid-desk`'s demo client); the node prepares a signature over a document and
 * answers the hash; the signing key, which never leaves this process, signs it; the node adds
 * its time-stamp and OCSP answer and returns the container; the public validation service
 * checks it; and the spent prepared signature cannot be finished twice.
 */
import type { KeyObject } from 'node:crypto'
import { p384 } from '@noble/curves/nist.js'
import type { WalkthroughDeclaration, WalkthroughTarget } from '../../platform/index.ts'
import { demoHolder, demoStart } from '../eid-desk/index.ts'

const ASICE = 'application/vnd.etsi.asic-e+zip'

export const SIGNING_WALKTHROUGH: WalkthroughDeclaration = {
  name: 'signing',
  summary:
    'get an e-ID at the demo desk, sign a document with a key that stays here, and validate the container',
  run: walkThrough,
}

interface Conclusion {
  readonly validSignaturesCount: number
  readonly signatures: readonly {
    readonly indication: string
    readonly signatureFormat: string
    readonly signedBy: string
    readonly claimedSigningTime?: string
  }[]
}

async function walkThrough({ url, say, args }: WalkthroughTarget): Promise<void> {
  const { resident, node } = demoStart(url, args)
  const holder = await demoHolder(node, url, resident, say)

  const text = `Articles of association of Kask OÜ, signed by ${resident.firstName} ${resident.lastName}\n`
  say('3. The node prepares a signature over a document and answers the hash to sign.')
  const prepared = (await node.json(
    'POST',
    '/signatures/prepare',
    {
      certificate: holder.signing.certificate,
      documents: [
        {
          name: 'articles.txt',
          mediaType: 'text/plain',
          content: Buffer.from(text).toString('base64'),
        },
      ],
      claimedRole: 'Founder',
    },
    holder.session,
  )) as { id: string; hash: string; hashFunction: string; expiresAt: string }
  say(
    `   ${prepared.hashFunction} hash ${prepared.hash.slice(0, 16)}…, to be signed by ${prepared.expiresAt}.`,
  )

  say('4. The signing key signs the hash here, as the card would; the node finishes the container')
  say("   with the state's time-stamp and the certificate's OCSP answer (XAdES B-LT).")
  const signatureValue = signHash(holder.signing.key, Buffer.from(prepared.hash, 'base64'))
  const finished = await node.request(
    'POST',
    '/signatures/finalize',
    { id: prepared.id, signatureValue },
    holder.session,
  )
  const container = Buffer.from(await finished.arrayBuffer())
  say(
    `   The signed container: ${container.length} bytes (${finished.headers.get('content-type')}).`,
  )

  say('5. Anyone validates it with the public validation service.')
  const validated = await fetch(new URL('/signatures/validate', url), {
    method: 'POST',
    headers: { 'content-type': ASICE, accept: 'application/json' },
    body: container,
    signal: AbortSignal.timeout(30_000),
  })
  if (validated.status !== 200)
    throw new Error(`POST /signatures/validate answered ${validated.status}`)
  const conclusion = (
    (await validated.json()) as { validationReport: { validationConclusion: Conclusion } }
  ).validationReport.validationConclusion
  for (const signature of conclusion.signatures)
    say(`   ${signature.indication}  ${signature.signedBy}  ${signature.signatureFormat}`)
  if (conclusion.validSignaturesCount !== 1)
    throw new Error(
      `the container holds ${conclusion.validSignaturesCount} valid signatures, not 1`,
    )

  say('6. The prepared signature was spent: finishing it again is refused.')
  const again = await node
    .request('POST', '/signatures/finalize', { id: prepared.id, signatureValue }, holder.session)
    .then(
      () => 'accepted',
      (error: Error) => error.message,
    )
  if (!again.includes('SIGN_PREPARED_UNKNOWN'))
    throw new Error(`a second finalize was not refused as spent: ${again}`)
  say(`   ${again}`)
  say(`Done. Do the same in the browser: ${url}/sign (after the demo desk on the front page).`)
}

/** What Web eID does with the hash: ECDSA over it as given (raw r‖s), no second hashing. */
function signHash(key: KeyObject, hash: Buffer): string {
  const scalar = Buffer.from(key.export({ format: 'jwk' }).d as string, 'base64url')
  return Buffer.from(p384.sign(hash, scalar, { prehash: false })).toString('base64')
}
