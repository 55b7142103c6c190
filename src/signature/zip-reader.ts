/**
 * Reading a zip (PKWARE APPNOTE 6.3) for ASiC-E, with the checks a hostile file needs and the
 * speed a validation service needs: entries come from the central directory; each one's local
 * header must name the same file and lie inside the archive; sizes are checked against the
 * limits before anything is inflated; inflation is native (node:zlib) and stops at the declared
 * size (`maxOutputLength`), so a lying header cannot grow memory; every entry's CRC-32 is
 * verified. Stored and deflated entries only; no encryption, no ZIP64 (an ASiC-E container
 * needs neither).
 */
import { crc32, inflateRawSync } from 'node:zlib'

export interface ZipEntry {
  readonly name: string
  /** 0 stored, 8 deflated. */
  readonly method: number
  readonly compressedSize: number
  readonly size: number
  readonly localOffset: number
  readonly crc: number
  /** General-purpose flags (bit 3: sizes in a data descriptor after the data). */
  readonly flags: number
}

export class ZipError extends Error {
  readonly kind: 'malformed' | 'too-large'
  constructor(kind: 'malformed' | 'too-large', message: string) {
    super(message)
    this.kind = kind
  }
}

const EOCD = 0x06054b50
const CENTRAL = 0x02014b50
const LOCAL = 0x04034b50

/** The central directory's entries, in order. */
export function readZipDirectory(bytes: Buffer, maxEntries: number): ZipEntry[] {
  const fail = (why: string): never => {
    throw new ZipError('malformed', why)
  }
  // The end record is in the last 22 + 65535 bytes (its comment is at most 64 kB).
  let end = -1
  for (
    let offset = bytes.length - 22;
    offset >= Math.max(0, bytes.length - 22 - 65_535);
    offset--
  ) {
    if (bytes.readUInt32LE(offset) === EOCD) {
      end = offset
      break
    }
  }
  if (end < 0) fail('no end of central directory')
  const count = bytes.readUInt16LE(end + 10)
  const directorySize = bytes.readUInt32LE(end + 12)
  const directoryOffset = bytes.readUInt32LE(end + 16)
  if (count === 0xffff || directoryOffset === 0xffffffff) fail('ZIP64 is not used by ASiC-E')
  if (bytes.readUInt16LE(end + 4) !== 0 || bytes.readUInt16LE(end + 6) !== 0)
    fail('multi-disk archives are not supported')
  if (count > maxEntries) throw new ZipError('too-large', `more than ${maxEntries} entries`)
  if (directoryOffset + directorySize > end) fail('the central directory lies outside the file')
  const entries: ZipEntry[] = []
  let offset = directoryOffset
  for (let index = 0; index < count; index++) {
    if (offset + 46 > end || bytes.readUInt32LE(offset) !== CENTRAL)
      fail('a central directory entry is malformed')
    const flags = bytes.readUInt16LE(offset + 8)
    const method = bytes.readUInt16LE(offset + 10)
    const nameLength = bytes.readUInt16LE(offset + 28)
    const extraLength = bytes.readUInt16LE(offset + 30)
    const commentLength = bytes.readUInt16LE(offset + 32)
    if (flags & 0x1) fail('encrypted entries are not allowed')
    if (method !== 0 && method !== 8) fail(`compression method ${method} is not supported`)
    const nameEnd = offset + 46 + nameLength
    if (nameEnd > end) fail('a name runs past the directory')
    entries.push({
      name: bytes.toString('utf8', offset + 46, nameEnd),
      method,
      crc: bytes.readUInt32LE(offset + 16),
      compressedSize: bytes.readUInt32LE(offset + 20),
      size: bytes.readUInt32LE(offset + 24),
      localOffset: bytes.readUInt32LE(offset + 42),
      flags,
    })
    offset = nameEnd + extraLength + commentLength
  }
  if (offset !== directoryOffset + directorySize)
    fail('the central directory does not have the size it declares')
  assertContiguous(bytes, entries, directoryOffset, end, fail)
  return entries
}

/**
 * One reading for every reader: the entries' local records follow each other from the first
 * byte, with nothing between or hidden (a reader walking local headers would otherwise see
 * files the directory does not name), the directory follows them, and the end record, with its
 * comment, ends the file.
 */
function assertContiguous(
  bytes: Buffer,
  entries: readonly ZipEntry[],
  directoryOffset: number,
  end: number,
  fail: (why: string) => never,
): void {
  if (end + 22 + bytes.readUInt16LE(end + 20) !== bytes.length)
    fail('there is data after the end of the archive')
  let expected = 0
  for (const entry of [...entries].sort((a, b) => a.localOffset - b.localOffset)) {
    if (entry.localOffset !== expected) fail('there is data between the entries')
    if (entry.localOffset + 30 > directoryOffset) fail('an entry lies in the directory')
    const header =
      30 + bytes.readUInt16LE(entry.localOffset + 26) + bytes.readUInt16LE(entry.localOffset + 28)
    let next = entry.localOffset + header + entry.compressedSize
    if (entry.flags & 0x8)
      next += next + 4 <= bytes.length && bytes.readUInt32LE(next) === 0x08074b50 ? 16 : 12
    expected = next
  }
  if (expected !== directoryOffset) fail('there is data between the entries and the directory')
}

/** An entry's bytes: its local header checked against the directory, inflated, CRC verified. */
export function readZipEntry(bytes: Buffer, entry: ZipEntry): Buffer {
  const fail = (why: string): never => {
    throw new ZipError('malformed', `${entry.name}: ${why}`)
  }
  const at = entry.localOffset
  if (at + 30 > bytes.length || bytes.readUInt32LE(at) !== LOCAL) fail('no local header')
  const nameLength = bytes.readUInt16LE(at + 26)
  const extraLength = bytes.readUInt16LE(at + 28)
  if (bytes.toString('utf8', at + 30, at + 30 + nameLength) !== entry.name)
    fail('the local header names another file')
  if (bytes.readUInt16LE(at + 8) !== entry.method)
    fail('the local header differs from the directory')
  const start = at + 30 + nameLength + extraLength
  if (start + entry.compressedSize > bytes.length) fail('the data runs past the file')
  const data = bytes.subarray(start, start + entry.compressedSize)
  let content: Buffer
  if (entry.method === 0) {
    if (entry.compressedSize !== entry.size) fail('a stored entry has two sizes')
    content = data
  } else {
    try {
      content = inflateRawSync(data, { maxOutputLength: Math.max(entry.size, 1) })
    } catch {
      return fail('the compressed data is corrupt or larger than declared')
    }
  }
  if (content.length !== entry.size) fail('the data is not of its declared size')
  if (crc32(content) !== entry.crc) fail('the CRC-32 does not match (corrupt data)')
  return content
}
