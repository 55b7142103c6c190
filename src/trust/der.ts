/** The few hand-made DER pieces the ASN.1 schemas do not cover (a SET OF to sign, ESS ids). */

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
