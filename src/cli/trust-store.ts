import { openEnvelope, type Envelope } from '../crypto/index.ts'
import { MIGRATIONS, type Config } from '../main/index.ts'
import { systemClock } from '../shared/index.ts'
import { createDataKeyStore, openStore, type Store } from '../storage/index.ts'
import { openPki, TRUST_AGENCY, type StatePki } from '../trust/index.ts'

/** The store, migrated, with the envelope that seals the state PKI's keys (for PKI commands). */
export async function openTrustStore(
  config: Config,
): Promise<{ store: Store; envelope: Envelope }> {
  const store = await openStore({ url: config.databaseUrl })
  try {
    await store.migrate(MIGRATIONS)
    const envelope = await openEnvelope(
      config.masterKeys,
      createDataKeyStore(store.db, systemClock.now),
      [TRUST_AGENCY],
    )
    return { store, envelope }
  } catch (error) {
    await store.close()
    throw error
  }
}

/** The state PKI over the store, for a command (the store stays open until `close`). */
export async function openStatePki(
  config: Config,
): Promise<{ store: Store; pki: StatePki; close(): Promise<void> }> {
  const { store, envelope } = await openTrustStore(config)
  try {
    const country = await store.db.selectFrom('country').select('name').executeTakeFirst()
    const pki = await openPki({
      store,
      envelope,
      clock: systemClock,
      publicUrl: config.publicUrl,
      environment: config.environment,
      organization: country?.name ?? 'e-state',
    })
    return { store, pki, close: () => store.close() }
  } catch (error) {
    await store.close()
    throw error
  }
}

/** The state PKI's certificates by authority name (certificates only: no key is opened). */
export async function authorityCertificates(
  config: Config,
  names: readonly string[],
): Promise<Map<string, Buffer>> {
  const store = await openStore({ url: config.databaseUrl })
  try {
    await store.migrate(MIGRATIONS)
    const rows = await store.db
      .selectFrom('trust_authorities')
      .select(['name', 'certificate'])
      .where('name', 'in', [...names])
      .execute()
    return new Map(rows.map((row) => [row.name, Buffer.from(row.certificate)]))
  } finally {
    await store.close()
  }
}
