/**
 * e-ID at the service desk and for its holder. A clerk (an official with that role, logged in
 * with their own e-ID) verifies the resident in person and issues the two certificates for the
 * keys the resident's card, token or browser made — proved by a signature of each key — with
 * the names from the population register (read through the door, purpose "e-ID issuance").
 * A new e-ID supersedes the holder's earlier certificates. The holder suspends or revokes their
 * own; a clerk may also resume. Every answer names the role or mandate it was decided on.
 */
import type { FastifyInstance } from 'fastify'
import { Type } from 'typebox'
import { verify, X509Certificate, type KeyObject } from 'node:crypto'
import { portalCallerOf, type ExchangeClient } from '../../exchange/index.ts'
import {
  requireRole,
  requireSession,
  requireStepUp,
  verifyKeyPossession,
  type Mandate,
} from '../../identity/index.ts'
import type { Caller } from '../../registries/index.ts'
import { ERRORS } from '../../shared/index.ts'
import {
  OID,
  type CertificateState,
  type IssuedCertificate,
  type StatePki,
} from '../../trust/index.ts'
import {
  deskVisitOf,
  openDeskVisit,
  recordDeskAct,
  type DeskNeeds,
  type DeskVisit,
} from '../desk/index.ts'
import { EidDeskError } from './errors.ts'

/** What the e-ID desk asks of the platform. */
export interface EidDeskNeeds extends DeskNeeds {
  readonly pki: StatePki
  readonly exchangeClient: ExchangeClient
}

const Key = Type.Object(
  {
    publicKey: Type.String({
      maxLength: 400,
      description: 'SubjectPublicKeyInfo, base64 (P-384 or P-256)',
    }),
    proof: Type.String({
      maxLength: 300,
      description:
        'Signature by this key over "e-state e-ID key\\n<personal code>\\n<publicKey>\\n", base64',
    }),
  },
  { additionalProperties: false },
)
const Issued = Type.Object({ serial: Type.String(), certificate: Type.String() })
const MandateSchema = Type.Object({ as: Type.String(), agency: Type.Optional(Type.String()) })
const IssueResponse = {
  200: Type.Object({ auth: Issued, sign: Issued, authorisedAs: MandateSchema }),
  ...ERRORS,
  409: ERRORS[403],
}
const Held = Type.Object({
  serial: Type.String(),
  kind: Type.String(),
  status: Type.String(),
  notAfter: Type.String(),
  issuedAt: Type.String(),
})

export function registerEidDeskRoutes(app: FastifyInstance, platform: () => EidDeskNeeds): void {
  app.post(
    '/eid/issue',
    {
      schema: {
        tags: ['e-ID'],
        summary: 'Issue an e-ID (authentication and signing certificates) at the service desk',
        body: Type.Object(
          {
            personalCode: Type.String({ pattern: '^[1-8][0-9]{10}$' }),
            auth: Key,
            sign: Key,
            batch: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9._-]{1,40}$' })),
          },
          { additionalProperties: false },
        ),
        response: IssueResponse,
      },
    },
    async (request) => {
      const body = request.body as {
        personalCode: string
        auth: { publicKey: string; proof: string }
        sign: { publicKey: string; proof: string }
        batch?: string
      }
      const visit = await openDeskVisit(request, platform(), {
        resident: body.personalCode,
        act: ISSUE_EID,
      })
      const { authKey, signKey } = provenKeys(body.personalCode, body)
      const [auth, sign] = await issueAtDesk(platform(), visit, {
        authKey,
        signKey,
        batch: body.batch,
      })
      request.log.info(
        { holder: body.personalCode, clerk: visit.clerk, agency: visit.mandate.agency },
        'e-ID issued',
      )
      return issuedReply(auth, sign, visit.mandate)
    },
  )

  app.post(
    '/eid/renew',
    {
      schema: {
        tags: ['e-ID'],
        summary:
          'Renew my e-ID online: new keys (made on my side, proved), new certificates; needs a fresh e-ID login',
        body: Type.Object(
          {
            auth: Key,
            sign: Key,
            current: Type.String({
              maxLength: 300,
              description:
                'Signature by the current signing key (PIN2) over "e-state e-ID renewal\\n<personal code>\\n<auth publicKey>\\n<sign publicKey>\\n", base64',
            }),
          },
          { additionalProperties: false },
        ),
        response: IssueResponse,
      },
    },
    async (request) => {
      const body = request.body as {
        auth: { publicKey: string; proof: string }
        sign: { publicKey: string; proof: string }
        current: string
      }
      const holder = await requireStepUp(request, platform())
      const { authKey, signKey } = provenKeys(holder.personalCode, body)
      // A new signing identity needs the current one (PIN2), not only a login (PIN1).
      await requireCurrentSignature(platform(), holder.personalCode, body)
      const caller = {
        ...(await portalCallerOf(holder.personalCode, platform())),
        issue: 'the holder renews their e-ID online',
      }
      const [auth, sign] = await issueEid(platform(), caller, {
        personalCode: holder.personalCode,
        authKey,
        signKey,
      })
      request.log.info({ holder: holder.personalCode, as: 'holder' }, 'e-ID renewed')
      return issuedReply(auth, sign, { as: 'holder' })
    },
  )

  app.get(
    '/eid/certificates',
    {
      schema: {
        tags: ['e-ID'],
        summary: 'My e-ID certificates and their status',
        response: { 200: Type.Array(Held), 401: ERRORS[401] },
      },
    },
    async (request) => {
      const session = await requireSession(request, platform())
      return platform().pki.certificatesOf(session.personalCode)
    },
  )

  app.post(
    '/eid/certificates/:serial/:action',
    {
      schema: {
        tags: ['e-ID'],
        summary:
          'Suspend, resume or revoke a certificate (the holder: suspend, revoke; a clerk: all three)',
        params: Type.Object({
          serial: Type.String({ pattern: '^[0-9a-f]{1,40}$' }),
          action: Type.Union([
            Type.Literal('suspend'),
            Type.Literal('resume'),
            Type.Literal('revoke'),
          ]),
        }),
        response: {
          200: Type.Object({
            serial: Type.String(),
            status: Type.String(),
            authorisedAs: MandateSchema,
          }),
          ...ERRORS,
          409: ERRORS[403],
        },
      },
    },
    async (request) => {
      const { serial, action } = request.params as {
        serial: string
        action: 'suspend' | 'resume' | 'revoke'
      }
      const { store, pki } = platform()
      const session = await requireSession(request, platform())
      const certificate = await pki.certificate(serial)
      if (certificate === undefined)
        throw new EidDeskError('TRUST_UNKNOWN_CERTIFICATE', `no certificate ${serial}`)
      const own = certificate.holder === session.personalCode
      const asHolder = own && action !== 'resume'
      // A clerk changing someone's e-ID must have confirmed it with their own e-ID just now.
      if (!asHolder) await requireStepUp(request, platform())
      const mandate: Mandate = asHolder
        ? { as: 'holder' }
        : await requireRole(store.db, session.personalCode, ['clerk'])
      const next: CertificateState =
        action === 'suspend' ? 'suspended' : action === 'resume' ? 'good' : 'revoked'
      await pki.setStatus(serial, next, action === 'revoke' ? (own ? 0 : 9) : undefined)
      request.log.info(
        { serial, action, by: session.personalCode, as: mandate.as },
        'certificate status changed',
      )
      return { serial, status: next, authorisedAs: mandate }
    },
  )
}

/**
 * The service desk's part: the names from the population register (read by the clerk through
 * the door), the holder's earlier e-ID superseded, both certificates issued. Used over HTTP and
 * by `e-state eid token create`.
 */
export async function issueAtDesk(
  platform: EidDeskNeeds,
  visit: DeskVisit,
  request: { authKey: KeyObject; signKey: KeyObject; batch?: string },
): Promise<IssuedCertificate[]> {
  const issued = await issueEid(platform, visit.caller, {
    ...request,
    personalCode: visit.resident,
  })
  await recordDeskAct(platform, visit)
  return issued
}

/** The act as the desk and the resident's tracker name it. */
export const ISSUE_EID = 'e-ID issuance'

/** A visit of a clerk named on the command line (`e-state eid token create --clerk`). */
export function commandLineVisit(
  platform: EidDeskNeeds,
  clerk: string,
  resident: string,
): Promise<DeskVisit> {
  return deskVisitOf(platform, clerk, { resident, act: ISSUE_EID })
}

/** Issues an e-ID with the names the caller reads from the population register. */
async function issueEid(
  platform: EidDeskNeeds,
  caller: Caller,
  request: { personalCode: string; authKey: KeyObject; signKey: KeyObject; batch?: string },
): Promise<IssuedCertificate[]> {
  const { pki } = platform
  const person = await readPerson(platform, caller, request.personalCode)
  if (person.status !== 'alive')
    throw new EidDeskError(
      'EID_HOLDER_INELIGIBLE',
      'the population register records this person as deceased',
    )
  const given = String(person.firstName).toLocaleUpperCase('et')
  const surname = String(person.lastName).toLocaleUpperCase('et')
  const subject = [
    [OID.countryName, 'EE'],
    [OID.commonName, `${surname},${given},${request.personalCode}`],
    [OID.surname, surname],
    [OID.givenName, given],
    [OID.serialNumber, `PNOEE-${request.personalCode}`],
  ] as const
  // The new e-ID supersedes the earlier ones (RFC 5280 reason 4, superseded).
  for (const earlier of await pki.certificatesOf(request.personalCode)) {
    if ((earlier.kind === 'auth' || earlier.kind === 'sign') && earlier.status !== 'revoked')
      await pki.setStatus(earlier.serial, 'revoked', 4)
  }
  const batch = request.batch ?? `ESTEID-STATE-${new Date().getUTCFullYear()}`
  return pki.issueMany([
    { kind: 'auth', holder: request.personalCode, subject, publicKey: request.authKey, batch },
    { kind: 'sign', holder: request.personalCode, subject, publicKey: request.signKey, batch },
  ])
}

export function renewalMessage(personalCode: string, authKey: string, signKey: string): Buffer {
  return Buffer.from(`e-state e-ID renewal\n${personalCode}\n${authKey}\n${signKey}\n`, 'utf8')
}

async function requireCurrentSignature(
  platform: EidDeskNeeds,
  personalCode: string,
  body: { auth: { publicKey: string }; sign: { publicKey: string }; current: string },
): Promise<void> {
  const current = await platform.store.db
    .selectFrom('certificates')
    .select('der')
    .where('holder', '=', personalCode)
    .where('kind', '=', 'sign')
    .where('status', '=', 'good')
    .execute()
  const message = renewalMessage(personalCode, body.auth.publicKey, body.sign.publicKey)
  const signature = Buffer.from(body.current, 'base64')
  const signed = current.some((row) => {
    const key = new X509Certificate(row.der).publicKey
    return (['ieee-p1363', 'der'] as const).some((dsaEncoding) => {
      try {
        return verify(
          key.asymmetricKeyDetails?.namedCurve === 'secp384r1' ? 'sha384' : 'sha256',
          message,
          { key, dsaEncoding },
          signature,
        )
      } catch {
        return false
      }
    })
  })
  if (!signed)
    throw new EidDeskError(
      'EID_KEY_INVALID',
      'renewing online needs a signature by your current signing key (PIN2); otherwise renew at a service desk',
    )
}

/** The two public keys of a request, each proved by its holder's signature, and distinct. */
export function provenKeys(
  personalCode: string,
  body: { auth: { publicKey: string; proof: string }; sign: { publicKey: string; proof: string } },
): { authKey: KeyObject; signKey: KeyObject } {
  if (body.auth.publicKey === body.sign.publicKey)
    throw new EidDeskError('EID_KEY_INVALID', 'the authentication and signing keys must differ')
  return {
    authKey: verifyKeyPossession(personalCode, body.auth.publicKey, body.auth.proof),
    signKey: verifyKeyPossession(personalCode, body.sign.publicKey, body.sign.proof),
  }
}

export function issuedReply(
  auth: IssuedCertificate,
  sign: IssuedCertificate,
  mandate: Mandate,
): {
  auth: { serial: string; certificate: string }
  sign: { serial: string; certificate: string }
  authorisedAs: Mandate
} {
  return {
    auth: { serial: auth.serial, certificate: auth.der.toString('base64') },
    sign: { serial: sign.serial, certificate: sign.der.toString('base64') },
    authorisedAs: mandate,
  }
}

/**
 * The holder's record, read from the population register through the exchange, as the calling
 * agency (the clerk's, or the state portal's for a renewal): signed, checked and logged like
 * any agency's call. A refusal keeps the register's own problem code.
 */
async function readPerson(
  platform: EidDeskNeeds,
  caller: Caller,
  personalCode: string,
): Promise<Record<string, unknown>> {
  const answer = await platform.exchangeClient.callRegister(caller, 'population', 'read', {
    query: { content: { personalCode } },
  })
  if (answer.content === null || typeof answer.content !== 'object')
    throw new EidDeskError('EXCHANGE_ServiceFailed', 'the population register answered no record')
  return answer.content as Record<string, unknown>
}
