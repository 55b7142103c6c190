/**
 * The zip reader against files made to mislead it: corrupt data (CRC), a local header naming
 * another file than the directory, a declared size smaller than the data, truncation, an entry
 * named `__proto__`, a lying size on a stored entry.
 */
import { crc32 } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { openContainer, writeContainer } from './container.ts'
import { readZipDirectory, readZipEntry } from './zip-reader.ts'

const DOCUMENT = Buffer.from('The quick brown fox jumps over the lazy dog. '.repeat(200))
const container = () =>
  writeContainer([{ name: 'fox.txt', mediaType: 'text/plain', bytes: DOCUMENT }])
const code = (action: () => unknown) => {
  try {
    action()
    return 'OPENED'
  } catch (error) {
    return (error as { code?: string }).code
  }
}
/** Offset of the central directory entry and local header of `name`. */
function offsets(zip: Buffer, name: string) {
  const entry = readZipDirectory(zip, 10).find((candidate) => candidate.name === name)
  if (entry === undefined) throw new Error(`no ${name}`)
  const central = zip.indexOf(Buffer.concat([Buffer.from([0x50, 0x4b, 0x01, 0x02])]), 0)
  let at = central
  while (zip.toString('utf8', at + 46, at + 46 + zip.readUInt16LE(at + 28)) !== name)
    at = zip.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]), at + 4)
  return { entry, central: at, local: entry.localOffset }
}

describe('zip reader', () => {
  it('reads what e-state writes, CRC checked', () => {
    const zip = container()
    const { entry } = offsets(zip, 'fox.txt')
    expect(entry.method).toBe(8)
    expect(readZipEntry(zip, entry).equals(DOCUMENT)).toBe(true)
    expect(entry.crc).toBe(crc32(DOCUMENT))
  })

  it('refuses corrupt data: a changed byte inside the deflate stream or a wrong CRC', () => {
    const zip = container()
    const { entry, central } = offsets(zip, 'fox.txt')
    const corrupt = Buffer.from(zip)
    corrupt.writeUInt32LE((entry.crc ^ 1) >>> 0, central + 16)
    expect(code(() => openContainer(corrupt))).toBe('CONTAINER_NOT_ZIP')
    const flipped = Buffer.from(zip)
    const data = entry.localOffset + 30 + 'fox.txt'.length + 10
    flipped[data] ^= 0xff
    expect(code(() => openContainer(flipped))).toBe('CONTAINER_NOT_ZIP')
  })

  it('refuses a local header naming another file, and data larger than declared', () => {
    const zip = container()
    const { local, central } = offsets(zip, 'fox.txt')
    const renamed = Buffer.from(zip)
    renamed.write('box', local + 30)
    expect(code(() => openContainer(renamed))).toBe('CONTAINER_NOT_ZIP')
    const smaller = Buffer.from(zip)
    smaller.writeUInt32LE(100, central + 24)
    expect(code(() => openContainer(smaller))).toBe('CONTAINER_NOT_ZIP')
  })

  it('refuses truncated files and keeps an entry named __proto__ a name', () => {
    const zip = container()
    for (const length of [10, 200, zip.length - 30])
      expect(code(() => openContainer(zip.subarray(0, length)))).toBe('CONTAINER_NOT_ZIP')
    const proto = writeContainer([
      { name: '__proto__', mediaType: 'text/plain', bytes: Buffer.from('x') },
    ])
    const opened = openContainer(proto)
    expect(opened.documents.map((document) => document.name)).toEqual(['__proto__'])
    expect(({} as Record<string, unknown>).bytes).toBeUndefined()
  })

  it('refuses a local entry the directory does not name, and data after the end', () => {
    const zip = container()
    const directory = zip.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]))
    // A hidden local record just before the directory (a sequential reader would see it).
    const hidden = Buffer.concat([
      Buffer.from([0x50, 0x4b, 0x03, 0x04]),
      Buffer.alloc(26),
      Buffer.from('x'),
    ])
    const smuggled = Buffer.concat([zip.subarray(0, directory), hidden, zip.subarray(directory)])
    const end = smuggled.length - 22
    smuggled.writeUInt32LE(smuggled.readUInt32LE(end + 16) + hidden.length, end + 16)
    expect(code(() => openContainer(smuggled))).toBe('CONTAINER_NOT_ZIP')
    expect(code(() => openContainer(Buffer.concat([zip, Buffer.from('trailing')])))).toBe(
      'CONTAINER_NOT_ZIP',
    )
  })
})
