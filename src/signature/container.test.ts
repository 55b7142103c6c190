/**
 * Containers and XML from elsewhere (shared/vectors/asice, from libdigidocpp's tests): what must
 * open opens, what must be refused is refused with a named reason, hostile XML is refused fast
 * and small without reading any file; plus zip bombs, duplicates and non-zips of our own making.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { zipSync } from 'fflate'
import { describe, expect, it } from 'vitest'
import { openContainer } from './container.ts'
import { parseXml } from './xml.ts'

const VECTORS = join(import.meta.dirname, '../../../shared/vectors/asice')
const vector = (name: string) => readFileSync(join(VECTORS, name))
const code = (action: () => unknown) => {
  try {
    action()
    return 'OPENED'
  } catch (error) {
    return (error as { code?: string }).code ?? String(error)
  }
}

const MANIFEST = (names: string[]) =>
  `<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.etsi.asic-e+zip"/>${names.map((name) => `<manifest:file-entry manifest:full-path="${name}" manifest:media-type="text/plain"/>`).join('')}</manifest:manifest>`

describe('ASiC-E containers', () => {
  it('opens the unsigned and the signed test containers, with their documents', () => {
    const unsigned = openContainer(vector('test.asice'))
    expect(unsigned.documents.map((document) => document.name)).toEqual(['test1.txt'])
    const nested = openContainer(vector('asice-path.asice'))
    expect(nested.documents.map((document) => document.name)).toEqual(['folder/test1.txt'])
    const forged = openContainer(vector('forged_lt.asice'))
    expect(forged.signatures).toHaveLength(1)
  })

  it('refuses a relative path, a "." name and an empty path', () => {
    expect(code(() => openContainer(vector('asice-relative.asice')))).toBe('CONTAINER_UNSAFE_PATH')
    expect(code(() => openContainer(vector('dot.asice')))).toBe('CONTAINER_UNSAFE_PATH')
    expect(code(() => openContainer(vector('pt-empty.asice')))).toBe('CONTAINER_UNSAFE_PATH')
  })

  it('refuses non-zips, a wrong or compressed mimetype, manifest mismatches and zip bombs', () => {
    const mimetype = Buffer.from('application/vnd.etsi.asic-e+zip')
    const build = (files: Record<string, [Uint8Array, number]>) =>
      zipSync(
        Object.fromEntries(
          Object.entries(files).map(([name, [data, level]]) => [
            name,
            [data, { level: level as 0 }],
          ]),
        ),
      )
    const good = {
      mimetype: [mimetype, 0] as [Uint8Array, number],
      'META-INF/manifest.xml': [Buffer.from(MANIFEST(['a.txt'])), 6] as [Uint8Array, number],
      'a.txt': [Buffer.from('hello'), 6] as [Uint8Array, number],
    }
    expect(openContainer(build(good)).documents[0].bytes.toString()).toBe('hello')
    expect(code(() => openContainer(Buffer.from('not a zip at all')))).toBe('CONTAINER_NOT_ZIP')
    expect(code(() => openContainer(vector('test.asice').subarray(0, 400)))).toBe(
      'CONTAINER_NOT_ZIP',
    )
    expect(code(() => openContainer(build({ ...good, mimetype: [mimetype, 6] })))).toBe(
      'CONTAINER_MIMETYPE',
    )
    expect(
      code(() => openContainer(build({ ...good, mimetype: [Buffer.from('text/plain'), 0] }))),
    ).toBe('CONTAINER_MIMETYPE')
    // mimetype present but not first.
    const later = build({
      'a.txt': good['a.txt'],
      mimetype: good.mimetype,
      'META-INF/manifest.xml': good['META-INF/manifest.xml'],
    })
    expect(code(() => openContainer(later))).toBe('CONTAINER_MIMETYPE')
    expect(code(() => openContainer(build({ ...good, 'b.txt': [Buffer.from('x'), 6] })))).toBe(
      'CONTAINER_MANIFEST',
    )
    expect(
      code(() =>
        openContainer(
          build({
            ...good,
            'META-INF/manifest.xml': [Buffer.from(MANIFEST(['a.txt', 'c.txt'])), 6],
          }),
        ),
      ),
    ).toBe('CONTAINER_MANIFEST')
    // 64 MB of zeros compresses a thousandfold: refused from its declared size, never inflated.
    const bomb = build({ ...good, 'a.txt': [new Uint8Array(64 * 1024 * 1024), 9] })
    expect(bomb.length).toBeLessThan(200_000)
    const started = performance.now()
    expect(code(() => openContainer(bomb))).toBe('CONTAINER_TOO_LARGE')
    expect(performance.now() - started).toBeLessThan(5_000)
    // Forty entries of 512 kB of zeros, each under the per-entry check: the whole is one bomb.
    const scattered = build({
      ...good,
      ...Object.fromEntries(
        Array.from({ length: 40 }, (_, index) => [
          `part-${index}.txt`,
          [new Uint8Array(512 * 1024), 9] as [Uint8Array, number],
        ]),
      ),
    })
    expect(scattered.length).toBeLessThan(200_000)
    expect(code(() => openContainer(scattered))).toBe('CONTAINER_TOO_LARGE')
  })

  it('refuses XML bombs and external entities without reading anything', () => {
    for (const name of ['xml-bomb-attr.xml', 'xml-bomb-cont.xml']) {
      expect(code(() => parseXml(vector(name).toString('utf8')))).toBe('XML_FORBIDDEN')
    }
    const xxe = `<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file://${join(VECTORS, 'xxe-sentinel.txt')}">]><d>&x;</d>`
    expect(code(() => parseXml(xxe))).toBe('XML_FORBIDDEN')
    expect(code(() => parseXml('<a><b></a>'))).toBe('XML_MALFORMED')
    // Deep nesting and element floods are refused before the DOM parser sees them.
    expect(code(() => parseXml('<a>'.repeat(500_000) + '</a>'.repeat(500_000)))).toBe(
      'XML_FORBIDDEN',
    )
    expect(code(() => parseXml(`<a>${'<b x=">"/>'.repeat(60_000)}</a>`))).toBe('XML_FORBIDDEN')
    expect(
      parseXml(`<a>${'<b x=">"/>'.repeat(100)}<!-- <c><c><c> --></a>`).documentElement?.nodeName,
    ).toBe('a')
    expect(parseXml('<a><b/></a>').documentElement?.nodeName).toBe('a')
  })
})
