/**
 * TLS between the two sites. The replication link is mutual TLS: the embassy checks the
 * primary's server certificate (`sslmode=verify-full`, the name in the certificate must be the
 * host it dialled) and the primary accepts a replication connection only with a client
 * certificate whose common name is the replication role (`cert` in pg_hba.conf): no password
 * crosses the link or sits in a file.
 *
 * The certificates come from an issuer: the state PKI's TLS CA (`statePkiIssuer`, what a real
 * deployment uses), or a site CA made on the spot (`siteCaIssuer`, for the drill and for a
 * deployment without the platform's PKI at hand). The site CA's key exists only in memory while
 * the two sites' certificates are issued, and is then dropped: nobody can issue another.
 */
import { generateKeyPairSync, randomBytes, X509Certificate, type KeyObject } from 'node:crypto'
import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import {
  issueCertificate,
  keySigner,
  OID,
  type DistinguishedName,
  type StatePki,
} from '../trust/index.ts'
import { giveToServer, type ServerOwner } from './postgres-server.ts'

export const REPLICATION_ROLE = 'estate_replication'

export interface CertificateIssuer {
  /** The CA certificates peers trust (issuing CA first, then its root), DER. */
  readonly chain: readonly Buffer[]
  issue(request: {
    readonly commonName: string
    readonly publicKey: KeyObject
    readonly dnsNames: readonly string[]
  }): Promise<Buffer>
}

/** The files one site needs: its server certificate, and a client certificate for replication. */
export interface SiteTlsFiles {
  readonly ca: string
  readonly serverCertificate: string
  readonly serverKey: string
  readonly clientCertificate: string
  readonly clientKey: string
}

export const TLS_FILE_NAMES = {
  ca: 'ca.crt',
  serverCertificate: 'server.crt',
  serverKey: 'server.key',
  clientCertificate: 'client.crt',
  clientKey: 'client.key',
} as const satisfies Record<keyof SiteTlsFiles, string>

export function tlsFilesIn(dir: string): SiteTlsFiles {
  return {
    ca: path.join(dir, TLS_FILE_NAMES.ca),
    serverCertificate: path.join(dir, TLS_FILE_NAMES.serverCertificate),
    serverKey: path.join(dir, TLS_FILE_NAMES.serverKey),
    clientCertificate: path.join(dir, TLS_FILE_NAMES.clientCertificate),
    clientKey: path.join(dir, TLS_FILE_NAMES.clientKey),
  }
}

/** A throwaway site CA (P-256), its key held only by the returned issuer. */
export async function siteCaIssuer(organization = 'e-state'): Promise<CertificateIssuer> {
  const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const signer = keySigner(pair.privateKey)
  const now = Date.now()
  const subject: DistinguishedName = [
    [OID.organizationName, organization],
    [OID.commonName, `${organization} site replication CA`],
  ]
  const ca = await issueCertificate({
    subject,
    publicKey: pair.publicKey,
    serial: randomBytes(16),
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 5 * 365 * 86_400_000),
    profile: { ca: { pathLength: 0 }, keyUsage: ['keyCertSign', 'cRLSign'] },
    signer,
  })
  return {
    chain: [ca],
    issue: (request) =>
      issueCertificate({
        subject: [
          [OID.organizationName, organization],
          [OID.commonName, request.commonName],
        ],
        publicKey: request.publicKey,
        serial: randomBytes(16),
        notBefore: new Date(now - 60_000),
        notAfter: new Date(now + 2 * 365 * 86_400_000),
        profile: {
          keyUsage: ['digitalSignature'],
          extendedKeyUsage: [OID.serverAuth, OID.clientAuth],
          dnsNames: request.dnsNames.length > 0 ? request.dnsNames : undefined,
        },
        issuer: { certificate: ca },
        signer,
      }),
  }
}

/** The state PKI's TLS issuing CA (ARCHITECTURE invariant 5: TLS between sites). */
export function statePkiIssuer(pki: StatePki): CertificateIssuer {
  const certificateOf = (name: string): Buffer => {
    const authority = pki.authorities.get(name)
    if (authority === undefined) throw new TypeError(`the state PKI has no ${name} authority`)
    return authority.certificate
  }
  return {
    chain: [certificateOf('tls'), certificateOf('root')],
    issue: async (request) =>
      (
        await pki.issue({
          kind: 'tls',
          holder: `site:${request.commonName}`,
          subject: [[OID.commonName, request.commonName]],
          publicKey: request.publicKey,
          dnsNames: request.dnsNames,
        })
      ).der,
  }
}

/**
 * Issues one site's certificates into `dir` (created; keys 0600, owned by the server's user):
 * a server certificate for `hosts`, a client certificate for the replication role.
 */
export async function issueSiteTls(
  issuer: CertificateIssuer,
  dir: string,
  hosts: readonly string[],
  owner: ServerOwner | undefined,
): Promise<SiteTlsFiles> {
  await mkdir(dir, { recursive: true, mode: 0o700 })
  await giveToServer(owner, dir, 0o700)
  const files = tlsFilesIn(dir)
  const server = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const client = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const serverCertificate = await issuer.issue({
    commonName: hosts[0] ?? 'localhost',
    publicKey: server.publicKey,
    dnsNames: hosts,
  })
  const clientCertificate = await issuer.issue({
    commonName: REPLICATION_ROLE,
    publicKey: client.publicKey,
    dnsNames: [],
  })
  const write = async (file: string, text: string, mode: number): Promise<void> => {
    await writeFile(file, text, { mode })
    await giveToServer(owner, file, mode)
  }
  await write(files.ca, issuer.chain.map(pem).join(''), 0o644)
  await write(files.serverCertificate, pem(serverCertificate), 0o644)
  await write(files.clientCertificate, pem(clientCertificate), 0o644)
  await write(files.serverKey, keyPem(server.privateKey), 0o600)
  await write(files.clientKey, keyPem(client.privateKey), 0o600)
  return files
}

function pem(der: Buffer): string {
  return new X509Certificate(der).toString()
}

function keyPem(key: KeyObject): string {
  return key.export({ format: 'pem', type: 'pkcs8' }).toString()
}
