/**
 * The global configuration: what every gateway must agree on — the instance, its members and
 * their signing certificates, their subsystems, which gateway serves which member (address and
 * TLS certificate), the groups access rights may name, and the CAs member certificates chain to.
 * The central registry publishes it as a signed, versioned document; gateways download it
 * (from any of several mirrors), verify the signature against the anchor they were installed
 * with, refuse a version older than the one they hold (rollback), and keep using their last
 * good copy while the central side is down — until it expires, well after the warning.
 *
 * Wire format (JSON): `{ "configuration": base64(JSON bytes), "signature": { "algorithm":
 * "ES256", "certificate": base64 DER, "value": base64 r‖s } }`. The signed bytes are the exact
 * bytes carried, so no canonical JSON is needed.
 */
import { createHash, sign, verify, X509Certificate, type KeyObject } from 'node:crypto'
import { ExchangeError } from './errors.ts'

export interface GlobalConfiguration {
  readonly instance: string
  readonly version: number
  readonly generatedAt: string
  readonly expiresAt: string
  /** Where gateways download the next version (the central server and its mirrors). */
  readonly sources: readonly string[]
  readonly members: readonly {
    readonly id: string
    readonly name: string
    /** Base64 DER certificates of the member's signing keys (e-seals from the state PKI). */
    readonly signingCertificates: readonly string[]
  }[]
  readonly subsystems: readonly { readonly id: string; readonly member: string }[]
  readonly gateways: readonly {
    readonly id: string
    readonly member: string
    /** `https://host:port` between gateways, or `in-process:` inside one node. */
    readonly address: string
    /** SHA-256 (hex) of the gateway's TLS certificate: the pin for mutual TLS. */
    readonly tlsCertificateSha256: string
    /** The members whose services this gateway provides. */
    readonly serves: readonly string[]
  }[]
  readonly groups: readonly { readonly code: string; readonly members: readonly string[] }[]
  /** Base64 DER CA certificates member signing and TLS certificates chain to. */
  readonly trustAnchors: readonly string[]
}

export interface SignedGlobalConfiguration {
  readonly configuration: string
  readonly signature: {
    readonly algorithm: 'ES256'
    readonly certificate: string
    readonly value: string
  }
}

export function signGlobalConfiguration(
  configuration: GlobalConfiguration,
  key: KeyObject,
  certificate: Buffer,
): SignedGlobalConfiguration {
  const bytes = Buffer.from(JSON.stringify(configuration), 'utf8')
  return {
    configuration: bytes.toString('base64'),
    signature: {
      algorithm: 'ES256',
      certificate: certificate.toString('base64'),
      value: sign('sha256', bytes, { key, dsaEncoding: 'ieee-p1363' }).toString('base64'),
    },
  }
}

/**
 * The configuration inside `signed`, if an anchor certificate signed it, it is for `instance`,
 * not older than `held` and not expired at `now`. Every failure is `OutdatedGlobalConf` or
 * `InvalidGlobalConf`, as a gateway reports it.
 */
export function verifyGlobalConfiguration(
  signed: unknown,
  options: {
    readonly anchors: readonly Buffer[]
    readonly instance: string
    readonly now: Date
    readonly held?: number
  },
): GlobalConfiguration {
  const invalid = (why: string): never => {
    throw new ExchangeError('MalformedGlobalConf', `global configuration refused: ${why}`)
  }
  const envelope = signed as Partial<SignedGlobalConfiguration> | null
  if (
    typeof envelope?.configuration !== 'string' ||
    envelope.signature?.algorithm !== 'ES256' ||
    typeof envelope.signature.certificate !== 'string' ||
    typeof envelope.signature.value !== 'string'
  )
    return invalid('not a signed global configuration')
  const certificate = Buffer.from(envelope.signature.certificate, 'base64')
  if (!options.anchors.some((anchor) => anchor.equals(certificate)))
    invalid('it is not signed by the anchor this gateway trusts')
  const bytes = Buffer.from(envelope.configuration, 'base64')
  const key = new X509Certificate(certificate).publicKey
  const good = (() => {
    try {
      return verify(
        'sha256',
        bytes,
        { key, dsaEncoding: 'ieee-p1363' },
        Buffer.from(envelope.signature.value, 'base64'),
      )
    } catch {
      return false
    }
  })()
  if (!good) invalid('the signature does not verify')
  let configuration: GlobalConfiguration
  try {
    configuration = JSON.parse(bytes.toString('utf8')) as GlobalConfiguration
  } catch {
    return invalid('its content is not JSON')
  }
  if (configuration.instance !== options.instance)
    invalid(`it is for instance ${configuration.instance}, not ${options.instance}`)
  if (!Number.isSafeInteger(configuration.version)) invalid('it has no version')
  if (options.held !== undefined && configuration.version < options.held)
    invalid(`version ${configuration.version} is older than the one held (${options.held})`)
  if (!(Date.parse(configuration.expiresAt) > options.now.getTime()))
    throw new ExchangeError(
      'OutdatedGlobalConf',
      `the global configuration expired at ${configuration.expiresAt}`,
    )
  return configuration
}

/** SHA-256 of a DER certificate, hex: how the configuration pins TLS certificates. */
export function certificatePin(der: Buffer): string {
  return createHash('sha256').update(der).digest('hex')
}
