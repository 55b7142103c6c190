/**
 * The state PKI's key ceremony and import. `e-state ca init --out DIR` makes a production
 * hierarchy (root, issuing CAs, OCSP responders, TSA) as PEM files, every private key encrypted
 * with the passphrase in E_STATE_CA_PASSPHRASE — to be kept offline, or loaded into an HSM.
 * `e-state ca import DIR` checks a hierarchy (each key its certificate's, each certificate
 * signed by its issuer) and seals it into this installation's store; production serves only an
 * imported PKI. With E_STATE_PKI_PKCS11_* set, the keys are an HSM's (made there by the
 * ceremony, labelled by authority name): init signs with them, import checks the HSM holds the
 * key each certificate names, and nothing but certificates is written or stored.
 * `e-state ca status` lists the authorities.
 */
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { ConfigError, MIGRATIONS, readConfig } from '../main/index.ts'
import { systemClock } from '../shared/index.ts'
import { openStore } from '../storage/index.ts'
import { openTrustStore } from './trust-store.ts'
import {
  buildHierarchy,
  openPkcs11Token,
  storeHierarchy,
  validateHierarchy,
  type KeySource,
  type Signer,
} from '../trust/index.ts'

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
  if (existsSync(join(out, 'root.crt'))) {
    process.stderr.write(`e-state ca init: ${out} already holds a hierarchy\n`)
    return 1
  }
  const config = readConfig()
  // With an HSM configured, its keys (labelled root, citizen, …, made there by the ceremony)
  // sign; only certificates are written. Otherwise keys are made here, encrypted on disk.
  const token = config.pkiHsm === undefined ? undefined : await openPkcs11Token(config.pkiHsm)
  try {
    const secret = token === undefined ? passphrase() : undefined
    const keys: KeySource | undefined =
      token === undefined
        ? undefined
        : async (name) => {
            const signer = await token.signer(name)
            return { publicKey: signer.publicKey, signer }
          }
    const made = await buildHierarchy(
      { clock: systemClock, publicUrl: config.publicUrl, organization },
      false,
      keys,
    )
    mkdirSync(out, { recursive: true, mode: 0o700 })
    for (const [name, member] of made) {
      writeFileSync(join(out, `${name}.crt`), new X509Certificate(member.certificate).toString())
      if (member.key !== undefined && secret !== undefined)
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
      `${made.size} authorities written to ${out} (${token === undefined ? 'keys encrypted' : 'keys stay in the HSM'}); import them with e-state ca import ${out}\n`,
    )
    return 0
  } finally {
    token?.close()
  }
}

async function importFrom(directory: string): Promise<number> {
  const config = readConfig()
  const token = config.pkiHsm === undefined ? undefined : await openPkcs11Token(config.pkiHsm)
  try {
    const members = new Map<string, { key?: KeyObject; signer?: Signer; certificate: Buffer }>()
    const secret = token === undefined ? passphrase() : undefined
    for (const name of NAMES) {
      const certificatePath = join(directory, `${name}.crt`)
      if (!existsSync(certificatePath)) continue
      const certificate = new X509Certificate(readFileSync(certificatePath)).raw
      if (token !== undefined) {
        members.set(name, { signer: await token.signer(name), certificate })
        continue
      }
      const keyPath = join(directory, `${name}.key`)
      if (!existsSync(keyPath)) continue
      try {
        members.set(name, {
          key: createPrivateKey({ key: readFileSync(keyPath), passphrase: secret }),
          certificate,
        })
      } catch {
        process.stderr.write(`e-state ca import: cannot open ${keyPath} with this passphrase\n`)
        return 1
      }
    }
    const hierarchy = validateHierarchy(members)
    const { store, envelope } = await openTrustStore(config)
    try {
      // Keys from the HSM are not copied: the stored rows name them, the HSM keeps them.
      const stored = new Map(
        [...hierarchy].map(([name, member]) => [
          name,
          token === undefined ? member : { ...member, key: undefined },
        ]),
      )
      await storeHierarchy({ store, envelope, clock: systemClock }, stored, false)
      process.stdout.write(
        `imported ${hierarchy.size} authorities; ${token === undefined ? 'their keys are sealed in the store' : 'their keys stay in the HSM'}\n`,
      )
      return 0
    } finally {
      await store.close()
    }
  } finally {
    token?.close()
  }
}

async function status(): Promise<number> {
  const config = readConfig()
  const store = await openStore({ url: config.databaseUrl })
  try {
    await store.migrate(MIGRATIONS)
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
