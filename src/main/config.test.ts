import { generateKeyPairSync } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { generateCosigner, generateSigner } from '../ledger/index.ts'
import { readConfig } from './config.ts'

const directory = mkdtempSync(join(tmpdir(), 'e-state-config-'))
afterAll(() => rmSync(directory, { recursive: true, force: true }))
const realKey = `prod-1:${Buffer.alloc(32, 7).toString('base64')}`
const ledgerKey = generateSigner('registry.example.gov/ledger').text
const witnessKey = generateCosigner('registry.example.gov/witness').text
const oidcKey = JSON.stringify(
  generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' }),
)

describe('configuration', () => {
  it('works with no settings at all in development, generating a master key outside the data folder', () => {
    const config = readConfig({ E_STATE_DATA_DIR: join(directory, 'dev', 'data') })
    expect(config.environment).toBe('development')
    expect(config.port).toBe(8080)
    expect(config.host).toBe('127.0.0.1')
    expect(config.databaseUrl).toBe(join(directory, 'dev', 'data', 'estate.db'))
    expect(config.masterKeys.current.key).toHaveLength(32)
    // The same key on the next start: it is kept, not regenerated.
    const again = readConfig({ E_STATE_DATA_DIR: join(directory, 'dev', 'data') })
    expect(Buffer.from(again.masterKeys.current.key)).toEqual(
      Buffer.from(config.masterKeys.current.key),
    )
  })

  it('refuses to run production without a master key', () => {
    expect(() =>
      readConfig({ E_STATE_ENV: 'production', E_STATE_DATA_DIR: join(directory, 'p1') }),
    ).toThrow(
      expect.objectContaining({
        code: 'CONFIG_INVALID',
        details: { variable: 'E_STATE_MASTER_KEY' },
      }),
    )
  })

  it('refuses to run production with a development key', () => {
    const dev = readConfig({ E_STATE_DATA_DIR: join(directory, 'p2', 'data') })
    const devText = `development-only:${dev.masterKeys.current.id}:${Buffer.from(dev.masterKeys.current.key).toString('base64')}`
    const file = join(directory, 'dev.key')
    writeFileSync(file, devText)
    expect(() => readConfig({ NODE_ENV: 'production', E_STATE_MASTER_KEY_FILE: file })).toThrow(
      /development master key/,
    )
  })

  it('runs production with a real key and keeps previous keys for rotation', () => {
    const config = readConfig({
      E_STATE_ENV: 'production',
      E_STATE_LEDGER_KEY: ledgerKey,
      E_STATE_WITNESS_KEY: witnessKey,
      E_STATE_OIDC_KEY: oidcKey,
      E_STATE_MASTER_KEY: realKey,
      E_STATE_MASTER_KEYS_PREVIOUS: `old-1:${Buffer.alloc(32, 1).toString('base64')}`,
    })
    expect(config.environment).toBe('production')
    expect(config.writeDevCredentials).toBe(false)
    expect(config.masterKeys.current.id).toBe('prod-1')
    expect(config.masterKeys.previous.map((key) => key.id)).toEqual(['old-1'])
    expect(config.ledger.origin).toBe('registry.example.gov/ledger')
  })

  it('refuses to run production without a witness, or with a development witness key', () => {
    const base = {
      E_STATE_ENV: 'production',
      E_STATE_LEDGER_KEY: ledgerKey,
      E_STATE_MASTER_KEY: realKey,
      E_STATE_OIDC_KEY: oidcKey,
    }
    expect(() => readConfig(base)).toThrow(
      expect.objectContaining({ details: { variable: 'E_STATE_WITNESS_KEY' } }),
    )
    expect(() =>
      readConfig({ ...base, E_STATE_WITNESS_KEY: `development-only:${witnessKey}` }),
    ).toThrow(/development witness key/)
    expect(() => readConfig({ ...base, E_STATE_WITNESSES: 'nonsense' })).toThrow(
      expect.objectContaining({ details: { variable: 'E_STATE_WITNESSES' } }),
    )
    const remote = generateCosigner('embassy.example/witness').cosigner.verifier.text
    const config = readConfig({
      ...base,
      E_STATE_WITNESSES: `${remote}@https://embassy.example/witness/`,
    })
    expect(config.witness).toMatchObject({
      key: undefined,
      remote: [{ verifierKey: remote, url: 'https://embassy.example/witness' }],
    })
  })

  it('refuses to run production without an OIDC key, or with a development or malformed one', () => {
    const base = {
      E_STATE_ENV: 'production',
      E_STATE_LEDGER_KEY: ledgerKey,
      E_STATE_MASTER_KEY: realKey,
      E_STATE_WITNESS_KEY: witnessKey,
    }
    for (const key of [undefined, `development-only:${oidcKey}`, '{"kty":"oct"}', 'not json']) {
      expect(() =>
        readConfig({ ...base, ...(key === undefined ? {} : { E_STATE_OIDC_KEY: key }) }),
      ).toThrow(expect.objectContaining({ details: { variable: 'E_STATE_OIDC_KEY' } }))
    }
  })

  it('refuses extra login CAs without OCSP in production', () => {
    expect(() =>
      readConfig({
        E_STATE_ENV: 'production',
        E_STATE_MASTER_KEY: realKey,
        E_STATE_WEBEID_CAS: '/some/test-ca.cer',
      }),
    ).toThrow(expect.objectContaining({ details: { variable: 'E_STATE_WEBEID_CAS' } }))
  })

  it('refuses to run production without a log signing key', () => {
    expect(() => readConfig({ E_STATE_ENV: 'production', E_STATE_MASTER_KEY: realKey })).toThrow(
      expect.objectContaining({ details: { variable: 'E_STATE_LEDGER_KEY' } }),
    )
  })

  it('names the variable that is wrong', () => {
    expect(() => readConfig({ E_STATE_MASTER_KEY: realKey, PORT: 'eighty' })).toThrow(
      expect.objectContaining({ details: { variable: 'PORT' } }),
    )
    expect(() => readConfig({ E_STATE_MASTER_KEY: 'short:AAAA' })).toThrow(
      expect.objectContaining({ details: { variable: 'E_STATE_MASTER_KEY' } }),
    )
    expect(() => readConfig({ E_STATE_MASTER_KEY: realKey, E_STATE_POPULATION: '5' })).toThrow(
      /E_STATE_POPULATION/,
    )
  })
  it("reads the node's gateway listener: off by default, an https address without a path", () => {
    const base = { E_STATE_MASTER_KEY: realKey }
    expect(readConfig(base).gateway).toBeUndefined()
    expect(readConfig({ ...base, E_STATE_GATEWAY_PORT: '8443' }).gateway).toEqual({
      port: 8443,
      address: 'https://127.0.0.1:8443',
    })
    expect(
      readConfig({
        ...base,
        E_STATE_GATEWAY_PORT: '8443',
        E_STATE_GATEWAY_URL: 'https://gw.example.ee/',
      }).gateway,
    ).toEqual({ port: 8443, address: 'https://gw.example.ee' })
    for (const wrong of [
      { E_STATE_GATEWAY_URL: 'https://gw.example.ee' },
      { E_STATE_GATEWAY_PORT: '8443', E_STATE_GATEWAY_URL: 'http://gw.example.ee' },
      { E_STATE_GATEWAY_PORT: '8443', E_STATE_GATEWAY_URL: 'https://gw.example.ee/x' },
    ])
      expect(() => readConfig({ ...base, ...wrong })).toThrow(
        expect.objectContaining({ details: { variable: 'E_STATE_GATEWAY_URL' } }),
      )
    expect(() => readConfig({ ...base, E_STATE_GATEWAY_PORT: '0' })).toThrow(
      expect.objectContaining({ details: { variable: 'E_STATE_GATEWAY_PORT' } }),
    )
  })
})
