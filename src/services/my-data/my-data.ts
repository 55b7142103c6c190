/**
 * "My data": what the state's registers hold about the person logged in — their population
 * record (names, birth, residence, contact, family), the vehicles they own or use with their
 * driving licence, and their company roles — read through the exchange as the state portal
 * acting for that person (once-only: the portal keeps no copy), each read in their tracker.
 * The person is the live session's, never an identity the portal asserts.
 */
import { portalCallerOf, type CallerNeeds, type ExchangeClient } from '../../exchange/index.ts'
import type { Caller } from '../../registries/index.ts'

/** What "my data" asks of the platform. */
export interface MyDataNeeds extends CallerNeeds {
  readonly exchangeClient: ExchangeClient
}

export interface MyData {
  readonly person: Record<string, unknown>
  readonly vehicles: readonly Record<string, unknown>[]
  readonly companies: readonly { readonly registryCode: string; readonly name: string }[]
}

export const MY_DATA_PURPOSE = 'self-service: the person views their own data (my data)'

export async function readMyData(platform: MyDataNeeds, personalCode: string): Promise<MyData> {
  const caller: Caller = {
    ...(await portalCallerOf(personalCode, platform)),
    issue: MY_DATA_PURPOSE,
  }
  const client = platform.exchangeClient
  const [person, owned, used, mandates] = await Promise.all([
    client.callRegister(caller, 'population', 'read', { query: { content: { personalCode } } }),
    client.listRegister(caller, 'vehicles', { ownerCode: personalCode }),
    client.listRegister(caller, 'vehicles', { userCode: personalCode }),
    client.callRegister(caller, 'business', 'mandates', {}),
  ])
  const vehicles = new Map<string, Record<string, unknown>>()
  for (const vehicle of [...owned.results, ...used.results])
    vehicles.set(String(vehicle.vin ?? vehicle.plate), vehicle)
  return {
    person: (person.content ?? {}) as Record<string, unknown>,
    vehicles: [...vehicles.values()],
    companies: (mandates.companies ?? []) as MyData['companies'],
  }
}
