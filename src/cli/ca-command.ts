/**
 * The state PKI's key ceremony and import. `e-state ca init --out DIR` makes a production
 * hierarchy (root, issuing CAs, OCSP responders, TSA) as PEM files, every private key encrypted
 * with the passphrase in E_STATE_CA_PASSPHRASE — to be kept offline, or loaded into an HSM.
 * `e-state ca import DIR` checks a hierarchy (each key its certificate's, each certificate
 * signed by its issuer) and seals it into this installation's store; production serves only an
 * imported PKI. `e-state ca status` lists the authorities.
 */
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { openEnvelope } from '../crypto/index.ts'
import { ConfigError, readConfig } from '../main/index.ts'
import { systemClock } from '../shared/index.ts'
import { createDataKeyStore, openStore } from '../storage/index.ts'
import { buildHierarchy, storeHierarchy, TRUST_AGENCY, validateHierarchy } from '../trust/index.ts'

const USAGE = 'usage: e-state ca init --out DIR [--organization NAME] | import DIR | status'
const NAMES = ['root', 'citizen', 'eseal', 'tls', 'ocsp-citizen', 'ocsp-eseal', 'ocsp-tls', 'tsa']

export async function runCa(args: string[]): Promise<number> {
  const [action, ...rest] = args
  const { values, positionals } = parseArgs({
    args: rest,
    options: { out: { type: 'string' }, organization: { type: 'string' } },
    allowPositionals: true,
    strict: true,
  })
  if (action === 'init' && values.out !== undefined && positionals.length === 0)
    return init(values.out, values.organization)
  if (action === 'import' && positionals.length === 1) return importFrom(positionals[0])
  if (action === 'status' && positionals.length === 0) return status()
  process.stderr.write(`${USAGE}\n`)
  return 2
}

function passphrase(): string {
  const value = process.env.E_STATE_CA_PASSPHRASE
  if (value === undefined || value.length < 16) {
    throw new ConfigError(
      'set E_STATE_CA_PASSPHRASE (16 characters or more) to protect the CA keys',
      'E_STATE_CA_PASSPHRASE',
    )
  }
  return value
}

async function init(out: string, organization = 'e-state'): Promise<number> {
  const secret = passphrase()
  if (existsSync(join(out, 'root.key'))) {
    process.stderr.write(`e-state ca init: ${out} already holds a hierarchy\n`)
    return 1
  }
  const config = readConfig()
  const made = await buildHierarchy(
    { clock: systemClock, publicUrl: config.publicUrl, organization },
    false,
  )
  mkdirSync(out, { recursive: true, mode: 0o700 })
  for (const [name, member] of made) {
    writeFileSync(join(out, `${name}.crt`), new X509Certificate(member.certificate).toString())
    writeFileSync(
      join(out, `${name}.key`),
      member.key.export({
        format: 'pem',
        type: 'pkcs8',
        cipher: 'aes-256-cbc',
        passphrase: secret,
      }),
      { mode: 0o600 },
    )
  }
  process.stdout.write(
    `${made.size} authorities written to ${out} (keys encrypted); import them with e-state ca import ${out}\n`,
  )
  return 0
}

async function importFrom(directory: string): Promise<number> {
  const secret = passphrase()
  const members = new Map<string, { key: KeyObject; certificate: Buffer }>()
  for (const name of NAMES) {
    const certificatePath = join(directory, `${name}.crt`)
    const keyPath = join(directory, `${name}.key`)
    if (!existsSync(certificatePath) || !existsSync(keyPath)) continue
    let key: KeyObject
    try {
      key = createPrivateKey({ key: readFileSync(keyPath), passphrase: secret })
    } catch {
      process.stderr.write(`e-state ca import: cannot open ${keyPath} with this passphrase\n`)
      return 1
    }
    members.set(name, { key, certificate: new X509Certificate(readFileSync(certificatePath)).raw })
  }
  const hierarchy = validateHierarchy(members)
  const config = readConfig()
  const store = await openStore({ url: config.databaseUrl })
  try {
    await store.migrate()
    const envelope = await openEnvelope(
      config.masterKeys,
      createDataKeyStore(store.db, systemClock.now),
      [TRUST_AGENCY],
    )
    await storeHierarchy({ store, envelope, clock: systemClock }, hierarchy, false)
    process.stdout.write(
      `imported ${hierarchy.size} authorities; their keys are sealed in the store\n`,
    )
    return 0
  } finally {
    await store.close()
  }
}

async function status(): Promise<number> {
  const config = readConfig()
  const store = await openStore({ url: config.databaseUrl })
  try {
    await store.migrate()
    const rows = await store.db
      .selectFrom('trust_authorities')
      .select(['name', 'role', 'certificate', 'development'])
      .orderBy('name')
      .execute()
    if (rows.length === 0)
      process.stdout.write('no state PKI yet (development generates one at start)\n')
    for (const row of rows) {
      const certificate = new X509Certificate(row.certificate)
      const name = certificate.subject.split('\n').find((line) => line.startsWith('CN='))
      process.stdout.write(
        `${row.name.padEnd(13)} ${row.role.padEnd(8)} ${row.development === 1 ? 'DEVELOPMENT ' : ''}${name ?? ''} until ${certificate.validToDate.toISOString().slice(0, 10)}\n`,
      )
    }
    return 0
  } finally {
    await store.close()
  }
}
