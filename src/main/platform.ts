/**
 * Everything behind the HTTP edge, wired once: the store (migrated, with a country seeded on
 * first start), envelope encryption, the access gate, the registries and the ledger outbox drain.
 */
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { sql } from 'kysely'
import { CloudError } from '../cloud/index.ts'
import { openEnvelope, type Envelope } from '../crypto/index.ts'
import { issueMemberCredential } from '../exchange/index.ts'
import {
  createWitness,
  openFileWitnessState,
  openLedger,
  parseCosignerKey,
  parseCosignerVerifierKey,
  parseSignerKey,
  parseVerifierKey,
  type Ledger,
  type Witness,
  type WitnessClient,
} from '../ledger/index.ts'
import {
  DEFAULT_PROFILE,
  MANDATE_REGISTRIES,
  createAccessGate,
  createRegistryService,
  hasCountry,
  removeAbandonedSeed,
  seedCountry,
  type AccessGate,
  type Caller,
  type RegistryService,
  type SeedReport,
} from '../registries/index.ts'
import type { Clock, Logger } from '../shared/index.ts'
import {
  createOidcProvider,
  createPasskeys,
  createSessionStore,
  createWebEidValidator,
  oidcCookieKeys,
  type OidcProvider,
  type Passkeys,
  type SessionStore,
  type WebEidValidator,
} from '../identity/index.ts'
import {
  createSignatureValidator,
  createTrustList,
  createValidationPool,
  loadTrustList,
  mergeTrustLists,
  type SignatureValidator,
  type SigningServices,
  type ValidationPool,
  type TrustList,
} from '../signature/index.ts'
import type { FastifyRequest } from 'fastify'
import {
  callerOf,
  createExchangeClient,
  openExchangeNode,
  portalCallerOf,
  type ExchangeClient,
  type ExchangeNode,
  type InProcessProvider,
  type MessageRecord,
} from '../exchange/index.ts'
import type { Mandates } from '../identity/index.ts'
import { openPkcs11Token, openPki, POLICY, type StatePki } from '../trust/index.ts'
import { createDataKeyStore, engineOf, openStore, type Store } from '../storage/index.ts'
import type { Config } from './config.ts'
import type { Metrics } from './metrics.ts'
import { DATA_KEYS, MIGRATIONS } from './modules.ts'

export interface Platform {
  readonly store: Store
  readonly envelope: Envelope
  readonly gate: AccessGate
  readonly registries: RegistryService
  readonly pki: StatePki
  readonly webEid: WebEidValidator
  /** Signature validation (the state's CAs and TSA, plus `E_STATE_TRUST`) and signing services. */
  readonly signatures: {
    readonly trust: TrustList
    readonly validator: SignatureValidator
    /** The same validation in worker threads, for the HTTP service (off the event loop). */
    readonly pool: ValidationPool
    readonly services: SigningServices
  }
  readonly sessions: SessionStore
  readonly oidc: OidcProvider
  readonly passkeys: Passkeys
  readonly clock: Clock
  readonly ledger: Ledger
  /** The in-process witness, when this node runs one. */
  readonly witness: Witness | undefined
  /** The verifier keys of the other sites' witnesses that cosign this log. */
  readonly remoteWitnessKeys: readonly string[]
  readonly instance: string
  /** The store is a standby (an embassy's node before promotion): reads only. */
  readonly readOnly: boolean
  /**
   * A read-only node that writes its access records and message log at the primary
   * (`E_STATE_PRIMARY_DATABASE_URL`): it serves personal reads through the exchange.
   */
  readonly readsRecordedAtPrimary: boolean
  /** Proves an in-process call comes from this node's provider gateway (never leaves it). */
  readonly gatewayToken: Buffer
  /** The origin the portal's pages are served from (cookie-authenticated acts must come from it). */
  readonly publicOrigin: string
  /** The exchange: the central registry and this node's in-process gateway runtime. */
  readonly exchange: ExchangeNode
  /** How this node's own code calls another agency's service (through its gateway). */
  readonly exchangeClient: ExchangeClient
  /** Who calls, from the exchange's verified headers (for the registries' Data API). */
  readonly callerOf: (
    request: FastifyRequest,
    options?: { readonly gatewayOnly?: boolean },
  ) => Promise<Caller>
  /** A person's mandates, asked of the registers that keep them as the state portal. */
  readonly mandatesOf: (personalCode: string) => Promise<Mandates>
  close(): Promise<void>
}

export interface PlatformOptions {
  readonly config: Config
  readonly clock: Clock
  readonly logger: Logger
  readonly metrics: Metrics
  /** Start the background drain of the ledger outbox (tests of fail-closed switch it off). */
  readonly drainIntervalMs?: number
  /** The modules' in-process exchange providers, by backend (`internal:<module>/<name>`). */
  readonly providers: ReadonlyMap<string, InProcessProvider>
}

export async function openPlatform(options: PlatformOptions): Promise<Platform> {
  const { config, clock, logger } = options
  await ensureCountry(options)
  let store = await openStore({ url: config.databaseUrl })
  const closers: (() => void)[] = []
  try {
    // An embassy's node on the standby reads what the primary writes: no migrations (the
    // schema replicates), no bootstrap, no ledger writer; an act answers READ_ONLY_SITE.
    const readOnly = await isStandby(store)
    if (readOnly) logger.info('the store is a standby: this node serves reads until promotion')
    else await store.migrate(MIGRATIONS)
    // A fenced store, or one older than this node has seen, is refused; on PostgreSQL every
    // connection then declares the generation, and the fence refuses its acts elsewhere.
    const generation = await checkSiteGeneration(store, config.dataDir)
    if (store.engine === 'postgres') {
      await store.close()
      store = await openStore({ url: config.databaseUrl, generation })
    }
    // An embassy's node with the primary's address records its acts of reading there.
    const primary =
      readOnly && config.primaryDatabaseUrl !== undefined
        ? await openStore({ url: config.primaryDatabaseUrl, generation, poolSize: 8 })
        : undefined
    if (primary !== undefined) closers.push(() => void primary.close())
    const envelope = await openEnvelope(
      config.masterKeys,
      createDataKeyStore(store.db, clock.now),
      // A standby cannot write: its keys come from the primary, replicated with the store.
      readOnly ? [] : DATA_KEYS,
    )
    const country = await store.db
      .selectFrom('country')
      .select(['instance', 'name'])
      .executeTakeFirstOrThrow()
    const sessions = createSessionStore(store.db, clock)
    // The login validator caches OCSP answers; a status change drops the certificate's.
    const forgetStatus: ((serial: string) => void)[] = []
    const hsm = config.pkiHsm === undefined ? undefined : await openPkcs11Token(config.pkiHsm)
    closers.push(() => hsm?.close())
    const pki = await openPki({
      hsm,
      store,
      envelope,
      clock,
      publicUrl: config.publicUrl,
      environment: config.environment,
      organization: country.name,
      onStatusChange: async (changes) => {
        for (const change of changes) for (const forget of forgetStatus) forget(change.serial)
        // A card suspended or revoked ends its holder's sessions (passkeys need a good card too).
        const holders = new Set(
          changes
            .filter((change) => change.kind === 'auth' && change.status !== 'good')
            .map((change) => change.holder)
            .filter((holder): holder is string => holder !== null),
        )
        await sessions.endAllOf([...holders])
      },
    })
    const webEid = createWebEidValidator({
      trusted: [
        {
          certificate: pki.authorities.get('citizen')?.certificate as Buffer,
          // e-state's own e-IDs: OCSP asked of the state's responder, in process; only its
          // authentication certificates (their policy) log in.
          ocsp: { mode: 'on', transport: (request) => pki.ocsp.respond(request) },
          authPolicies: [POLICY.citizenAuth],
        },
        ...config.webEidCas.map((certificate) => ({ certificate, ocsp: { mode: 'off' as const } })),
      ],
      now: () => clock.now(),
    })
    forgetStatus.push((serial) => webEid.forget(serial))
    const exchange = await openExchangeNode({
      db: store.db,
      envelope,
      pki,
      clock,
      instance: country.instance,
      publicUrl: config.publicUrl,
      ...(config.gateway === undefined ? {} : { gatewayAddress: config.gateway.address }),
      readOnly,
      ...(primary === undefined ? {} : { logDb: primary.db }),
    })
    closers.push(() => exchange.close())
    const exchangeClient = createExchangeClient({
      node: exchange,
      db: store.db,
      clock,
      providers: options.providers,
      observe: (record) => observeMessage(options.metrics, record),
    })
    const signatureTrust = stateTrustList(pki, config.signatureTrust)
    const validationPool = createValidationPool({ trust: signatureTrust })
    closers.push(() => void validationPool.close())
    const gate = createAccessGate({
      store,
      clock,
      bounds: config.accessLog,
      metrics: options.metrics.gate,
      ...(primary === undefined ? {} : { recordsAt: primary }),
    })
    const registries = createRegistryService({
      store,
      gate,
      envelope,
      clock,
      instance: country.instance,
    })
    const signer = parseSignerKey(config.ledger.signerKey)
    const witness = await openWitness(config, signer.verifier.text, clock)
    const ledger = await openLedger({
      store,
      clock,
      origin: config.ledger.origin,
      signer,
      witnesses: [
        ...(witness === undefined ? [] : [witness]),
        ...config.witness.remote.map((remote) => remoteWitness(remote.verifierKey, remote.url)),
      ],
      intervalMs: options.drainIntervalMs ?? 100,
      onError: (error, stage) => {
        options.metrics.ledger.failures.inc({ stage })
        logger.error({ err: error, stage }, 'ledger failure')
      },
      onBatch: (entries) => options.metrics.ledger.appended.inc(entries),
      onPublished: (size) => options.metrics.ledger.published.set(size),
      readOnly,
    })
    if (config.writeDevCredentials && !readOnly) {
      try {
        await writeDevCredentials(store, clock, config.dataDir, logger)
      } catch (error) {
        await ledger.stop()
        throw error
      }
    }
    const platform: Platform = {
      store,
      envelope,
      gate,
      registries,
      ledger,
      witness,
      remoteWitnessKeys: config.witness.remote.map((remote) => remote.verifierKey),
      pki,
      webEid,
      signatures: {
        trust: signatureTrust,
        validator: createSignatureValidator({ trust: signatureTrust, now: () => clock.now() }),
        pool: validationPool,
        services: {
          timestamp: (request) => pki.tsa.stamp(request),
          ocsp: (request) => pki.ocsp.respond(request),
        },
      },
      sessions,
      clock,
      passkeys: createPasskeys({
        db: store.db,
        clock,
        origin: new URL(config.publicUrl).origin,
        rpName: country.name,
      }),
      oidc: createOidcProvider({
        db: store.db,
        clock,
        issuer: config.publicUrl,
        signingKey: config.oidcSigningKey,
        cookieKeys: oidcCookieKeys(config.masterKeys.current.key),
        country: country.instance,
      }),
      instance: country.instance,
      readOnly,
      readsRecordedAtPrimary: primary !== undefined,
      gatewayToken: randomBytes(32),
      publicOrigin: new URL(config.publicUrl).origin,
      exchange,
      exchangeClient,
      callerOf: (request, callerOptions) => callerOf(request, platform, callerOptions),
      mandatesOf: async (personalCode) => {
        const caller = await portalCallerOf(personalCode, platform)
        const [population, business] = await Promise.all(
          MANDATE_REGISTRIES.map((registry) =>
            exchangeClient.callRegister(caller, registry, 'mandates', {}),
          ),
        )
        return {
          children: (population.children ?? []) as Mandates['children'],
          companies: (business.companies ?? []) as Mandates['companies'],
        }
      },
      async close() {
        try {
          await ledger.stop()
        } finally {
          for (const close of closers) close()
          await store.close()
        }
      },
    }
    return platform
  } catch (error) {
    for (const close of closers) close()
    await store.close()
    throw error
  }
}

/** Prometheus: each exchange message by side and outcome. */
function observeMessage(metrics: Metrics, record: MessageRecord): void {
  metrics.exchange.observe(
    {
      side: record.side,
      outcome:
        record.errorType ??
        (record.status >= 500
          ? 'provider-error'
          : record.status >= 400
            ? 'provider-refusal'
            : 'ok'),
    },
    record.durationMs / 1000,
  )
}

/** The in-process witness: this log's own and any other site's logs it was told to trust. */
async function openWitness(
  config: Config,
  ownLog: string,
  clock: Clock,
): Promise<Witness | undefined> {
  if (config.witness.key === undefined) return undefined
  const byOrigin = new Map<string, ReturnType<typeof parseVerifierKey>[]>()
  for (const text of [ownLog, ...config.witness.logs]) {
    const verifier = parseVerifierKey(text)
    byOrigin.set(verifier.name, [...(byOrigin.get(verifier.name) ?? []), verifier])
  }
  return createWitness({
    cosigner: parseCosignerKey(config.witness.key),
    logs: [...byOrigin].map(([origin, verifiers]) => ({ origin, verifiers })),
    state: await openFileWitnessState(config.witness.statePath),
    clock,
  })
}

/** Another site's witness, over C2SP tlog-witness HTTP. */
function remoteWitness(verifierKey: string, url: string): WitnessClient {
  const { name } = parseCosignerVerifierKey(verifierKey)
  return {
    name,
    async addCheckpoint(body) {
      const response = await fetch(`${url}/add-checkpoint`, {
        method: 'POST',
        body,
        headers: { 'content-type': 'text/plain; charset=utf-8' },
        redirect: 'error',
        signal: AbortSignal.timeout(10_000),
      })
      return {
        status: response.status,
        contentType: response.headers.get('content-type') ?? '',
        body: await response.text(),
      }
    },
  }
}

/** Seeds the default country on first start; a store left half-built by a killed seed is rebuilt. */
async function ensureCountry(options: PlatformOptions): Promise<SeedReport | undefined> {
  const { config, logger, clock } = options
  if (engineOf(config.databaseUrl) === 'sqlite') {
    removeAbandonedSeed(config.databaseUrl)
    if (existsSync(config.databaseUrl) && (await storeHasCountry(config.databaseUrl)))
      return undefined
  } else if (await storeHasCountry(config.databaseUrl)) {
    return undefined
  }
  logger.info(
    { population: config.country.population, seed: config.country.seed },
    'first start: seeding the country',
  )
  const report = await seedCountry({
    url: config.databaseUrl,
    profile: DEFAULT_PROFILE,
    population: config.country.population,
    seed: config.country.seed,
    masterKeys: config.masterKeys,
    clock,
    migrations: MIGRATIONS,
    replace: engineOf(config.databaseUrl) === 'sqlite',
  })
  logger.info(
    {
      residents: report.residents,
      seconds: Number(report.seconds.toFixed(1)),
      snapshot: report.snapshotHash,
    },
    'country seeded',
  )
  return report
}

async function storeHasCountry(url: string): Promise<boolean> {
  const store = await openStore({ url })
  try {
    return await hasCountry(store)
  } finally {
    await store.close()
  }
}

/**
 * Development convenience: one API key per seeded agency in `<data>/dev-credentials.json`
 * (mode 0600), so a newcomer can call the API at once. Never in production.
 */
async function writeDevCredentials(
  store: Store,
  clock: Clock,
  dataDir: string,
  logger: Logger,
): Promise<void> {
  const path = join(dataDir, 'dev-credentials.json')
  if (existsSync(path)) return
  const agencies = await store.db
    .selectFrom('agencies')
    .select(['member_id', 'subsystem', 'short_name'])
    .orderBy('registry_code')
    .execute()
  const credentials = []
  for (const agency of agencies) {
    credentials.push({
      agency: agency.short_name,
      client: `${agency.member_id}/${agency.subsystem}`,
      apiKey: await issueMemberCredential(store.db, clock, agency.member_id),
    })
  }
  mkdirSync(dataDir, { recursive: true })
  writeFileSync(path, JSON.stringify(credentials, null, 2) + '\n', { mode: 0o600 })
  logger.info({ path }, 'development member API keys written')
}

/**
 * What signature validation trusts: the state's root and issuing CAs (anchors, as a trusted list
 * names issuing CAs: a B-B signature carries only its own certificate), its TSA, and the
 * configured trust file.
 */
function stateTrustList(pki: StatePki, configured: string | undefined): TrustList {
  const certificate = (name: string) => {
    const authority = pki.authorities.get(name)
    if (authority === undefined) throw new TypeError(`the state PKI has no ${name}`)
    return authority.certificate
  }
  const own = createTrustList({
    cas: ['root', 'citizen', 'eseal'].map(certificate),
    tsas: [certificate('tsa')],
  })
  return configured === undefined ? own : mergeTrustLists(own, loadTrustList(configured))
}

/** Whether the store is a PostgreSQL standby (in recovery): a node on it can only read. */
export async function isStandby(store: Store): Promise<boolean> {
  if (store.engine !== 'postgres') return false
  const result = await sql<{ standby: boolean }>`SELECT pg_is_in_recovery() AS standby`.execute(
    store.admin,
  )
  return result.rows[0]?.standby === true
}

/**
 * The site's generation against the highest this node has seen (kept in the data folder): a
 * store of an older generation is an old primary that a promotion left behind — refused. A
 * newer one is remembered. Answers the generation to declare.
 */
async function checkSiteGeneration(store: Store, dataDir: string): Promise<number> {
  const site = await store.admin
    .selectFrom('cloud_site')
    .select(['generation', 'fenced_at'])
    .executeTakeFirst()
  const generation = Number(site?.generation ?? 1)
  const file = join(dataDir, 'site-generation')
  const seen = existsSync(file) ? Number(readFileSync(file, 'utf8').trim()) || 0 : 0
  if (site?.fenced_at !== null && site?.fenced_at !== undefined)
    throw new CloudError(
      'CLOUD_FENCED',
      `this database was fenced at ${site.fenced_at}: it is no longer the primary`,
    )
  if (generation < seen)
    throw new CloudError(
      'CLOUD_FENCED',
      `this database is at site generation ${generation}, but this node has seen ${seen}: an old primary left behind by a promotion`,
    )
  if (generation > seen) {
    mkdirSync(dataDir, { recursive: true })
    writeFileSync(file, `${generation}\n`, { mode: 0o600 })
  }
  return Math.max(generation, seen)
}
