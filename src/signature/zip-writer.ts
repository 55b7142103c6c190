/**
 * Writing a zip (PKWARE APPNOTE 6.3) for ASiC-E: entries in the order given (`mimetype` first
 * and stored, as EN 319 162-1 requires), UTF-8 names (flag bit 11), native deflate, sizes and
 * CRC-32 in the local headers (no data descriptors), no extra fields. No ZIP64: a container
 * above 4 GB is refused.
 */
import { crc32, deflateRawSync } from 'node:zlib'

export interface ZipInput {
  readonly name: string
  readonly bytes: Uint8Array
  /** Stored rather than deflated (mimetype must be). */
  readonly stored?: boolean
}

export function writeZip(inputs: readonly ZipInput[], modified = new Date()): Buffer {
  const time =
    (modified.getHours() << 11) |
    (modified.getMinutes() << 5) |
    Math.floor(modified.getSeconds() / 2)
  const date =
    ((Math.max(modified.getFullYear(), 1980) - 1980) << 9) |
    ((modified.getMonth() + 1) << 5) |
    modified.getDate()
  const parts: Buffer[] = []
  const central: Buffer[] = []
  let offset = 0
  for (const input of inputs) {
    const name = Buffer.from(input.name, 'utf8')
    const data =
      input.stored === true ? Buffer.from(input.bytes) : deflateRawSync(input.bytes, { level: 6 })
    if (input.bytes.length > 0xffffffff || offset + data.length > 0xffffffff)
      throw new RangeError('a container above 4 GB needs ZIP64, which ASiC-E does not use')
    const method = input.stored === true ? 0 : 8
    const crc = crc32(input.bytes)
    const header = Buffer.alloc(30)
    header.writeUInt32LE(0x04034b50, 0)
    header.writeUInt16LE(20, 4)
    header.writeUInt16LE(0x0800, 6)
    header.writeUInt16LE(method, 8)
    header.writeUInt16LE(time, 10)
    header.writeUInt16LE(date, 12)
    header.writeUInt32LE(crc, 14)
    header.writeUInt32LE(data.length, 18)
    header.writeUInt32LE(input.bytes.length, 22)
    header.writeUInt16LE(name.length, 26)
    header.writeUInt16LE(0, 28)
    const entry = Buffer.alloc(46)
    entry.writeUInt32LE(0x02014b50, 0)
    entry.writeUInt16LE(20, 4)
    entry.writeUInt16LE(20, 6)
    entry.writeUInt16LE(0x0800, 8)
    entry.writeUInt16LE(method, 10)
    entry.writeUInt16LE(time, 12)
    entry.writeUInt16LE(date, 14)
    entry.writeUInt32LE(crc, 16)
    entry.writeUInt32LE(data.length, 20)
    entry.writeUInt32LE(input.bytes.length, 24)
    entry.writeUInt16LE(name.length, 28)
    entry.writeUInt32LE(offset, 42)
    parts.push(header, name, data)
    central.push(entry, name)
    offset += header.length + name.length + data.length
  }
  const directory = Buffer.concat(central)
  const end = Buffer.alloc(22)
  end.writeUInt32LE(0x06054b50, 0)
  end.writeUInt16LE(inputs.length, 8)
  end.writeUInt16LE(inputs.length, 10)
  end.writeUInt32LE(directory.length, 12)
  end.writeUInt32LE(offset, 16)
  return Buffer.concat([...parts, directory, end])
}
