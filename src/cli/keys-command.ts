/**
 * Key operations without downtime. A data-key rotation adds a new version that new writes use;
 * old ciphertexts name their key and still open. A master-key rotation re-wraps every data key
 * in one transaction; running processes keep their unwrapped keys, and restart with the new
 * master key as current and the old one in E_STATE_MASTER_KEYS_PREVIOUS until all have moved.
 */
import { randomBytes } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { generateMasterKey, openEnvelope } from '../crypto/index.ts'
import { MIGRATIONS, parseMasterKey, readConfig } from '../main/index.ts'
import { systemClock } from '../shared/index.ts'
import { createDataKeyStore, openStore } from '../storage/index.ts'

const USAGE =
  'usage: e-state keys status | rotate-data-key AGENCY_REGISTRY_CODE | rotate-master (--new-key-file FILE | --out FILE) | new-master --out FILE'

export async function runKeys(args: string[]): Promise<number> {
  const [action, ...rest] = args
  const { values, positionals } = parseArgs({
    args: rest,
    options: { 'new-key-file': { type: 'string' }, out: { type: 'string' } },
    allowPositionals: true,
    strict: true,
  })
  // A key made ahead of a rotation, to be handed to every node at both sites first
  // (docs/cloud.md, "Keys across the sites"): nothing in the store changes.
  if (action === 'new-master') {
    if (values.out === undefined || positionals.length > 0) {
      process.stderr.write(`${USAGE}\n`)
      return 2
    }
    const key = writeNewMasterKey(values.out)
    process.stdout.write(
      `new master key "${key.id}" written to ${values.out}; nothing re-wrapped\n`,
    )
    return 0
  }
  if (!['status', 'rotate-data-key', 'rotate-master'].includes(action ?? '')) {
    process.stderr.write(`${USAGE}\n`)
    return 2
  }
  const config = readConfig()
  const store = await openStore({ url: config.databaseUrl })
  try {
    await store.migrate(MIGRATIONS)
    const keyStore = createDataKeyStore(store.db, systemClock.now)
    const envelope = await openEnvelope(config.masterKeys, keyStore, [])
    if (action === 'rotate-data-key') {
      const [agency] = positionals
      if (agency === undefined) {
        process.stderr.write(`${USAGE}\n`)
        return 2
      }
      await envelope.rotateDataKey(agency)
    } else if (action === 'rotate-master') {
      const next = newMasterKey(values['new-key-file'], values.out)
      if (next === undefined) {
        process.stderr.write(`${USAGE}\n`)
        return 2
      }
      await envelope.rotateMasterKey(next)
      process.stdout.write(
        `data keys re-wrapped under master key "${next.id}". Restart each process with E_STATE_MASTER_KEY set to it ` +
          `and E_STATE_MASTER_KEYS_PREVIOUS to the old key until all have moved.\n`,
      )
    }
    for (const key of await keyStore.listDataKeys()) {
      process.stdout.write(
        `data key ${String(key.id).padStart(4)}  agency ${key.agency}  version ${key.version}  wrapped by "${key.masterKeyId}"\n`,
      )
    }
    return 0
  } finally {
    await store.close()
  }
}

function newMasterKey(keyFile: string | undefined, out: string | undefined) {
  if (keyFile !== undefined)
    return parseMasterKey(readFileSync(keyFile, 'utf8').trim(), '--new-key-file')
  if (out === undefined) return undefined
  return writeNewMasterKey(out)
}

function writeNewMasterKey(out: string) {
  const key = generateMasterKey(
    `master-${new Date().toISOString().slice(0, 10)}-${randomBytes(4).toString('hex')}`,
  )
  writeFileSync(out, `${key.id}:${Buffer.from(key.key).toString('base64')}\n`, {
    mode: 0o600,
    flag: 'wx',
  })
  process.stderr.write(`new master key written to ${out} (mode 0600); keep it away from the data\n`)
  return key
}
