/**
 * Who is calling the registries' API: the member proven by its API key, the calling subsystem
 * from `X-Road-Client` (or GovStack's `Information-Mediator-Client` / `X-GovStack-Client`), the
 * acting person from `X-Road-UserId` and the purpose from `X-Road-Issue`.
 */
import type { FastifyRequest } from 'fastify'
import { equalSecrets } from '../crypto/index.ts'
import { personalCodeOf, type Caller } from '../registries/index.ts'
import { formatClientId, memberOf, parseClientId } from '../shared/index.ts'
import type { Store } from '../storage/index.ts'
import { ExchangeCallerError } from './errors.ts'
import { verifyMemberCredential } from './member-credentials.ts'

/** What telling a caller apart asks of the platform. */
export interface CallerNeeds {
  readonly store: Store
  /** Proves an in-process call comes from this node's provider gateway (never leaves it). */
  readonly gatewayToken: Buffer
}

const CLIENT_HEADERS = [
  'x-road-client',
  'information-mediator-client',
  'x-govstack-client',
] as const

export async function callerOf(
  request: FastifyRequest,
  platform: CallerNeeds,
  options: { readonly gatewayOnly?: boolean } = {},
): Promise<Caller> {
  const header = CLIENT_HEADERS.map((name) => request.headers[name]).find(
    (value) => value !== undefined,
  )
  // A call the provider gateway forwards in process (client verified by its signature and
  // access rights): it proves itself with this process's gateway token, never sent anywhere.
  const viaGateway = fromGateway(request, platform)
  // The registries are another agency's data: reached only through the exchange (once-only).
  if (options.gatewayOnly === true && !viaGateway)
    throw new ExchangeCallerError(
      'GATEWAY_REQUIRED',
      "another agency's register is called through the exchange: /r1/{INSTANCE}/{CLASS}/{MEMBER}/{SUBSYSTEM}/{registry}/… at your gateway (see /listClients and listMethods)",
    )
  const memberId = viaGateway
    ? memberOf(parseClientId(header, 'X-Road-Client'))
    : await verifyMemberCredential(platform.store.db, bearerToken(request.headers.authorization))
  if (header === undefined || Array.isArray(header)) {
    throw new ExchangeCallerError(
      'CLIENT_REQUIRED',
      'name the calling subsystem in X-Road-Client or Information-Mediator-Client (INSTANCE/CLASS/MEMBER/SUBSYSTEM)',
      {
        field: 'Information-Mediator-Client',
      },
    )
  }
  const client = parseClientId(header, 'Information-Mediator-Client')
  const agency = await platform.store.db
    .selectFrom('agencies')
    .select(['registry_code', 'subsystem', 'registries', 'reads'])
    .where('member_id', '=', memberId)
    .executeTakeFirst()
  if (
    agency === undefined ||
    memberOf(client) !== memberId ||
    client.subsystem !== agency.subsystem
  ) {
    throw new ExchangeCallerError(
      'CLIENT_MISMATCH',
      `the API key belongs to ${memberId}; ${header} is not one of its registered subsystems`,
      {
        field: 'Information-Mediator-Client',
      },
    )
  }
  const userId = singleHeader(request, 'x-road-userid')
  const issue = singleHeader(request, 'x-road-issue')
  const covertUntil = covertDate(singleHeader(request, 'x-estate-covert-until'))
  return {
    clientId: formatClientId(client),
    agencyCode: agency.registry_code,
    grants: {
      keeps: listOf(agency.registries),
      // Through the gateway, the provider's access right on this registry's service decided.
      reads: viaGateway
        ? [...listOf(agency.reads), /^\/data\/([a-z-]+)\//.exec(request.url)?.[1] ?? '']
        : listOf(agency.reads),
    },
    ...(userId === undefined ? {} : { userCode: personalCodeOf(userId, 'X-Road-UserId') }),
    ...(issue === undefined ? {} : { issue }),
    ...(covertUntil === undefined ? {} : { covertUntil }),
  }
}

/**
 * `X-EState-Covert-Until: YYYY-MM-DD`: a covert read, hidden from the person's tracker until
 * then (at most five years ahead, as a court's surveillance order would allow).
 */
function covertDate(value: string | undefined): string | undefined {
  if (value === undefined) return undefined
  const date = /^\d{4}-\d{2}-\d{2}$/.test(value) ? new Date(`${value}T00:00:00Z`) : undefined
  const now = Date.now()
  if (
    date === undefined ||
    Number.isNaN(date.getTime()) ||
    date.toISOString().slice(0, 10) !== value ||
    date.getTime() <= now ||
    date.getTime() > now + 5 * 366 * 86_400_000
  ) {
    throw new ExchangeCallerError(
      'INVALID_INPUT',
      'X-EState-Covert-Until must be a date (YYYY-MM-DD) in the next five years',
      { field: 'X-EState-Covert-Until' },
    )
  }
  return date.toISOString()
}

/**
 * A person logged in with their e-ID, acting through the state portal: the agency that runs the
 * portal (the one granted `self-service`) is the calling subsystem, the person the acting user.
 */
export async function portalCallerOf(personalCode: string, platform: CallerNeeds): Promise<Caller> {
  const agencies = await agencyRows(platform).execute()
  const portal = agencies.find((agency) => listOf(agency.reads).includes('self-service'))
  if (portal === undefined)
    throw new ExchangeCallerError('ACCESS_DENIED', 'no agency runs the state portal (self-service)')
  return callerFor(portal, personalCode)
}

/** An official acting for their own agency (its subsystem, its grants), with a purpose. */
export async function agencyCallerOf(
  platform: CallerNeeds,
  agencyCode: string,
  personalCode: string,
  issue: string,
): Promise<Caller> {
  const agency = await agencyRows(platform)
    .where('registry_code', '=', agencyCode)
    .executeTakeFirstOrThrow()
  return { ...callerFor(agency, personalCode), issue }
}

function agencyRows(platform: CallerNeeds) {
  return platform.store.db
    .selectFrom('agencies')
    .select(['registry_code', 'member_id', 'subsystem', 'registries', 'reads'])
}

function callerFor(
  agency: {
    registry_code: string
    member_id: string
    subsystem: string
    registries: string
    reads: string
  },
  personalCode: string,
): Caller {
  return {
    clientId: `${agency.member_id}/${agency.subsystem}`,
    agencyCode: agency.registry_code,
    grants: { keeps: listOf(agency.registries), reads: listOf(agency.reads) },
    userCode: personalCode,
  }
}

export function bearerToken(authorization: string | undefined): string {
  if (authorization === undefined) return ''
  return authorization.startsWith('Bearer ') ? authorization.slice(7).trim() : authorization.trim()
}

/**
 * A header that must come once, read as UTF-8. Node joins repeated headers with ", " and gives
 * the bytes as Latin-1, so the raw header list is counted and the value re-decoded.
 */
function singleHeader(request: FastifyRequest, name: string): string | undefined {
  const raw = request.raw.rawHeaders
  let count = 0
  for (let index = 0; index < raw.length; index += 2) if (raw[index].toLowerCase() === name) count++
  if (count > 1)
    throw new ExchangeCallerError('INVALID_INPUT', `send ${name} once`, { field: name })
  const value = request.headers[name]
  if (typeof value !== 'string' || value === '') return undefined
  const decoded = Buffer.from(value, 'latin1').toString('utf8')
  if (decoded.includes('\ufffd')) {
    throw new ExchangeCallerError('INVALID_INPUT', `${name} must be UTF-8`, { field: name })
  }
  return decoded
}

function listOf(commaSeparated: string): string[] {
  return commaSeparated.split(',').filter((item) => item !== '')
}

/** Whether the request carries this process's gateway token (an in-process provider call). */
export function fromGateway(request: FastifyRequest, platform: CallerNeeds): boolean {
  const presented = request.headers[GATEWAY_TOKEN_HEADER]
  if (typeof presented !== 'string') return false
  const bytes = Buffer.from(presented, 'base64url')
  return bytes.length === platform.gatewayToken.length && equalSecrets(bytes, platform.gatewayToken)
}

export const GATEWAY_TOKEN_HEADER = 'x-estate-gateway-token'
