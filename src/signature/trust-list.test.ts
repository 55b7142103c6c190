/** Trust lists from a folder or a JSON file, and what a bad one says. */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { X509Certificate } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { loadTrustList } from './trust-list.ts'

const VECTORS = join(import.meta.dirname, '../../../shared/vectors/asice')
const ca = readFileSync(join(VECTORS, 'ca.crt'))
const inter = readFileSync(join(VECTORS, 'inter.crt'))
const pem = (der: Buffer) =>
  der.toString('latin1').includes('-----BEGIN')
    ? der.toString('latin1')
    : new X509Certificate(der).toString()
const work = mkdtempSync(join(tmpdir(), 'estate-trust-'))
afterAll(() => rmSync(work, { recursive: true, force: true }))

const code = (action: () => unknown) => {
  try {
    action()
    return 'LOADED'
  } catch (error) {
    return (error as { code?: string }).code
  }
}

describe('trust lists', () => {
  it('reads a folder: ca/ with two certificates in one PEM file, tsa/ and ocsp/', () => {
    const folder = join(work, 'folder')
    for (const sub of ['ca', 'tsa', 'ocsp']) mkdirSync(join(folder, sub), { recursive: true })
    writeFileSync(join(folder, 'ca', 'estonia.pem'), pem(ca) + pem(inter))
    writeFileSync(join(folder, 'tsa', 'tsa.crt'), ca)
    writeFileSync(join(folder, 'README.txt'), 'ignored')
    const list = loadTrustList(folder)
    expect(list.cas.map((entry) => entry.x509.subject)).toEqual([
      new X509Certificate(ca).subject,
      new X509Certificate(inter).subject,
    ])
    expect(list.tsas).toHaveLength(1)
    expect(list.ocspResponders).toHaveLength(0)
  })

  it('reads a JSON file with relative paths and inline PEM, and the qualified CAs', () => {
    writeFileSync(join(work, 'ca.der'), ca)
    const file = join(work, 'trust.json')
    writeFileSync(file, JSON.stringify({ ca: ['ca.der', pem(inter)], qualified: ['ca.der'] }))
    const list = loadTrustList(file)
    expect(list.cas).toHaveLength(2)
    expect(list.qualified.has(list.cas[0].fingerprint)).toBe(true)
    expect(list.qualified.has(list.cas[1].fingerprint)).toBe(false)
  })

  it('refuses a missing path, an empty CA list, a non-certificate and bad JSON', () => {
    expect(code(() => loadTrustList(join(work, 'nowhere')))).toBe('TRUST_CONFIG')
    mkdirSync(join(work, 'empty', 'ca'), { recursive: true })
    expect(code(() => loadTrustList(join(work, 'empty')))).toBe('TRUST_CONFIG')
    writeFileSync(join(work, 'junk.json'), JSON.stringify({ ca: [pem(ca).replace('MII', 'XXX')] }))
    expect(code(() => loadTrustList(join(work, 'junk.json')))).toBe('TRUST_CONFIG')
    writeFileSync(join(work, 'bad.json'), '{ca:')
    expect(code(() => loadTrustList(join(work, 'bad.json')))).toBe('TRUST_CONFIG')
    writeFileSync(join(work, 'gone.json'), JSON.stringify({ ca: ['missing.pem'] }))
    expect(code(() => loadTrustList(join(work, 'gone.json')))).toBe('TRUST_CONFIG')
    writeFileSync(join(work, 'shape.json'), JSON.stringify({ ca: 'ca.der' }))
    expect(code(() => loadTrustList(join(work, 'shape.json')))).toBe('TRUST_CONFIG')
  })
})
