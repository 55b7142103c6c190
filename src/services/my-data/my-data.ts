/**
 * "My data": what the state's registers hold about the person logged in — their population
 * record (names, birth, residence, contact, family), the vehicles they own or use with their
 * driving licence, and their company roles — read through the exchange as the state portal
 * acting for that person (once-only: the portal keeps no copy), each read in their tracker.
 * The person is the live session's, never an identity the portal asserts.
 */
import {
  portalCallerOf,
  RemoteRefusal,
  type CallerNeeds,
  type ExchangeClient,
} from '../../exchange/index.ts'
import type { Caller } from '../../registries/index.ts'

/** What "my data" asks of the platform. */
export interface MyDataNeeds extends CallerNeeds {
  readonly exchangeClient: ExchangeClient
}

export interface MyData {
  readonly person: Record<string, unknown>
  /** Undefined where the reader's agency may not read the vehicle register (at a desk). */
  readonly vehicles: readonly Record<string, unknown>[] | undefined
  /** Undefined where they cannot be read: at the desk (see `readResidentData`). */
  readonly companies:
    readonly { readonly registryCode: string; readonly name: string }[] | undefined
}

export const MY_DATA_PURPOSE = 'self-service: the person views their own data (my data)'

/** The act as the desk and the resident's tracker name it. */
export const SHOW_DATA = 'showing a resident their data'

export async function readMyData(platform: MyDataNeeds, personalCode: string): Promise<MyData> {
  const caller: Caller = {
    ...(await portalCallerOf(personalCode, platform)),
    issue: MY_DATA_PURPOSE,
  }
  const [records, mandates] = await Promise.all([
    recordsOf(platform.exchangeClient, caller, personalCode),
    platform.exchangeClient.callRegister(caller, 'business', 'mandates', {}),
  ])
  return { ...records, companies: (mandates.companies ?? []) as MyData['companies'] }
}

/**
 * The same for a resident present at a service desk, read as the clerk's agency with the desk's
 * purpose (`DeskVisit.caller`: "by clerk X … for resident Y present in person"), and only what
 * that agency's access rights let it read: a register its agency has no access right to (the
 * gateway's `AccessDenied`) is left out (the page says where to ask), never read some other way. Never their company roles: the business register
 * shows a person's mandates to that person alone.
 */
export async function readResidentData(
  platform: MyDataNeeds,
  caller: Caller,
  personalCode: string,
): Promise<MyData> {
  return {
    ...(await recordsOf(platform.exchangeClient, caller, personalCode, true)),
    companies: undefined,
  }
}

async function recordsOf(
  client: ExchangeClient,
  caller: Caller,
  personalCode: string,
  onlyPermitted = false,
): Promise<Omit<MyData, 'companies'>> {
  // A register the agency has no right to is left out; any other failure fails the page.
  const unlessDenied = async <T>(read: Promise<T>): Promise<T | undefined> => {
    try {
      return await read
    } catch (error) {
      if (onlyPermitted && error instanceof RemoteRefusal && DENIED.has(error.code))
        return undefined
      throw error
    }
  }
  const [person, owned, used] = await Promise.all([
    client.callRegister(caller, 'population', 'read', { query: { content: { personalCode } } }),
    unlessDenied(client.listRegister(caller, 'vehicles', { ownerCode: personalCode })),
    unlessDenied(client.listRegister(caller, 'vehicles', { userCode: personalCode })),
  ])
  const vehicles = new Map<string, Record<string, unknown>>()
  for (const vehicle of [...(owned?.results ?? []), ...(used?.results ?? [])])
    vehicles.set(String(vehicle.vin ?? vehicle.plate), vehicle)
  return {
    person: (person.content ?? {}) as Record<string, unknown>,
    vehicles: owned === undefined || used === undefined ? undefined : [...vehicles.values()],
  }
}

/** The gateway's refusal: the caller's agency has no access right to that register's service. */
const DENIED = new Set(['EXCHANGE_AccessDenied'])
