/**
 * A bounded DER walker for the few places where the exact bytes matter and the ASN.1 schemas
 * re-encode: the signed attributes of a CMS SignerInfo are verified over their original
 * encoding (RFC 5652 §5.4), which may not be what a re-serialisation produces.
 */

export interface Tlv {
  readonly tag: number
  /** Offset of the tag byte. */
  readonly start: number
  /** Offset of the first content byte. */
  readonly contentStart: number
  /** Offset just past the content. */
  readonly end: number
}

/** The TLV at `offset`; throws TypeError on anything truncated or indefinite-length. */
export function readTlv(bytes: Uint8Array, offset: number, limit = bytes.length): Tlv {
  if (offset + 2 > limit) throw new TypeError('truncated DER')
  const tag = bytes[offset]
  if ((tag & 0x1f) === 0x1f) throw new TypeError('multi-byte DER tags are not expected here')
  const first = bytes[offset + 1]
  let length = first
  let header = 2
  if (first & 0x80) {
    const count = first & 0x7f
    if (count === 0 || count > 4) throw new TypeError('unsupported DER length')
    if (offset + 2 + count > limit) throw new TypeError('truncated DER')
    length = 0
    for (let index = 0; index < count; index++) length = length * 256 + bytes[offset + 2 + index]
    header += count
  }
  const end = offset + header + length
  if (end > limit) throw new TypeError('truncated DER')
  return { tag, start: offset, contentStart: offset + header, end }
}

/** The direct children of a constructed TLV. */
export function childrenOf(bytes: Uint8Array, parent: Tlv): Tlv[] {
  const children: Tlv[] = []
  for (let offset = parent.contentStart; offset < parent.end;) {
    const child = readTlv(bytes, offset, parent.end)
    children.push(child)
    offset = child.end
  }
  return children
}

/** The dotted text of an OBJECT IDENTIFIER's content octets. */
export function oidText(body: Uint8Array): string {
  const parts = [Math.floor(body[0] / 40), body[0] % 40]
  let value = 0
  for (const byte of body.subarray(1)) {
    value = value * 128 + (byte & 0x7f)
    if ((byte & 0x80) === 0) {
      parts.push(value)
      value = 0
    }
  }
  return parts.join('.')
}

/** The whole DER (tag, length, content) of an OBJECT IDENTIFIER. */
export function oidDer(oid: string): Buffer {
  const parts = oid.split('.').map(Number)
  const bytes = [parts[0] * 40 + parts[1]]
  for (const part of parts.slice(2)) {
    const chunk = [part & 0x7f]
    for (let rest = Math.floor(part / 128); rest > 0; rest = Math.floor(rest / 128))
      chunk.unshift((rest & 0x7f) | 0x80)
    bytes.push(...chunk)
  }
  return Buffer.from([0x06, bytes.length, ...bytes])
}
