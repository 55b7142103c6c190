/**
 * Signing a container in one step with a key this process can reach through the `Signer` port
 * (a software token unlocked with PIN2, an ID card or HSM behind PKCS#11), and the services that
 * supply time-stamps and OCSP answers: the state's own TSA and responder in process, or a
 * running e-state over HTTP.
 */
import { X509Certificate } from 'node:crypto'
import type { Signer } from '../trust/index.ts'
import {
  openContainer,
  nextSignatureName,
  writeContainer,
  type ContainerDocument,
} from './container.ts'
import {
  finalizeSignature,
  prepareSignature,
  type SignatureProfile,
  type SignerDetails,
  type SigningServices,
} from './create.ts'
import { SignatureError } from './errors.ts'
import { parseSignatureFile } from './xades.ts'

export interface SignRequest {
  /** An existing container to add a signature to; or `documents` for a new one. */
  readonly container?: Uint8Array
  readonly documents?: readonly ContainerDocument[]
  readonly certificate: Buffer
  readonly issuer: Buffer
  readonly signer: Pick<Signer, 'sign'>
  readonly profile: SignatureProfile
  readonly services: SigningServices
  readonly now: Date
  readonly details?: SignerDetails
}

/** The container with one more signature; the earlier signatures' files are kept byte for byte. */
export async function signContainer(request: SignRequest): Promise<Buffer> {
  const { documents, existing } = containerParts(request.container, request.documents)
  const prepared = prepareSignature({
    documents,
    certificate: request.certificate,
    issuer: request.issuer,
    profile: request.profile,
    signingTime: request.now,
    existingIds: existingIds(existing),
    details: request.details,
  })
  const value = await request.signer.sign(prepared.signedInfo)
  const xml = await finalizeSignature(prepared, value, request.services)
  return writeContainer(documents, [
    ...existing,
    { name: nextSignatureName(existing), bytes: Buffer.from(xml, 'utf8') },
  ])
}

/** The documents and signature files to build on: from a container, or new documents. */
export function containerParts(
  container: Uint8Array | undefined,
  documents: readonly ContainerDocument[] | undefined,
): {
  documents: readonly ContainerDocument[]
  existing: readonly { name: string; bytes: Buffer; xml: string }[]
} {
  if (container === undefined) {
    if (documents === undefined || documents.length === 0)
      throw new SignatureError('SIGN_FAILED', 'nothing to sign')
    const names = new Set(documents.map((document) => document.name))
    if (names.size !== documents.length)
      throw new SignatureError('SIGN_FAILED', 'two documents have the same name')
    return { documents, existing: [] }
  }
  if (documents !== undefined && documents.length > 0)
    throw new SignatureError(
      'SIGN_FAILED',
      'a signature is added to a container as it is: documents cannot be added to a signed one',
    )
  const opened = openContainer(container)
  return { documents: opened.documents, existing: opened.signatures }
}

/** The Ids of the signatures already there, so the new one's Id is unique in the container. */
export function existingIds(existing: readonly { name: string; xml: string }[]): string[] {
  return existing.flatMap((file) => {
    try {
      return parseSignatureFile(file.name, file.xml).map((signature) => signature.id)
    } catch {
      return []
    }
  })
}

/** Time-stamps and OCSP answers from a running e-state (`/trust/tsa`, `/trust/ocsp`). */
export function httpSigningServices(baseUrl: string): SigningServices {
  const post = async (path: string, type: string, body: Buffer) => {
    const response = await fetch(new URL(path, baseUrl), {
      method: 'POST',
      headers: { 'content-type': type },
      body: new Uint8Array(body),
      signal: AbortSignal.timeout(15_000),
    })
    if (!response.ok) throw new SignatureError('SIGN_FAILED', `${path} answered ${response.status}`)
    return Buffer.from(await response.arrayBuffer())
  }
  return {
    timestamp: (request) => post('/trust/tsa', 'application/timestamp-query', request),
    ocsp: (request) => post('/trust/ocsp', 'application/ocsp-request', request),
  }
}

/** The certificate's issuer among `candidates` (the CA that signed it). */
export function issuerOf(certificate: Buffer, candidates: readonly Buffer[]): Buffer {
  const x509 = new X509Certificate(certificate)
  const issuer = candidates.find((candidate) => {
    const ca = new X509Certificate(candidate)
    return x509.checkIssued(ca) && x509.verify(ca.publicKey)
  })
  if (issuer === undefined)
    throw new SignatureError('SIGN_FAILED', "the signing certificate's issuer is not known here")
  return issuer
}
