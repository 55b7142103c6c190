/**
 * Configuration, read once from the environment (`readConfig`), with defaults that make
 * `npm start` work with no settings at all and that refuse to run production without real
 * secrets. Nothing else in e-state reads `process.env`.
 */
import { createHash, generateKeyPairSync } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { isIP } from 'node:net'
import { dirname, join, resolve } from 'node:path'
import {
  generateMasterKey,
  KEY_BYTES,
  type MasterKey,
  type MasterKeyRing,
} from '../crypto/index.ts'
import { generateCosigner, generateSigner } from '../ledger/index.ts'
import { EStateError } from '../shared/index.ts'

export type Environment = 'development' | 'production'

export interface Config {
  readonly environment: Environment
  /**
   * The environment as read, from which each module reads only the variables its configuration
   * slice declares (`ModuleSettings`); never logged.
   */
  readonly env: Readonly<Record<string, string | undefined>>
  readonly host: string
  readonly port: number
  /** Where clients reach this node: certificates point at `<publicUrl>/trust/…`. */
  readonly publicUrl: string
  /** The HSM holding the state PKI's keys (PKCS#11), when they are not sealed in the store. */
  readonly pkiHsm:
    { readonly library: string; readonly tokenLabel: string; readonly pin: string } | undefined
  /** The OpenID Connect provider's ID-token signing key (a private ES256 JWK). */
  readonly oidcSigningKey: Record<string, unknown>
  /** More CAs whose Web eID logins are accepted (DER), with OCSP off: e.g. a test CA. */
  readonly webEidCas: readonly Buffer[]
  /**
   * More trust for signature validation (`E_STATE_TRUST`): a trust folder or JSON file naming
   * CAs, OCSP responders and TSAs beside the state's own (the Estonian test CAs, say).
   */
  readonly signatureTrust: string | undefined
  readonly dataDir: string
  /** `postgres://…` or a SQLite file path. */
  readonly databaseUrl: string
  /**
   * An embassy's node whose `databaseUrl` is the local standby: the primary's store, where it
   * writes the access records of the personal reads it serves and its exchange message log
   * (`E_STATE_PRIMARY_DATABASE_URL`). Without it such a node serves public reads only.
   */
  readonly primaryDatabaseUrl: string | undefined
  readonly masterKeys: MasterKeyRing
  readonly logLevel: string
  readonly country: { readonly population: number; readonly seed: string }
  readonly accessLog: { readonly maxOutboxEntries: number; readonly maxOutboxAgeSeconds: number }
  readonly http: {
    readonly bodyLimitBytes: number
    readonly headersTimeoutMs: number
    readonly requestTimeoutMs: number
    readonly keepAliveTimeoutMs: number
    /**
     * Proxies whose `X-Forwarded-For` is believed (`E_STATE_TRUSTED_PROXIES`: addresses or
     * CIDRs); none by default, so the client address is the socket's.
     */
    readonly trustedProxies: readonly string[]
  }
  /** Admission under load (`admission.ts`): rates per address and identity, requests in flight. */
  readonly admission: {
    readonly addressRate: number
    readonly identityRate: number
    readonly inFlight: number
  }
  /** The log's checkpoint origin line and its signed-note signer key (C2SP signed-note text). */
  readonly ledger: { readonly origin: string; readonly signerKey: string }
  /**
   * Witnessing: `key` runs a witness in this process (one-machine mode, or the embassy's witness
   * for the other site's log), with its state in `statePath`, trusting this log and `logs`
   * (verifier keys); `remote` are other sites' witnesses (C2SP tlog-witness) that must cosign
   * this log's checkpoints too.
   */
  readonly witness: {
    readonly key: string | undefined
    readonly statePath: string
    readonly logs: readonly string[]
    readonly remote: readonly { readonly verifierKey: string; readonly url: string }[]
  }
  /** Development only: write member credentials for the seeded agencies to the data folder. */
  readonly writeDevCredentials: boolean
  /**
   * The node's gateway listener for other gateways (mutual TLS): `E_STATE_GATEWAY_PORT` turns it
   * on; `E_STATE_GATEWAY_URL` is the address registered for it in the global configuration
   * (default `https://<HOST>:<port>`). Off: the node's gateway is reachable in process only.
   */
  readonly gateway: { readonly port: number; readonly address: string } | undefined
  /**
   * Scheduled encrypted backups (`E_STATE_BACKUP_DIR`, a folder at the other site), every
   * `E_STATE_BACKUP_INTERVAL_MINUTES` (default 60), the newest `E_STATE_BACKUP_KEEP` kept
   * (default 48). Off without a folder.
   */
  readonly backup:
    { readonly folder: string; readonly intervalMinutes: number; readonly keep: number } | undefined
}

export class ConfigError extends EStateError {
  constructor(message: string, variable: string) {
    super('CONFIG_INVALID', message, { variable })
  }
}

const DEV_KEY_MARKER = 'development-only'

export function readConfig(
  env: Readonly<Record<string, string | undefined>> = process.env,
): Config {
  const named = env.E_STATE_ENV ?? (env.NODE_ENV === 'production' ? 'production' : 'development')
  if (named !== 'production' && named !== 'development') {
    // A typo must never fall back to development keys and credentials.
    throw new ConfigError('E_STATE_ENV must be "development" or "production"', 'E_STATE_ENV')
  }
  const environment: Environment = named
  // Extra login CAs are checked without OCSP: a revoked card would still log in.
  if (environment === 'production' && list(env.E_STATE_WEBEID_CAS).length > 0)
    throw new ConfigError(
      'E_STATE_WEBEID_CAS (CAs whose cards are not checked by OCSP) is for development and tests only',
      'E_STATE_WEBEID_CAS',
    )
  const dataDir = resolve(env.E_STATE_DATA_DIR ?? 'data')
  const databaseUrl = env.E_STATE_DATABASE_URL ?? join(dataDir, 'estate.db')
  return {
    environment,
    env: { ...env },
    host: env.HOST ?? '127.0.0.1',
    port: integer(env, 'PORT', 8080, 0, 65535),
    publicUrl: publicUrl(env),
    gateway: gatewayListener(env),
    primaryDatabaseUrl: primaryDatabase(env),
    backup:
      env.E_STATE_BACKUP_DIR === undefined
        ? undefined
        : {
            folder: resolve(env.E_STATE_BACKUP_DIR),
            intervalMinutes: integer(env, 'E_STATE_BACKUP_INTERVAL_MINUTES', 60, 1, 10_080),
            keep: integer(env, 'E_STATE_BACKUP_KEEP', 48, 1, 10_000),
          },
    webEidCas: list(env.E_STATE_WEBEID_CAS).map((path) => readCertificate(path)),
    signatureTrust:
      env.E_STATE_TRUST === undefined || env.E_STATE_TRUST === ''
        ? undefined
        : resolve(env.E_STATE_TRUST),
    dataDir,
    databaseUrl,
    masterKeys: readMasterKeys(env, environment, dataDir),
    logLevel: env.E_STATE_LOG_LEVEL ?? 'info',
    country: {
      population: integer(env, 'E_STATE_POPULATION', 100_000, 10, 20_000_000),
      seed: env.E_STATE_SEED ?? 'e-state',
    },
    accessLog: {
      maxOutboxEntries: integer(env, 'E_STATE_ACCESS_OUTBOX_MAX', 100_000, 1, 100_000_000),
      maxOutboxAgeSeconds: integer(env, 'E_STATE_ACCESS_OUTBOX_MAX_AGE', 60, 1, 86_400),
    },
    http: {
      bodyLimitBytes: integer(env, 'E_STATE_BODY_LIMIT', 1_048_576, 1024, 100 * 1_048_576),
      headersTimeoutMs: integer(env, 'E_STATE_HEADERS_TIMEOUT_MS', 10_000, 100, 120_000),
      requestTimeoutMs: integer(env, 'E_STATE_REQUEST_TIMEOUT_MS', 30_000, 100, 600_000),
      keepAliveTimeoutMs: integer(env, 'E_STATE_KEEP_ALIVE_TIMEOUT_MS', 5_000, 100, 600_000),
      trustedProxies: trustedProxies(env),
    },
    admission: {
      addressRate: integer(env, 'E_STATE_ADMISSION_ADDRESS_RATE', 400, 1, 10_000_000),
      identityRate: integer(env, 'E_STATE_ADMISSION_IDENTITY_RATE', 200, 1, 10_000_000),
      inFlight: integer(env, 'E_STATE_ADMISSION_IN_FLIGHT', 256, 1, 1_000_000),
    },
    ledger: readLedgerKey(env, environment, dataDir),
    witness: readWitness(env, environment, dataDir),
    oidcSigningKey: readOidcKey(env, environment, dataDir),
    pkiHsm: readPkiHsm(env),
    writeDevCredentials: environment === 'development',
  }
}

/**
 * The log's signing key: `E_STATE_LEDGER_KEY` (or `_FILE`) in signed-note form,
 * `PRIVATE+KEY+<origin>+<hash>+<key>`; its name is the checkpoint origin. In development one is
 * generated beside the data folder for `E_STATE_LEDGER_ORIGIN` (default `localhost/ledger`).
 */
function readLedgerKey(
  env: Readonly<Record<string, string | undefined>>,
  environment: Environment,
  dataDir: string,
): Config['ledger'] {
  let text = env.E_STATE_LEDGER_KEY
  if (text === undefined && env.E_STATE_LEDGER_KEY_FILE !== undefined) {
    text = readFileSync(env.E_STATE_LEDGER_KEY_FILE, 'utf8').trim()
  }
  const origin = env.E_STATE_LEDGER_ORIGIN ?? 'localhost/ledger'
  if (text === undefined) {
    if (environment === 'production') {
      throw new ConfigError(
        'production needs the log signing key: set E_STATE_LEDGER_KEY or E_STATE_LEDGER_KEY_FILE',
        'E_STATE_LEDGER_KEY',
      )
    }
    const path = join(dirname(dataDir), 'keys', `${basename(dataDir)}-ledger.key`)
    if (!existsSync(path)) {
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 })
      writeFileSync(path, `${DEV_KEY_MARKER}:${generateSigner(origin).text}\n`, {
        mode: 0o600,
        flag: 'wx',
      })
    }
    text = readFileSync(path, 'utf8').trim()
  }
  if (environment === 'production' && text.startsWith(DEV_KEY_MARKER)) {
    throw new ConfigError('production refuses a development log key', 'E_STATE_LEDGER_KEY')
  }
  const signerKey = text.replace(`${DEV_KEY_MARKER}:`, '')
  const name = /^PRIVATE\+KEY\+([^+]+)\+/.exec(signerKey)?.[1]
  if (name === undefined)
    throw new ConfigError(
      'E_STATE_LEDGER_KEY must be a signed-note signer key',
      'E_STATE_LEDGER_KEY',
    )
  return { origin: name, signerKey }
}

/**
 * Witnessing. `E_STATE_WITNESS_KEY` (or `_FILE`), a cosigner key `PRIVATE+KEY+<name>+<hash>+…`,
 * runs an in-process witness; in development one is generated beside the data folder.
 * `E_STATE_WITNESSES` lists remote witnesses as `<verifier key>@<url prefix>`, comma-separated.
 * Production needs at least one witness and refuses a development key.
 */
function readWitness(
  env: Readonly<Record<string, string | undefined>>,
  environment: Environment,
  dataDir: string,
): Config['witness'] {
  let text = env.E_STATE_WITNESS_KEY
  if (text === undefined && env.E_STATE_WITNESS_KEY_FILE !== undefined) {
    text = readFileSync(env.E_STATE_WITNESS_KEY_FILE, 'utf8').trim()
  }
  const remote = list(env.E_STATE_WITNESSES).map((item) => {
    const at = item.indexOf('@')
    const url = item.slice(at + 1)
    if (at <= 0 || !/^https?:\/\/[^\s]+$/.test(url)) {
      throw new ConfigError(
        'E_STATE_WITNESSES lists <verifier key>@<http(s) url>, comma-separated',
        'E_STATE_WITNESSES',
      )
    }
    return { verifierKey: item.slice(0, at), url: url.replace(/\/+$/, '') }
  })
  if (text === undefined && environment === 'development') {
    const path = join(dirname(dataDir), 'keys', `${basename(dataDir)}-witness.key`)
    if (!existsSync(path)) {
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 })
      const name = `${env.E_STATE_LEDGER_ORIGIN?.split('/')[0] ?? 'localhost'}/witness`
      writeFileSync(path, `${DEV_KEY_MARKER}:${generateCosigner(name).text}\n`, {
        mode: 0o600,
        flag: 'wx',
      })
    }
    text = readFileSync(path, 'utf8').trim()
  }
  if (text === undefined && remote.length === 0) {
    throw new ConfigError(
      'production needs a witness: set E_STATE_WITNESS_KEY(_FILE) or E_STATE_WITNESSES',
      'E_STATE_WITNESS_KEY',
    )
  }
  if (environment === 'production' && text?.startsWith(DEV_KEY_MARKER) === true) {
    throw new ConfigError('production refuses a development witness key', 'E_STATE_WITNESS_KEY')
  }
  return {
    key: text?.replace(`${DEV_KEY_MARKER}:`, ''),
    statePath: resolve(env.E_STATE_WITNESS_STATE ?? join(dataDir, 'witness-state.json')),
    logs: list(env.E_STATE_WITNESS_LOGS),
    remote,
  }
}

/**
 * The OIDC provider's signing key: `E_STATE_OIDC_KEY` (or `_FILE`), a private EC P-256 JWK. In
 * development one is generated beside the data folder; production requires a real one.
 */
function readOidcKey(
  env: Readonly<Record<string, string | undefined>>,
  environment: Environment,
  dataDir: string,
): Record<string, unknown> {
  let text = env.E_STATE_OIDC_KEY
  if (text === undefined && env.E_STATE_OIDC_KEY_FILE !== undefined)
    text = readFileSync(env.E_STATE_OIDC_KEY_FILE, 'utf8').trim()
  if (text === undefined) {
    if (environment === 'production')
      throw new ConfigError(
        'production needs the OIDC signing key: set E_STATE_OIDC_KEY or E_STATE_OIDC_KEY_FILE',
        'E_STATE_OIDC_KEY',
      )
    const path = join(dirname(dataDir), 'keys', `${basename(dataDir)}-oidc.jwk`)
    if (!existsSync(path)) {
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 })
      const jwk = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({
        format: 'jwk',
      })
      const kid = createHash('sha256')
        .update(JSON.stringify([jwk.x, jwk.y]))
        .digest('base64url')
        .slice(0, 16)
      writeFileSync(
        path,
        `${DEV_KEY_MARKER}:${JSON.stringify({ ...jwk, kid, alg: 'ES256', use: 'sig' })}\n`,
        {
          mode: 0o600,
          flag: 'wx',
        },
      )
    }
    text = readFileSync(path, 'utf8').trim()
  }
  if (environment === 'production' && text.startsWith(DEV_KEY_MARKER))
    throw new ConfigError('production refuses a development OIDC key', 'E_STATE_OIDC_KEY')
  let jwk: Record<string, unknown>
  try {
    jwk = JSON.parse(text.replace(`${DEV_KEY_MARKER}:`, '')) as Record<string, unknown>
  } catch {
    throw new ConfigError('E_STATE_OIDC_KEY must be a JSON Web Key', 'E_STATE_OIDC_KEY')
  }
  if (jwk.kty !== 'EC' || jwk.crv !== 'P-256' || typeof jwk.d !== 'string')
    throw new ConfigError('E_STATE_OIDC_KEY must be a private EC P-256 JWK', 'E_STATE_OIDC_KEY')
  return { alg: 'ES256', use: 'sig', ...jwk }
}

/** `E_STATE_PKI_PKCS11_LIBRARY`, `_TOKEN` and `_PIN` (or `_PIN_FILE`): all three or none. */
function readPkiHsm(env: Readonly<Record<string, string | undefined>>): Config['pkiHsm'] {
  const library = env.E_STATE_PKI_PKCS11_LIBRARY
  const tokenLabel = env.E_STATE_PKI_PKCS11_TOKEN
  const pin =
    env.E_STATE_PKI_PKCS11_PIN ??
    (env.E_STATE_PKI_PKCS11_PIN_FILE === undefined
      ? undefined
      : readFileSync(env.E_STATE_PKI_PKCS11_PIN_FILE, 'utf8').trim())
  if (library === undefined && tokenLabel === undefined && pin === undefined) return undefined
  if (library === undefined || tokenLabel === undefined || pin === undefined)
    throw new ConfigError(
      'set E_STATE_PKI_PKCS11_LIBRARY, E_STATE_PKI_PKCS11_TOKEN and E_STATE_PKI_PKCS11_PIN together',
      'E_STATE_PKI_PKCS11_LIBRARY',
    )
  return { library, tokenLabel, pin }
}

function readCertificate(path: string): Buffer {
  const bytes = readFileSync(path)
  const text = bytes.toString('latin1')
  if (!text.includes('-----BEGIN CERTIFICATE-----')) return bytes
  return Buffer.from(text.replace(/-----[^-]+-----|\s/g, ''), 'base64')
}

/** Where clients reach this node: E_STATE_PUBLIC_URL, or the address it listens on. */
export function publicUrl(env: Readonly<Record<string, string | undefined>>): string {
  const text = env.E_STATE_PUBLIC_URL ?? `http://${env.HOST ?? '127.0.0.1'}:${env.PORT ?? '8080'}`
  if (!/^https?:\/\/[^\s/]+(\/[^\s]*)?$/.test(text))
    throw new ConfigError('E_STATE_PUBLIC_URL must be an http(s) URL', 'E_STATE_PUBLIC_URL')
  return text.replace(/\/+$/, '')
}

function primaryDatabase(env: Readonly<Record<string, string | undefined>>): string | undefined {
  const url = env.E_STATE_PRIMARY_DATABASE_URL
  if (url !== undefined && !/^postgres(ql)?:\/\//.test(url))
    throw new ConfigError(
      "E_STATE_PRIMARY_DATABASE_URL must be the primary site's postgres://… URL",
      'E_STATE_PRIMARY_DATABASE_URL',
    )
  return url
}

function trustedProxies(env: Readonly<Record<string, string | undefined>>): string[] {
  const proxies = list(env.E_STATE_TRUSTED_PROXIES)
  for (const proxy of proxies) {
    const [address, bits, extra] = proxy.split('/')
    const family = isIP(address ?? '')
    if (
      family === 0 ||
      extra !== undefined ||
      (bits !== undefined && (!/^\d{1,3}$/.test(bits) || Number(bits) > (family === 4 ? 32 : 128)))
    )
      throw new ConfigError(
        `E_STATE_TRUSTED_PROXIES: ${proxy} is not an address or CIDR`,
        'E_STATE_TRUSTED_PROXIES',
      )
  }
  return proxies
}

function gatewayListener(env: Readonly<Record<string, string | undefined>>): Config['gateway'] {
  if (env.E_STATE_GATEWAY_PORT === undefined) {
    if (env.E_STATE_GATEWAY_URL !== undefined)
      throw new ConfigError(
        'E_STATE_GATEWAY_URL needs E_STATE_GATEWAY_PORT (the port the gateway listens on)',
        'E_STATE_GATEWAY_URL',
      )
    return undefined
  }
  const port = integer(env, 'E_STATE_GATEWAY_PORT', 0, 1, 65535)
  const address = (env.E_STATE_GATEWAY_URL ?? `https://${env.HOST ?? '127.0.0.1'}:${port}`).replace(
    /\/+$/,
    '',
  )
  if (!/^https:\/\/[^\s/]+$/.test(address))
    throw new ConfigError(
      'E_STATE_GATEWAY_URL must be https://host[:port] (no path)',
      'E_STATE_GATEWAY_URL',
    )
  return { port, address }
}

function list(text: string | undefined): string[] {
  return (text ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '')
}

/**
 * Master keys: `E_STATE_MASTER_KEY` (or `E_STATE_MASTER_KEY_FILE`) as `id:base64` of 32 bytes;
 * `E_STATE_MASTER_KEYS_PREVIOUS` lists older keys (comma-separated) still needed to unwrap data
 * keys during a rotation. In development a key is generated once into `<data>/../keys/`, beside
 * the data folder rather than in it, and marked so production refuses it.
 */
function readMasterKeys(
  env: Readonly<Record<string, string | undefined>>,
  environment: Environment,
  dataDir: string,
): MasterKeyRing {
  const previous = (env.E_STATE_MASTER_KEYS_PREVIOUS ?? '')
    .split(',')
    .filter((item) => item.trim() !== '')
    .map((item) => parseMasterKey(item.trim(), 'E_STATE_MASTER_KEYS_PREVIOUS'))
  let text = env.E_STATE_MASTER_KEY
  if (text === undefined && env.E_STATE_MASTER_KEY_FILE !== undefined) {
    text = readFileSync(env.E_STATE_MASTER_KEY_FILE, 'utf8').trim()
  }
  if (text === undefined) {
    if (environment === 'production') {
      throw new ConfigError(
        'production needs a master key: set E_STATE_MASTER_KEY or E_STATE_MASTER_KEY_FILE',
        'E_STATE_MASTER_KEY',
      )
    }
    text = developmentMasterKey(join(dirname(dataDir), 'keys', `${basename(dataDir)}-master.key`))
  }
  if (environment === 'production' && text.startsWith(DEV_KEY_MARKER)) {
    throw new ConfigError('production refuses a development master key', 'E_STATE_MASTER_KEY')
  }
  return {
    current: parseMasterKey(text.replace(`${DEV_KEY_MARKER}:`, ''), 'E_STATE_MASTER_KEY'),
    previous,
  }
}

function developmentMasterKey(path: string): string {
  if (existsSync(path)) return readFileSync(path, 'utf8').trim()
  const key = generateMasterKey(`dev-${Date.now().toString(36)}`)
  const text = `${DEV_KEY_MARKER}:${key.id}:${Buffer.from(key.key).toString('base64')}`
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 })
  writeFileSync(path, text + '\n', { mode: 0o600, flag: 'wx' })
  return text
}

export function parseMasterKey(text: string, variable: string): MasterKey {
  const separator = text.lastIndexOf(':')
  const id = text.slice(0, separator)
  const key = Buffer.from(text.slice(separator + 1), 'base64')
  if (separator <= 0 || !/^[A-Za-z0-9._-]{1,64}$/.test(id) || key.length !== KEY_BYTES) {
    throw new ConfigError(`${variable} must be "id:base64" of a ${KEY_BYTES}-byte key`, variable)
  }
  return { id, key }
}

function integer(
  env: Readonly<Record<string, string | undefined>>,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const text = env[name]
  if (text === undefined || text === '') return fallback
  const value = Number(text)
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be a whole number from ${min} to ${max}`, name)
  }
  return value
}

function basename(path: string): string {
  return (
    path
      .split(/[\\/]/)
      .filter((part) => part !== '')
      .pop() ?? 'data'
  )
}
