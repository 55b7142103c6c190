/**
 * The clerk acting for a resident (invariant 7, the paper channel): at a service desk a clerk
 * — an official with the `clerk` role, logged in with their own e-ID in the last ten minutes —
 * identifies a resident in person and does an act a module offers for them. Every module's
 * desk path goes through here, so each act and each read it makes say the same thing:
 *
 * - reads through the exchange are made as the clerk for their agency, with the purpose
 *   "<act>: by clerk <code> at the service desk, for resident <code> present in person" — the
 *   resident sees it in their data tracker, and its access record is in the ledger;
 * - the act itself is recorded for the resident through the door (`service-desk`, the act's
 *   name), so it is in the resident's tracker with its own ledger receipt.
 */
import type { FastifyRequest } from 'fastify'
import { agencyCallerOf, type CallerNeeds } from '../../exchange/index.ts'
import {
  requireRole,
  requireStepUp,
  type Mandate,
  type SessionNeeds,
} from '../../identity/index.ts'
import type { AccessGate, Caller } from '../../registries/index.ts'
import { parsePersonalCode } from '../../shared/index.ts'
import type { Store } from '../../storage/index.ts'

/** What the desk asks of the platform. */
export interface DeskNeeds extends SessionNeeds, CallerNeeds {
  readonly store: Store
  readonly gate: AccessGate
}

/** A clerk serving one resident for one act. */
export interface DeskVisit {
  /** The clerk's personal code. */
  readonly clerk: string
  readonly mandate: Mandate
  /** The resident's personal code, checked (EVS 585). */
  readonly resident: string
  /** The act, as a module declares it (`issue-eid`). */
  readonly act: string
  /** The clerk's agency acting for the resident: what reads through the exchange are made as. */
  readonly caller: Caller
}

/** The purpose every read and the act's record carry. */
export function deskPurpose(act: string, clerk: string, resident: string): string {
  return `${act}: by clerk ${clerk} at the service desk, for resident ${resident} present in person`
}

/**
 * Opens a visit: the clerk's fresh e-ID session and role, the resident's code. Throws
 * STEP_UP_REQUIRED, ROLE_REQUIRED or INVALID_PERSONAL_CODE.
 */
export async function openDeskVisit(
  request: FastifyRequest,
  platform: DeskNeeds,
  visit: { readonly resident: string; readonly act: string },
): Promise<DeskVisit> {
  const clerk = await requireStepUp(request, platform)
  return deskVisitOf(platform, clerk.personalCode, visit)
}

/** The same for a clerk known otherwise (the command line's `--clerk`). */
export async function deskVisitOf(
  platform: DeskNeeds,
  clerk: string,
  visit: { readonly resident: string; readonly act: string },
): Promise<DeskVisit> {
  const mandate = await requireRole(platform.store.db, clerk, ['clerk'])
  parsePersonalCode(visit.resident, 'personalCode')
  const caller = await agencyCallerOf(
    platform,
    mandate.agency ?? '',
    clerk,
    deskPurpose(visit.act, clerk, visit.resident),
  )
  return { clerk, mandate, resident: visit.resident, act: visit.act, caller }
}

/**
 * Records the act for the resident, through the door: an access record of the clerk's
 * (registry `service-desk`, data `<act>`), so the resident sees it in their tracker with a
 * ledger receipt. Call it in the act's success path.
 */
export async function recordDeskAct(platform: DeskNeeds, visit: DeskVisit): Promise<void> {
  await platform.gate.read(
    {
      clientId: visit.caller.clientId,
      agencyCode: visit.caller.agencyCode,
      personalCode: visit.clerk,
    },
    { reason: deskPurpose(visit.act, visit.clerk, visit.resident) },
    {
      registry: 'service-desk',
      data: visit.act,
      run: async () => ({ value: undefined, subjects: [visit.resident] }),
    },
  )
}
