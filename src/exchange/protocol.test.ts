/**
 * The pieces of the protocol on their own: the request line (identifiers, decoding once, path
 * normalisation), access-right patterns, and the signed global configuration (anchor,
 * tampering, rollback, expiry, another instance).
 */
import { generateKeyPairSync } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { issueCertificate, keySigner, OID } from '../trust/index.ts'
import { isAllowed, pathMatches, validPathPattern } from './access-rights.ts'
import {
  signGlobalConfiguration,
  verifyGlobalConfiguration,
  type GlobalConfiguration,
} from './global-conf.ts'
import { parseClientHeader, parseRequestPath } from './request-path.ts'

const typeOf = (action: () => unknown) => {
  try {
    action()
    return 'OK'
  } catch (error) {
    return (error as { type?: string }).type ?? String(error)
  }
}

describe('the request line', () => {
  it('parses the service and normalises the path, decoding each part once', () => {
    const parsed = parseRequestPath('/r1/EE/GOV/70000013/rr/population/persons/a%20b//c?x=%2F&y=1')
    expect(parsed.service).toEqual({
      instance: 'EE',
      memberClass: 'GOV',
      memberCode: '70000013',
      subsystem: 'rr',
      serviceCode: 'population',
    })
    expect(parsed.path).toBe('/persons/a b/c')
    expect(parsed.encodedPath).toBe('/persons/a%20b/c')
    expect(parsed.query).toBe('x=%2F&y=1')
    // %252e decodes once to "%2e", a literal segment, not "."
    expect(parseRequestPath('/r1/EE/GOV/1/s/svc/%252e').path).toBe('/%2e')
  })

  it('refuses traversal, encoded separators, bad identifiers and bad encoding', () => {
    for (const url of [
      '/r1/EE/GOV/1/s/svc/../other',
      '/r1/EE/GOV/1/s/svc/%2e%2e/other',
      '/r1/EE/GOV/1/s/svc/a%2Fb',
      '/r1/EE/GOV/1/s/svc/a%5Cb',
      '/r1/EE/GOV/1/s/svc/%E0%A4%A',
    ])
      expect(typeOf(() => parseRequestPath(url))).toBe('InvalidRequest')
    for (const url of [
      '/r1/EE/GOV/1/s',
      '/r1/EE/GOV/1%3A2/s/svc',
      '/r1/EE/GOV/1%2F2/s/svc',
      '/r1/EE/GOV/%20/s/svc',
      '/r1/EE/GOV/../s/svc',
      `/r1/EE/GOV/${'x'.repeat(256)}/s/svc`,
    ])
      expect(typeOf(() => parseRequestPath(url))).toBe('InvalidRequest')
    expect(typeOf(() => parseRequestPath('/r2/EE/GOV/1/s/svc'))).toBe('InvalidRequest')
    expect(typeOf(() => parseClientHeader('EE/GOV/1'))).toBe('InvalidClientIdentifier')
    expect(typeOf(() => parseClientHeader('EE/GOV/1/a;b'))).toBe('InvalidClientIdentifier')
    expect(parseClientHeader('EE/GOV/1/app%2Done')).toBe('EE/GOV/1/app-one')
    expect(typeOf(() => parseClientHeader('EE/GOV/1/app%20one'))).toBe('InvalidClientIdentifier')
  })
})

describe('access-right patterns', () => {
  it('match literals, one segment for *, the rest for a final **', () => {
    expect(pathMatches('/persons/*', '/persons/1')).toBe(true)
    expect(pathMatches('/persons/*', '/persons/1/children')).toBe(false)
    expect(pathMatches('/persons/*', '/persons')).toBe(false)
    expect(pathMatches('/persons/**', '/persons')).toBe(true)
    expect(pathMatches('/persons/**', '/persons/1/children')).toBe(true)
    expect(pathMatches('/**', '/')).toBe(true)
    expect(pathMatches('/persons', '/personsX')).toBe(false)
    expect(validPathPattern('/a/**/b')).toBe(false)
    expect(validPathPattern('/a/../b')).toBe(false)
    expect(validPathPattern('a/b')).toBe(false)
    expect(validPathPattern('/a/*/b/**')).toBe(true)
  })

  it('deny by default, and allow through a group', () => {
    const rights = [
      { service: 'S', client: 'EE/GOV/1/app', method: 'GET', path: '/persons/*' },
      { service: 'S', client: 'group:police', method: '*', path: '/**' },
    ]
    const request = {
      service: 'S',
      client: 'EE/GOV/1/app',
      groups: [],
      method: 'GET',
      path: '/persons/7',
    }
    expect(isAllowed(rights, request)).toBe(true)
    expect(isAllowed(rights, { ...request, method: 'POST' })).toBe(false)
    expect(isAllowed(rights, { ...request, service: 'T' })).toBe(false)
    expect(isAllowed(rights, { ...request, client: 'EE/GOV/2/app' })).toBe(false)
    expect(
      isAllowed(rights, {
        ...request,
        client: 'EE/GOV/2/app',
        groups: ['police'],
        method: 'DELETE',
      }),
    ).toBe(true)
    expect(isAllowed([], request)).toBe(false)
  })
})

describe('the global configuration', () => {
  it('verifies against its anchor, and refuses tampering, rollback, expiry and another instance', async () => {
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    const certificate = await issueCertificate({
      subject: [[OID.commonName, 'central']],
      publicKey: pair.publicKey,
      serial: Buffer.from([9]),
      notBefore: new Date('2026-01-01'),
      notAfter: new Date('2030-01-01'),
      profile: { keyUsage: ['digitalSignature'] },
      signer: keySigner(pair.privateKey),
    })
    const now = new Date('2026-11-25T12:00:00Z')
    const configuration: GlobalConfiguration = {
      instance: 'EE',
      version: 5,
      generatedAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + 3_600_000).toISOString(),
      sources: ['https://central.example/exchange/globalconf'],
      members: [],
      subsystems: [],
      gateways: [],
      groups: [],
      trustAnchors: [],
    }
    const signed = signGlobalConfiguration(configuration, pair.privateKey, certificate)
    const options = { anchors: [certificate], instance: 'EE', now }
    expect(verifyGlobalConfiguration(signed, options).version).toBe(5)
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey
    const forged = signGlobalConfiguration({ ...configuration, version: 6 }, other, certificate)
    expect(typeOf(() => verifyGlobalConfiguration(forged, options))).toBe('MalformedGlobalConf')
    const changed = {
      ...signed,
      configuration: Buffer.from(
        JSON.stringify({
          ...configuration,
          members: [{ id: 'x', name: 'x', signingCertificates: [] }],
        }),
      ).toString('base64'),
    }
    expect(typeOf(() => verifyGlobalConfiguration(changed, options))).toBe('MalformedGlobalConf')
    expect(typeOf(() => verifyGlobalConfiguration(signed, { ...options, anchors: [] }))).toBe(
      'MalformedGlobalConf',
    )
    expect(typeOf(() => verifyGlobalConfiguration(signed, { ...options, held: 6 }))).toBe(
      'MalformedGlobalConf',
    )
    expect(typeOf(() => verifyGlobalConfiguration(signed, { ...options, instance: 'FI' }))).toBe(
      'MalformedGlobalConf',
    )
    expect(
      typeOf(() =>
        verifyGlobalConfiguration(signed, { ...options, now: new Date(now.getTime() + 7_200_000) }),
      ),
    ).toBe('OutdatedGlobalConf')
    expect(typeOf(() => verifyGlobalConfiguration({ nonsense: true }, options))).toBe(
      'MalformedGlobalConf',
    )
    expect(typeOf(() => verifyGlobalConfiguration(null, options))).toBe('MalformedGlobalConf')
  })
})
