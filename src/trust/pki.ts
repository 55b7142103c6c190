/**
 * The state PKI as a service: its authorities — a root, issuing CAs for citizens' e-ID (auth
 * and signing certificates), organisation e-seals and TLS, a delegated OCSP responder per
 * issuing CA and a time-stamping authority — with their keys sealed at rest by the envelope
 * (`trust` data key); the certificates issued and their status; OCSP, time-stamps and CRLs
 * over them. A development start generates the hierarchy (marked as such); production refuses
 * to run with development keys and expects them imported (`e-state ca import`).
 */
import {
  createPrivateKey,
  generateKeyPairSync,
  randomBytes,
  X509Certificate,
  type KeyObject,
} from 'node:crypto'
import type { Kysely } from 'kysely'
import type { Envelope } from '../crypto/index.ts'
import { ledgerRecorder } from '../ledger/index.ts'
import type { Clock } from '../shared/index.ts'
import type { Schema, Store } from '../storage/index.ts'
import { TrustError } from './errors.ts'
import { createOcspResponder, type CertificateStatus, type OcspResponder } from './ocsp.ts'
import { algorithmOf, keySigner, type KeyAlgorithm, type Signer } from './signer.ts'
import { createTimeStampAuthority, type TimeStampAuthority } from './tsa.ts'
import {
  issueCertificate,
  issueCrl,
  OID,
  type CertificateProfile,
  type DistinguishedName,
} from './x509.ts'

export const TRUST_AGENCY = 'trust'
export const TSA_POLICY = '1.3.6.1.4.1.99999.1.3.1'
/** e-state's certificate policies (a private arc; a real state registers its own). */
export const POLICY = {
  citizenAuth: '1.3.6.1.4.1.99999.1.1.1',
  citizenSign: '1.3.6.1.4.1.99999.1.1.2',
  eseal: '1.3.6.1.4.1.99999.1.2.1',
  tls: '1.3.6.1.4.1.99999.1.4.1',
} as const

export type IssuingCa = 'citizen' | 'eseal' | 'tls'
export type CertificateKind = 'auth' | 'sign' | 'eseal' | 'tls'
export type CertificateState = 'good' | 'suspended' | 'revoked'

const SHORT_NAMES: Record<string, string> = {
  [OID.countryName]: 'C',
  [OID.organizationName]: 'O',
  [OID.organizationalUnitName]: 'OU',
  [OID.commonName]: 'CN',
  [OID.surname]: 'SN',
  [OID.givenName]: 'GN',
  [OID.serialNumber]: 'serialNumber',
  [OID.organizationIdentifier]: 'organizationIdentifier',
}

const CA_OF: Record<CertificateKind, IssuingCa> = {
  auth: 'citizen',
  sign: 'citizen',
  eseal: 'eseal',
  tls: 'tls',
}

export interface Authority {
  readonly name: string
  readonly role: 'root' | 'issuing' | 'ocsp' | 'tsa'
  readonly certificate: Buffer
  readonly signer: Signer
  readonly development: boolean
}

export interface IssueRequest {
  readonly kind: CertificateKind
  readonly subject: DistinguishedName
  readonly holder: string
  readonly publicKey: KeyObject
  readonly batch?: string
  readonly validDays?: number
  readonly dnsNames?: readonly string[]
}

export interface HeldCertificate {
  readonly serial: string
  readonly kind: CertificateKind
  readonly holder: string | null
  readonly status: CertificateState
  readonly notAfter: string
  readonly issuedAt: string
}

export interface IssuedCertificate {
  readonly serial: string
  readonly der: Buffer
  readonly authority: IssuingCa
}

export interface StatePki {
  readonly authorities: ReadonlyMap<string, Authority>
  readonly ocsp: OcspResponder
  readonly tsa: TimeStampAuthority
  readonly development: boolean
  issue(request: IssueRequest): Promise<IssuedCertificate>
  /** Several certificates in one transaction (a card batch, a benchmark). */
  issueMany(requests: readonly IssueRequest[]): Promise<IssuedCertificate[]>
  /** Suspends, resumes or revokes; a revocation is final. Logged in the ledger. */
  setStatus(serial: string, status: CertificateState, reason?: number): Promise<void>
  /** Suspends every good certificate of a batch or key algorithm in one act. */
  suspendMany(filter: { batch?: string; keyAlgorithm?: KeyAlgorithm }, why: string): Promise<number>
  status(authority: string, serial: string): Promise<CertificateStatus>
  /** A holder's certificates, newest first. */
  certificatesOf(holder: string): Promise<HeldCertificate[]>
  /** One certificate's record, or undefined. */
  certificate(serial: string): Promise<HeldCertificate | undefined>
  crl(authority: IssuingCa): Promise<Buffer>
}

export interface PkiOptions {
  readonly store: Store
  readonly envelope: Envelope
  readonly clock: Clock
  /** Where the certificates point clients: `<base>/trust/ocsp`, `<base>/trust/ca/…`. */
  readonly publicUrl: string
  readonly environment: 'development' | 'production'
  /** The country's name in certificates. */
  readonly organization: string
  /** The HSM holding the keys of authorities whose rows carry none (imported with --hsm). */
  readonly hsm?: { readonly signer: (label: string) => Promise<Signer> }
  /** Told of every status change (to drop cached OCSP answers). */
  readonly onStatusChange?: (
    changes: readonly {
      serial: string
      holder: string | null
      kind: CertificateKind
      status: CertificateState
    }[],
  ) => void | Promise<void>
}

export async function openPki(options: PkiOptions): Promise<StatePki> {
  const { store, envelope, clock } = options
  let rows = await store.db.selectFrom('trust_authorities').selectAll().execute()
  if (rows.length === 0) {
    if (options.environment === 'production') {
      throw new TrustError(
        'TRUST_DEVELOPMENT_KEYS',
        'production needs the state PKI imported: run e-state ca import',
      )
    }
    await generateHierarchy(options, true)
    rows = await store.db.selectFrom('trust_authorities').selectAll().execute()
  }
  if (options.environment === 'production' && rows.some((row) => row.development === 1)) {
    throw new TrustError('TRUST_DEVELOPMENT_KEYS', 'production refuses the development PKI keys')
  }
  const authorities = new Map<string, Authority>()
  for (const row of rows) {
    let signer: Signer
    if (row.private_key.length === 0) {
      if (options.hsm === undefined)
        throw new TrustError(
          'TRUST_TOKEN_UNAVAILABLE',
          `the key of ${row.name} is in an HSM: configure E_STATE_PKI_PKCS11_*`,
        )
      signer = await options.hsm.signer(row.name)
    } else {
      signer = keySigner(
        createPrivateKey({
          key: envelope.decrypt(row.private_key, `trust:${row.name}`),
          format: 'der',
          type: 'pkcs8',
        }),
      )
    }
    authorities.set(row.name, {
      name: row.name,
      role: row.role,
      certificate: Buffer.from(row.certificate),
      signer,
      development: row.development === 1,
    })
  }
  const authority = (name: string): Authority => {
    const found = authorities.get(name)
    if (found === undefined) throw new TrustError('TRUST_UNKNOWN_CA', `no authority ${name}`)
    return found
  }
  const status = async (name: string, serial: string): Promise<CertificateStatus> => {
    const row = await store.db
      .selectFrom('certificates')
      .select(['status', 'status_changed_at', 'reason'])
      .where('serial', '=', serial)
      .where('authority', '=', name)
      .executeTakeFirst()
    if (row === undefined) return { status: 'unknown' }
    if (row.status === 'good') return { status: 'good' }
    return {
      status: 'revoked',
      at: new Date(row.status_changed_at ?? 0),
      reason: row.status === 'suspended' ? 6 : (row.reason ?? 0),
    }
  }
  const ocsp = createOcspResponder({
    authorities: (['citizen', 'eseal', 'tls'] as const).map((name) => ({
      name,
      caCertificate: authority(name).certificate,
      responderCertificate: authority(`ocsp-${name}`).certificate,
      responder: authority(`ocsp-${name}`).signer,
    })),
    status,
    now: () => clock.now(),
  })
  const tsa = createTimeStampAuthority({
    certificate: authority('tsa').certificate,
    signer: authority('tsa').signer,
    policy: TSA_POLICY,
    now: () => clock.now(),
  })

  const logStatus = async (
    db: Kysely<Schema>,
    rowsChanged: readonly { serial: string; authority: string }[],
    state: CertificateState,
    reason: number,
    at: string,
  ) => {
    await ledgerRecorder.record(
      db,
      rowsChanged.map((row) => ({
        kind: 'certificate-status',
        refId: 0,
        recordedAt: at,
        entry: Buffer.from(
          JSON.stringify({
            kind: 'certificate-status',
            authority: row.authority,
            serial: row.serial,
            status: state,
            reason,
            at,
          }),
        ),
      })),
    )
  }

  async function issueMany(requests: readonly IssueRequest[]): Promise<IssuedCertificate[]> {
    const now = clock.now()
    const made: { issued: IssuedCertificate; row: Schema['certificates'] }[] = []
    for (const request of requests) {
      // Citizens' keys as on the cards (P-384, P-256 accepted); organisations', gateways' and
      // sites' keys are P-256 or Ed25519 (they sign every message; P-384 costs too much there).
      const algorithm = algorithmOf(request.publicKey)
      const allowed =
        request.kind === 'auth' || request.kind === 'sign'
          ? ['ec-p384', 'ec-p256']
          : ['ec-p256', 'ed25519']
      if (!allowed.includes(algorithm))
        throw new TrustError(
          'TRUST_UNSUPPORTED_KEY',
          `${request.kind} certificates are for ${allowed.join(' or ')} keys, not ${algorithm}`,
        )
      const caName = CA_OF[request.kind]
      const ca = authority(caName)
      const serialBytes = Buffer.concat([
        Buffer.from([0x40 | (randomBytes(1)[0] & 0x3f)]),
        randomBytes(15),
      ])
      const notAfter = new Date(now.getTime() + (request.validDays ?? 5 * 365) * 86_400_000)
      const der = await issueCertificate({
        subject: request.subject,
        publicKey: request.publicKey,
        serial: serialBytes,
        notBefore: now,
        notAfter,
        profile: profileOf(request.kind, caName, options.publicUrl, request.dnsNames),
        issuer: { certificate: ca.certificate },
        signer: ca.signer,
      })
      const serial = serialBytes.toString('hex')
      made.push({
        issued: { serial, der, authority: caName },
        row: {
          serial,
          authority: caName,
          kind: request.kind,
          holder: request.holder,
          subject: request.subject
            .map(([type, value]) => `${SHORT_NAMES[type] ?? type}=${value}`)
            .join(', '),
          key_algorithm: algorithmOf(request.publicKey),
          batch: request.batch ?? null,
          not_before: now.toISOString(),
          not_after: notAfter.toISOString(),
          status: 'good',
          status_changed_at: null,
          reason: null,
          der,
          issued_at: now.toISOString(),
        },
      })
    }
    await store.db.transaction().execute(async (trx) => {
      for (let start = 0; start < made.length; start += 200) {
        await trx
          .insertInto('certificates')
          .values(made.slice(start, start + 200).map((entry) => entry.row))
          .execute()
      }
    })
    return made.map((entry) => entry.issued)
  }

  return {
    authorities,
    ocsp,
    tsa,
    development: rows.some((row) => row.development === 1),
    async issue(request) {
      const [issued] = await issueMany([request])
      return issued
    },
    issueMany,
    async setStatus(serial, next, reason) {
      const changed = await store.db.transaction().execute(async (trx) => {
        const row = await trx
          .selectFrom('certificates')
          .select(['status', 'authority', 'holder', 'kind'])
          .where('serial', '=', serial)
          .executeTakeFirst()
        if (row === undefined)
          throw new TrustError('TRUST_UNKNOWN_CERTIFICATE', `no certificate ${serial}`)
        if (row.status === 'revoked')
          throw new TrustError('TRUST_INVALID_STATUS_CHANGE', 'a revoked certificate stays revoked')
        if (row.status === next) return undefined
        const at = clock.now().toISOString()
        const code = next === 'suspended' ? 6 : next === 'revoked' ? (reason ?? 0) : 0
        await trx
          .updateTable('certificates')
          .set({ status: next, status_changed_at: at, reason: next === 'good' ? null : code })
          .where('serial', '=', serial)
          .execute()
        await logStatus(trx, [{ serial, authority: row.authority }], next, code, at)
        return { serial, holder: row.holder, kind: row.kind, status: next }
      })
      if (changed !== undefined) await options.onStatusChange?.([changed])
    },
    async suspendMany(filter, why) {
      if (filter.batch === undefined && filter.keyAlgorithm === undefined)
        throw new TrustError('TRUST_INVALID_STATUS_CHANGE', 'name a batch or a key type')
      const suspended = await store.db.transaction().execute(async (trx) => {
        let query = trx
          .selectFrom('certificates')
          .select(['serial', 'authority', 'holder', 'kind'])
          .where('status', '=', 'good')
        if (filter.batch !== undefined) query = query.where('batch', '=', filter.batch)
        if (filter.keyAlgorithm !== undefined)
          query = query.where('key_algorithm', '=', filter.keyAlgorithm)
        const found = await query.execute()
        const at = clock.now().toISOString()
        for (let start = 0; start < found.length; start += 1000) {
          const serials = found.slice(start, start + 1000).map((row) => row.serial)
          await trx
            .updateTable('certificates')
            .set({ status: 'suspended', status_changed_at: at, reason: 6 })
            .where('serial', 'in', serials)
            .execute()
        }
        await logStatus(trx, found, 'suspended', 6, at)
        const holders = [
          ...new Set(found.map((row) => row.holder).filter((h): h is string => h !== null)),
        ]
        for (let start = 0; start < holders.length; start += 1000) {
          await trx
            .insertInto('letters')
            .values(
              holders.slice(start, start + 1000).map((holder) => ({
                recipient: holder,
                subject: 'Your e-ID certificates are suspended',
                body: `Your e-ID certificates were suspended on ${at.slice(0, 10)}: ${why}. Renew them at a service desk or online; until then you can still identify yourself in person.`,
                queued_at: at,
                sent_at: null,
              })),
            )
            .execute()
        }
        return found.map((row) => ({
          serial: row.serial,
          holder: row.holder,
          kind: row.kind,
          status: 'suspended' as const,
        }))
      })
      await options.onStatusChange?.(suspended)
      return suspended.length
    },
    status,
    async certificatesOf(holder) {
      const rows = await store.db
        .selectFrom('certificates')
        .select(['serial', 'kind', 'holder', 'status', 'not_after', 'issued_at'])
        .where('holder', '=', holder)
        .orderBy('issued_at', 'desc')
        .execute()
      return rows.map(held)
    },
    async certificate(serial) {
      const row = await store.db
        .selectFrom('certificates')
        .select(['serial', 'kind', 'holder', 'status', 'not_after', 'issued_at'])
        .where('serial', '=', serial)
        .executeTakeFirst()
      return row === undefined ? undefined : held(row)
    },
    async crl(name) {
      const ca = authority(name)
      const now = clock.now()
      const revoked = await store.db
        .selectFrom('certificates')
        .select(['serial', 'status', 'status_changed_at', 'reason'])
        .where('authority', '=', name)
        .where('status', '!=', 'good')
        .execute()
      const number = await store.db.transaction().execute(async (trx) => {
        const row = await trx
          .updateTable('trust_authorities')
          .set((eb) => ({ crl_number: eb('crl_number', '+', 1) }))
          .where('name', '=', name)
          .returning('crl_number')
          .executeTakeFirstOrThrow()
        return Number(row.crl_number)
      })
      return issueCrl({
        issuer: ca.certificate,
        signer: ca.signer,
        number,
        thisUpdate: now,
        nextUpdate: new Date(now.getTime() + 3_600_000),
        revoked: revoked.map((row) => ({
          serial: Buffer.from(row.serial.length % 2 === 0 ? row.serial : `0${row.serial}`, 'hex'),
          revokedAt: new Date(row.status_changed_at ?? 0),
          reason: row.status === 'suspended' ? 6 : (row.reason ?? 0),
        })),
      })
    },
  }
}

function held(row: {
  serial: string
  kind: CertificateKind
  holder: string | null
  status: CertificateState
  not_after: string
  issued_at: string
}): HeldCertificate {
  return {
    serial: row.serial,
    kind: row.kind,
    holder: row.holder,
    status: row.status,
    notAfter: row.not_after,
    issuedAt: row.issued_at,
  }
}

function profileOf(
  kind: CertificateKind,
  ca: IssuingCa,
  base: string,
  dnsNames?: readonly string[],
): CertificateProfile {
  const links = {
    ocspUrl: `${base}/trust/ocsp`,
    caIssuersUrl: `${base}/trust/ca/${ca}.crt`,
    crlUrl: `${base}/trust/crl/${ca}.crl`,
  }
  switch (kind) {
    case 'auth':
      return {
        keyUsage: ['digitalSignature', 'keyAgreement'],
        extendedKeyUsage: [OID.clientAuth, OID.emailProtection],
        policies: [POLICY.citizenAuth],
        ...links,
      }
    case 'sign':
      return { keyUsage: ['nonRepudiation'], policies: [POLICY.citizenSign], ...links }
    case 'eseal':
      return {
        keyUsage: ['digitalSignature', 'nonRepudiation'],
        policies: [POLICY.eseal],
        ...links,
      }
    case 'tls':
      return {
        keyUsage: ['digitalSignature'],
        extendedKeyUsage: [OID.serverAuth, OID.clientAuth],
        policies: [POLICY.tls],
        dnsNames,
        ...links,
      }
  }
}

export interface HierarchyMember {
  /** The private key when it is held in this process; absent when it lives in an HSM. */
  readonly key?: KeyObject
  readonly signer: Signer
  readonly certificate: Buffer
  readonly role: Authority['role']
  readonly issuer: string | null
}

/** Where a hierarchy's keys are made: in memory (default) or inside an HSM. */
export type KeySource = (
  name: string,
  curve: 'P-256' | 'P-384',
) => Promise<{ publicKey: KeyObject; signer: Signer; key?: KeyObject }>

const memoryKeys: KeySource = async (_name, curve) => {
  const pair = generateKeyPairSync('ec', { namedCurve: curve })
  return { publicKey: pair.publicKey, signer: keySigner(pair.privateKey), key: pair.privateKey }
}

/** Generates the whole hierarchy and stores it (keys sealed). */
export async function generateHierarchy(options: PkiOptions, development: boolean): Promise<void> {
  await storeHierarchy(options, await buildHierarchy(options, development), development)
}

/**
 * Makes the hierarchy's keys and certificates, without storing anything: what a key ceremony
 * runs (`e-state ca init`) before the result is imported where it serves (`e-state ca import`).
 */
export async function buildHierarchy(
  options: Pick<PkiOptions, 'clock' | 'publicUrl' | 'organization'>,
  development: boolean,
  keys: KeySource = memoryKeys,
): Promise<Map<string, HierarchyMember>> {
  const { clock } = options
  const now = clock.now()
  const years = (n: number) => new Date(now.getTime() + n * 365 * 86_400_000)
  const label = development ? ' DEVELOPMENT' : ''
  const dn = (cn: string): DistinguishedName => [
    [OID.countryName, 'EE'],
    [OID.organizationName, options.organization],
    [OID.commonName, cn],
  ]
  const made = new Map<string, HierarchyMember>()
  const make = async (
    name: string,
    role: Authority['role'],
    curve: 'P-256' | 'P-384',
    cn: string,
    profile: CertificateProfile,
    issuer: string | null,
    until: Date,
  ) => {
    const pair = await keys(name, curve)
    const parent = issuer === null ? undefined : made.get(issuer)
    const certificate = await issueCertificate({
      subject: dn(cn),
      publicKey: pair.publicKey,
      serial: randomBytes(16),
      notBefore: now,
      notAfter: until,
      profile,
      issuer: parent === undefined ? undefined : { certificate: parent.certificate },
      signer: parent?.signer ?? pair.signer,
    })
    made.set(name, { key: pair.key, signer: pair.signer, certificate, role, issuer })
  }
  const year = now.getUTCFullYear()
  const base = options.publicUrl
  await make(
    'root',
    'root',
    'P-384',
    `e-state${label} Root CA ${year}`,
    { ca: {}, keyUsage: ['keyCertSign', 'cRLSign'] },
    null,
    years(20),
  )
  const issuing = (name: IssuingCa): CertificateProfile => ({
    ca: { pathLength: 0 },
    keyUsage: ['keyCertSign', 'cRLSign'],
    ocspUrl: undefined,
    caIssuersUrl: `${base}/trust/ca/root.crt`,
    crlUrl: `${base}/trust/crl/root.crl`,
    policies: [
      name === 'citizen' ? POLICY.citizenAuth : name === 'eseal' ? POLICY.eseal : POLICY.tls,
    ],
  })
  await make(
    'citizen',
    'issuing',
    'P-384',
    `ESTEID-STATE${label} ${year}`,
    { ...issuing('citizen'), policies: [POLICY.citizenAuth, POLICY.citizenSign] },
    'root',
    years(12),
  )
  await make(
    'eseal',
    'issuing',
    'P-256',
    `e-state${label} Organisation CA ${year}`,
    issuing('eseal'),
    'root',
    years(12),
  )
  await make(
    'tls',
    'issuing',
    'P-256',
    `e-state${label} TLS CA ${year}`,
    issuing('tls'),
    'root',
    years(12),
  )
  for (const ca of ['citizen', 'eseal', 'tls'] as const) {
    await make(
      `ocsp-${ca}`,
      'ocsp',
      'P-256',
      `e-state${label} OCSP responder (${ca}) ${year}`,
      { keyUsage: ['digitalSignature'], extendedKeyUsage: [OID.ocspSigning], ocspNoCheck: true },
      ca,
      years(2),
    )
  }
  await make(
    'tsa',
    'tsa',
    'P-256',
    `e-state${label} Time-Stamping Authority ${year}`,
    {
      keyUsage: ['digitalSignature'],
      extendedKeyUsage: [OID.timeStamping],
      ocspUrl: `${base}/trust/ocsp`,
      caIssuersUrl: `${base}/trust/ca/eseal.crt`,
    },
    'eseal',
    years(6),
  )
  return made
}

/** Seals the hierarchy's keys with the envelope and stores it (refused if one is there). */
export async function storeHierarchy(
  options: Pick<PkiOptions, 'store' | 'envelope' | 'clock'>,
  made: ReadonlyMap<string, HierarchyMember>,
  development: boolean,
): Promise<void> {
  const { store, envelope, clock } = options
  const now = clock.now()
  const existing = await store.db.selectFrom('trust_authorities').select('name').execute()
  if (existing.length > 0)
    throw new TrustError('TRUST_ALREADY_INITIALISED', 'this store already has a state PKI')
  await store.db.transaction().execute(async (trx) => {
    for (const [name, entry] of made) {
      await trx
        .insertInto('trust_authorities')
        .values({
          name,
          role: entry.role,
          issuer: entry.issuer,
          certificate: entry.certificate,
          // An HSM-held key is not stored at all: the row says so by an empty key.
          private_key:
            entry.key === undefined
              ? Buffer.alloc(0)
              : envelope.encrypt(
                  TRUST_AGENCY,
                  entry.key.export({ format: 'der', type: 'pkcs8' }),
                  `trust:${name}`,
                ),
          development: development ? 1 : 0,
          created_at: now.toISOString(),
        })
        .execute()
    }
  })
}

const MEMBERS: Record<string, { role: Authority['role']; issuer: string | null }> = {
  root: { role: 'root', issuer: null },
  citizen: { role: 'issuing', issuer: 'root' },
  eseal: { role: 'issuing', issuer: 'root' },
  tls: { role: 'issuing', issuer: 'root' },
  'ocsp-citizen': { role: 'ocsp', issuer: 'citizen' },
  'ocsp-eseal': { role: 'ocsp', issuer: 'eseal' },
  'ocsp-tls': { role: 'ocsp', issuer: 'tls' },
  tsa: { role: 'tsa', issuer: 'eseal' },
}

/**
 * Checks an imported hierarchy before it is stored: every member present, each key the one its
 * certificate names, each certificate signed by its issuer's key, the root self-signed.
 */
export function validateHierarchy(
  members: ReadonlyMap<string, { key?: KeyObject; signer?: Signer; certificate: Buffer }>,
): Map<string, HierarchyMember> {
  const fail = (why: string): never => {
    throw new TrustError('TRUST_IMPORT_INVALID', why)
  }
  const checked = new Map<string, HierarchyMember>()
  for (const [name, expected] of Object.entries(MEMBERS)) {
    const member = members.get(name) ?? fail(`${name} is missing`)
    let certificate: X509Certificate
    try {
      certificate = new X509Certificate(member.certificate)
    } catch {
      return fail(`${name}.crt is not a certificate`)
    }
    const spki = (key: KeyObject) => key.export({ format: 'der', type: 'spki' })
    const matches =
      member.key !== undefined
        ? certificate.checkPrivateKey(member.key)
        : member.signer !== undefined &&
          spki(member.signer.publicKey).equals(spki(certificate.publicKey))
    if (!matches) fail(`the key of ${name} is not the one ${name}.crt names`)
    const issuer = new X509Certificate(
      (members.get(expected.issuer ?? name) ?? fail(`${expected.issuer} is missing`)).certificate,
    )
    if (!certificate.verify(issuer.publicKey))
      fail(`${name}.crt is not signed by ${expected.issuer ?? 'itself'}`)
    checked.set(name, {
      key: member.key,
      signer: member.signer ?? keySigner(member.key as KeyObject),
      certificate: member.certificate,
      ...expected,
    })
  }
  return checked
}
