/**
 * Digital signatures over HTTP.
 *
 * `POST /signatures/validate` — anyone may validate a container (as with Estonia's public
 * validation service): the container in (`application/vnd.etsi.asic-e+zip`, up to 64 MB, its
 * own limit), SiVa's validation conclusion out, validated in worker threads so the node keeps
 * answering. A container refused as unsafe or malformed is a 422 problem naming why. Uploads
 * in flight are bounded, beyond which a 429 says to retry.
 *
 * `POST /signatures/prepare` and `/signatures/finalize` — remote signing for someone logged in
 * whose key stays with them (an ID card through Web eID, say): prepare returns the hash their
 * key must sign; finalize takes the signature value, adds the state's time-stamp and OCSP
 * answer (B-LT by default) and returns the container. Only the holder's own signing
 * certificate from the state's citizen CA may be used, and a prepared signature lives five
 * minutes in the store (`prepared-store.ts`), for the person who prepared it, and is spent once.
 */
import { randomBytes, X509Certificate } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { Type } from 'typebox'
import {
  containerParts,
  existingIds,
  finalizeSignature,
  nextSignatureName,
  prepareSignature,
  writeContainer,
  isSignatureErrorCode,
  SignatureError,
  type SigningServices,
  type ValidationPool,
  type ValidationReport,
} from '../../signature/index.ts'
import { requireSession, type SessionNeeds } from '../../identity/index.ts'
import { ERRORS, ProblemSchema } from '../../shared/index.ts'
import type { StatePki } from '../../trust/index.ts'
import type { Envelope } from '../../crypto/index.ts'
import type { Store } from '../../storage/index.ts'
import { SigningError } from './errors.ts'
import { preparedStore } from './prepared-store.ts'

/** What signing and validating ask of the platform. */
export interface SigningNeeds extends SessionNeeds {
  readonly store: Store
  readonly envelope: Envelope
  readonly pki: StatePki
  readonly signatures: {
    readonly pool: ValidationPool
    readonly services: SigningServices
  }
}

const CONTAINER_LIMIT = 64 * 1024 * 1024
const JSON_LIMIT = Math.ceil((CONTAINER_LIMIT * 4) / 3) + 64 * 1024
const MAX_UPLOADS = 4
const PREPARED_SECONDS = 300
const MAX_PREPARED = 1_000
const MAX_PREPARED_PER_PERSON = 3
const ASICE = 'application/vnd.etsi.asic-e+zip'

const Message = Type.Object({ content: Type.String(), code: Type.Optional(Type.String()) })
const SignatureSchema = Type.Object({
  id: Type.String(),
  signatureFormat: Type.String(),
  signatureMethod: Type.String(),
  signatureLevel: Type.String(),
  signedBy: Type.String(),
  subjectDistinguishedName: Type.Object({
    serialNumber: Type.Optional(Type.String()),
    commonName: Type.Optional(Type.String()),
    givenName: Type.Optional(Type.String()),
    surname: Type.Optional(Type.String()),
    organizationIdentifier: Type.Optional(Type.String()),
  }),
  indication: Type.String({ description: 'TOTAL-PASSED, TOTAL-FAILED or INDETERMINATE' }),
  subIndication: Type.Optional(Type.String({ description: 'ETSI EN 319 102-1' })),
  errors: Type.Array(Message),
  warnings: Type.Array(Message),
  claimedSigningTime: Type.String(),
  signatureScopes: Type.Array(
    Type.Object({
      name: Type.String(),
      scope: Type.String(),
      content: Type.String(),
      hashAlgo: Type.String(),
      hash: Type.String(),
    }),
  ),
  info: Type.Object({
    bestSignatureTime: Type.String(),
    timestampCreationTime: Type.Optional(Type.String()),
    ocspResponseCreationTime: Type.Optional(Type.String()),
    timeAssertionMessageImprint: Type.Optional(Type.String()),
    signerRole: Type.Optional(Type.Array(Type.Object({ claimedRole: Type.String() }))),
    signatureProductionPlace: Type.Optional(Type.Record(Type.String(), Type.String())),
  }),
})
export const ValidationReportSchema = Type.Object({
  validationReport: Type.Object({
    validationConclusion: Type.Object({
      validationTime: Type.String(),
      signatureForm: Type.String(),
      signaturesCount: Type.Integer(),
      validSignaturesCount: Type.Integer(),
      documents: Type.Array(
        Type.Object({ name: Type.String(), mediaType: Type.String(), size: Type.Integer() }),
      ),
      signatures: Type.Array(SignatureSchema),
      validationWarnings: Type.Array(Message),
    }),
  }),
})

const PrepareBody = Type.Object(
  {
    certificate: Type.String({
      maxLength: 8192,
      description: 'The signing certificate, base64 DER',
    }),
    container: Type.Optional(
      Type.String({ description: 'A container to add the signature to, base64' }),
    ),
    documents: Type.Optional(
      Type.Array(
        Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 255 }),
            mediaType: Type.Optional(Type.String({ maxLength: 100 })),
            content: Type.String({ description: 'base64' }),
          },
          { additionalProperties: false },
        ),
        { minItems: 1, maxItems: 100 },
      ),
    ),
    profile: Type.Optional(
      Type.Union([Type.Literal('B'), Type.Literal('T'), Type.Literal('LT')], { default: 'LT' }),
    ),
    claimedRole: Type.Optional(Type.String({ maxLength: 200 })),
    city: Type.Optional(Type.String({ maxLength: 100 })),
    countryName: Type.Optional(Type.String({ maxLength: 100 })),
  },
  { additionalProperties: false },
)

/** A full limit: the person's own prepared signatures, or all of them. */
function busy(full: 'person' | 'all'): SigningError {
  return full === 'person'
    ? new SigningError('SIGNATURES_BUSY', 'finish or let expire the signatures already prepared')
    : new SigningError('SIGNATURES_BUSY', 'too many signatures are being prepared')
}

export function registerSigningRoutes(app: FastifyInstance, platform: () => SigningNeeds): void {
  let uploads = 0
  const prepared = () => preparedStore(platform().store, platform().envelope)

  void app.register(async (scope) => {
    scope.addContentTypeParser(
      [ASICE, 'application/zip', 'application/octet-stream'],
      { parseAs: 'buffer', bodyLimit: CONTAINER_LIMIT },
      (_request, body, done) => done(null, body),
    )
    scope.post(
      '/signatures/validate',
      {
        bodyLimit: CONTAINER_LIMIT,
        onRequest: async (_request, reply) => {
          if (uploads >= MAX_UPLOADS)
            throw new SigningError('SIGNATURES_BUSY', 'too many containers are being validated')
          uploads++
          reply.raw.once('close', () => uploads--)
        },
        schema: {
          tags: ['Signatures'],
          summary: 'Validate an ASiC-E container (SiVa-shaped validation conclusion)',
          querystring: Type.Object({
            at: Type.Optional(
              Type.String({ format: 'date-time', description: 'Validate as of this time' }),
            ),
          }),
          response: { 200: ValidationReportSchema, 422: ProblemSchema, ...ERRORS },
        },
      },
      async (request) => {
        if (!Buffer.isBuffer(request.body))
          throw new SigningError('UNSUPPORTED_MEDIA_TYPE', `send the container as ${ASICE}`)
        const { at } = request.query as { at?: string }
        const { signatures, clock } = platform()
        const report = await signatures.pool.validate(
          request.body,
          at === undefined ? clock.now() : new Date(at),
        )
        if (report.refused !== undefined) {
          const code = report.refused.code ?? 'CONTAINER_NOT_ZIP'
          throw new SignatureError(
            isSignatureErrorCode(code) ? code : 'CONTAINER_NOT_ZIP',
            report.refused.content,
          )
        }
        return { validationReport: { validationConclusion: conclusionOf(report) } }
      },
    )
  })

  app.post(
    '/signatures/prepare',
    {
      bodyLimit: JSON_LIMIT,
      schema: {
        tags: ['Signatures'],
        summary: 'Remote signing, step 1: the hash your key must sign',
        body: PrepareBody,
        response: {
          200: Type.Object({
            id: Type.String(),
            hash: Type.String({ description: 'base64: sign this with your signing key' }),
            dataToSign: Type.String({
              description:
                'base64 canonical SignedInfo whose hash is `hash`: for a signer that hashes itself (WebCrypto)',
            }),
            hashFunction: Type.String({ description: 'SHA-256 or SHA-384' }),
            signatureMethod: Type.String(),
            expiresAt: Type.String(),
          }),
          422: ProblemSchema,
          ...ERRORS,
        },
      },
    },
    async (request) => {
      const { pki, clock } = platform()
      const session = await requireSession(request, platform())
      const body = request.body as {
        certificate: string
        container?: string
        documents?: { name: string; mediaType?: string; content: string }[]
        profile?: 'B' | 'T' | 'LT'
        claimedRole?: string
        city?: string
        countryName?: string
      }
      const certificate = Buffer.from(body.certificate, 'base64')
      let x509: X509Certificate
      try {
        x509 = new X509Certificate(certificate)
      } catch {
        throw new SigningError('SIGN_FAILED', 'the certificate cannot be read')
      }
      const issuer = pki.authorities.get('citizen')?.certificate as Buffer
      const ca = new X509Certificate(issuer)
      const held = await pki.certificate(x509.serialNumber.toLowerCase())
      // The certificate itself must be the citizen CA's (not one made up around a real serial),
      // the holder's signing certificate, good and valid now.
      if (
        held === undefined ||
        held.holder !== session.personalCode ||
        held.kind !== 'sign' ||
        !x509.checkIssued(ca) ||
        !x509.verify(ca.publicKey)
      )
        throw new SigningError(
          'SIGNING_CERTIFICATE_NOT_YOURS',
          'sign with your own e-ID signing certificate',
        )
      const now = clock.now().getTime()
      if (
        held.status !== 'good' ||
        new Date(x509.validFrom).getTime() > now ||
        new Date(x509.validTo).getTime() < now
      )
        throw new SigningError(
          'SIGN_FAILED',
          `the signing certificate is ${held.status} or expired`,
        )
      // Refused early here when full (before any work), and for certain by the save below.
      const waiting = await prepared().counts(session.personalCode, clock.now())
      if (waiting.person >= MAX_PREPARED_PER_PERSON) throw busy('person')
      if (waiting.all >= MAX_PREPARED) throw busy('all')
      const { documents, existing } = containerParts(
        body.container === undefined ? undefined : Buffer.from(body.container, 'base64'),
        body.documents?.map((document) => ({
          name: document.name,
          mediaType: document.mediaType ?? 'application/octet-stream',
          bytes: Buffer.from(document.content, 'base64'),
        })),
      )
      const place =
        body.city === undefined && body.countryName === undefined
          ? undefined
          : { city: body.city, countryName: body.countryName }
      const signature = prepareSignature({
        documents,
        certificate,
        issuer,
        profile: body.profile ?? 'LT',
        signingTime: clock.now(),
        existingIds: existingIds(existing),
        details: { claimedRole: body.claimedRole, productionPlace: place },
      })
      const id = randomBytes(18).toString('base64url')
      const until = new Date(now + PREPARED_SECONDS * 1000)
      // In the store, not in this process: a restarted node or the embassy finishes it.
      const saved = await prepared().save(
        id,
        session.personalCode,
        until,
        { prepared: signature, documents, existing },
        clock.now(),
        { perPerson: MAX_PREPARED_PER_PERSON, total: MAX_PREPARED },
      )
      if (saved !== 'saved') throw busy(saved)
      return {
        id,
        hash: signature.toBeSigned.toString('base64'),
        dataToSign: signature.signedInfo.toString('base64'),
        hashFunction: signature.digest === 'sha384' ? 'SHA-384' : 'SHA-256',
        signatureMethod: signature.parts.signatureMethod,
        expiresAt: until.toISOString(),
      }
    },
  )

  app.post(
    '/signatures/finalize',
    {
      schema: {
        tags: ['Signatures'],
        summary: 'Remote signing, step 2: the signature value in, the signed container out',
        body: Type.Object(
          {
            id: Type.String({ maxLength: 64 }),
            signatureValue: Type.String({ maxLength: 2048, description: 'base64' }),
          },
          { additionalProperties: false },
        ),
        response: { 422: ProblemSchema, ...ERRORS },
      },
    },
    async (request, reply) => {
      const { signatures, clock } = platform()
      const session = await requireSession(request, platform())
      const { id, signatureValue } = request.body as { id: string; signatureValue: string }
      // Taken once: read and deleted in one statement, only by the person who prepared it.
      const entry = await prepared().take(id, session.personalCode, clock.now())
      if (entry === undefined)
        throw new SigningError(
          'SIGN_PREPARED_UNKNOWN',
          'no such prepared signature (or it expired)',
        )
      const xml = await finalizeSignature(
        entry.prepared,
        Buffer.from(signatureValue, 'base64'),
        signatures.services,
      )
      const container = writeContainer(entry.documents, [
        ...entry.existing,
        { name: nextSignatureName(entry.existing), bytes: Buffer.from(xml, 'utf8') },
      ])
      request.log.info({ signer: session.personalCode, signature: entry.prepared.id }, 'signed')
      return reply
        .type(ASICE)
        .header('content-disposition', 'attachment; filename="signed.asice"')
        .send(container)
    },
  )
}

/** The conclusion as SiVa shapes it (a refused container never gets here). */
function conclusionOf(report: ValidationReport): Omit<ValidationReport, 'refused'> {
  return {
    validationTime: report.validationTime,
    signatureForm: report.signatureForm,
    signaturesCount: report.signaturesCount,
    validSignaturesCount: report.validSignaturesCount,
    documents: report.documents,
    signatures: report.signatures,
    validationWarnings: report.validationWarnings,
  }
}
