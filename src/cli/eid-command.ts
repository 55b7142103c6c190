/**
 * e-ID operations for the operators of the state PKI: a holder's certificates and their status,
 * suspension, resumption and revocation of one certificate, and the mass suspension of a batch
 * or a key type (the 2017 ROCA lesson) — each logged in the ledger, as over HTTP.
 */
import { parseArgs } from 'node:util'
import { openEnvelope } from '../crypto/index.ts'
import { readConfig } from '../main/index.ts'
import { systemClock } from '../shared/index.ts'
import { createDataKeyStore, openStore } from '../storage/index.ts'
import { openPki, TRUST_AGENCY, type KeyAlgorithm } from '../trust/index.ts'

const USAGE = `usage: e-state eid status PERSONAL_CODE
       e-state eid suspend|resume|revoke SERIAL
       e-state eid suspend-batch (--batch NAME | --key-type ec-p256|ec-p384|ed25519) --why TEXT`

export async function runEid(args: string[]): Promise<number> {
  const [action, ...rest] = args
  const { values, positionals } = parseArgs({
    args: rest,
    options: {
      batch: { type: 'string' },
      'key-type': { type: 'string' },
      why: { type: 'string' },
    },
    allowPositionals: true,
    strict: true,
  })
  const single = ['status', 'suspend', 'resume', 'revoke'].includes(action ?? '')
  if (
    (single && positionals.length !== 1) ||
    (action === 'suspend-batch' && (positionals.length > 0 || values.why === undefined)) ||
    (!single && action !== 'suspend-batch')
  ) {
    process.stderr.write(`${USAGE}\n`)
    return 2
  }
  const keyType = values['key-type']
  if (keyType !== undefined && !['ec-p256', 'ec-p384', 'ed25519'].includes(keyType)) {
    process.stderr.write(`--key-type is ec-p256, ec-p384 or ed25519\n${USAGE}\n`)
    return 2
  }
  const config = readConfig()
  const store = await openStore({ url: config.databaseUrl })
  try {
    await store.migrate()
    const envelope = await openEnvelope(
      config.masterKeys,
      createDataKeyStore(store.db, systemClock.now),
      [TRUST_AGENCY],
    )
    const country = await store.db.selectFrom('country').select('name').executeTakeFirst()
    const pki = await openPki({
      store,
      envelope,
      clock: systemClock,
      publicUrl: config.publicUrl,
      environment: config.environment,
      organization: country?.name ?? 'e-state',
    })
    const [target] = positionals
    if (action === 'status') {
      const held = await pki.certificatesOf(target)
      if (held.length === 0) process.stdout.write(`no certificates for ${target}\n`)
      for (const certificate of held)
        process.stdout.write(
          `${certificate.serial}  ${certificate.kind.padEnd(5)} ${certificate.status.padEnd(9)} until ${certificate.notAfter.slice(0, 10)}\n`,
        )
      return 0
    }
    if (action === 'suspend-batch') {
      const count = await pki.suspendMany(
        { batch: values.batch, keyAlgorithm: keyType as KeyAlgorithm | undefined },
        values.why as string,
      )
      process.stdout.write(`${count} certificates suspended; a letter is queued to each holder\n`)
      return 0
    }
    const next = action === 'suspend' ? 'suspended' : action === 'resume' ? 'good' : 'revoked'
    await pki.setStatus(target, next)
    process.stdout.write(`${target}: ${next}\n`)
    return 0
  } finally {
    await store.close()
  }
}
