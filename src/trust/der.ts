/**
 * The few hand-made DER pieces the ASN.1 schemas do not cover (a SET OF to sign, ESS ids), and
 * a bounded DER walker for where exact bytes matter or the schema parsers are too slow for a
 * hot path: the signed attributes of a CMS SignerInfo are verified over their original encoding
 * (RFC 5652 §5.4), and the parts of a certificate that OCSP and CMS match on (serial, issuer,
 * subject, key) are read in microseconds rather than a full parse.
 */

export function derTagged(tag: number, ...parts: Uint8Array[]): Buffer {
  const body = Buffer.concat(parts)
  return Buffer.concat([Buffer.from([tag]), derLength(body.length), body])
}

export function derLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length])
  const bytes: number[] = []
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256)
  return Buffer.from([0x80 | bytes.length, ...bytes])
}

/** DER SET OF: the elements sorted by their encodings (X.690 §11.6). */
export function derSetOf(elements: readonly Uint8Array[]): Buffer {
  const sorted = [...elements].map((element) => Buffer.from(element)).sort(Buffer.compare)
  return derTagged(0x31, ...sorted)
}

/** The content octets of an OBJECT IDENTIFIER. */
export function oidBody(oid: string): Buffer {
  const [first, second, ...rest] = oid.split('.').map(Number)
  const bytes: number[] = [first * 40 + second]
  for (const arc of rest) {
    const groups: number[] = []
    for (let value = arc; ; value = Math.floor(value / 128)) {
      groups.unshift(value % 128)
      if (value < 128) break
    }
    groups.forEach((group, index) => bytes.push(index < groups.length - 1 ? group | 0x80 : group))
  }
  return Buffer.from(bytes)
}

/** The whole DER (tag, length, content) of an OBJECT IDENTIFIER. */
export function oidDer(oid: string): Buffer {
  return derTagged(0x06, oidBody(oid))
}

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

export interface CertificateParts {
  /** The serial's INTEGER content octets. */
  readonly serial: Buffer
  /** The issuer and subject Names, DER. */
  readonly issuer: Buffer
  readonly subject: Buffer
  /** The subjectPublicKey BIT STRING's bits (without the unused-bits octet). */
  readonly publicKey: Buffer
}

/** Serial, issuer, subject and key of an X.509 certificate, read straight from its DER. */
export function certificatePartsOf(certificate: Uint8Array): CertificateParts {
  const bytes = Buffer.from(certificate.buffer, certificate.byteOffset, certificate.byteLength)
  const tbs = childrenOf(bytes, childrenOf(bytes, readTlv(bytes, 0))[0])
  const fields = tbs[0].tag === 0xa0 ? tbs.slice(1) : tbs
  const [serial, , issuer, , subject, spki] = fields
  if (spki === undefined || serial.tag !== 0x02) throw new TypeError('not a certificate')
  const key = childrenOf(bytes, spki)[1]
  return {
    serial: bytes.subarray(serial.contentStart, serial.end),
    issuer: bytes.subarray(issuer.start, issuer.end),
    subject: bytes.subarray(subject.start, subject.end),
    publicKey: bytes.subarray(key.contentStart + 1, key.end),
  }
}
