import { issueMemberCredential } from '../exchange/index.ts'
import { MIGRATIONS, readConfig } from '../main/index.ts'
import { systemClock } from '../shared/index.ts'
import { openStore } from '../storage/index.ts'

export async function runAgencies(args: string[]): Promise<number> {
  const [action = 'list', memberId, ...extra] = args
  if (
    (action === 'list' && memberId !== undefined) ||
    (action === 'credential' && (memberId === undefined || extra.length > 0))
  ) {
    process.stderr.write('usage: e-state agencies [list] | e-state agencies credential MEMBER_ID\n')
    return 2
  }
  if (action !== 'list' && action !== 'credential') {
    process.stderr.write(`e-state agencies: unknown action "${action}"\n`)
    return 2
  }
  const config = readConfig()
  const store = await openStore({ url: config.databaseUrl })
  try {
    await store.migrate(MIGRATIONS)
    if (action === 'credential') {
      const key = await issueMemberCredential(store.db, systemClock, memberId as string)
      process.stdout.write(`${key}\n`)
      process.stderr.write('Keep this key secret: it is shown once and stored only as a hash.\n')
      return 0
    }
    const agencies = await store.db
      .selectFrom('agencies')
      .selectAll()
      .orderBy('registry_code')
      .execute()
    if (agencies.length === 0) {
      process.stderr.write(
        'no agencies: the store holds no country yet (run e-state seed or e-state start)\n',
      )
      return 1
    }
    for (const agency of agencies) {
      const keeps = agency.registries === '' ? '' : `  keeps: ${agency.registries}`
      process.stdout.write(
        `${`${agency.member_id}/${agency.subsystem}`.padEnd(42)} ${agency.short_name.padEnd(5)} ${agency.name}${keeps}\n`,
      )
    }
    return 0
  } finally {
    await store.close()
  }
}
