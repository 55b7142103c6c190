/**
 * Opening an ASiC-E container (ETSI EN 319 162-1) safely, before any signature is looked at: a
 * zip whose first entry is `mimetype`, stored uncompressed, saying
 * `application/vnd.etsi.asic-e+zip`; `META-INF/manifest.xml` listing exactly the documents;
 * only safe names (no `..`, no absolute paths, no `.` or empty names, no duplicates); and
 * bounded sizes — a zip bomb is refused from the sizes its directory declares, before anything
 * is inflated.
 */
import { SignatureError } from './errors.ts'
import { parseXml } from './xml.ts'
import { readZipDirectory, readZipEntry, ZipError } from './zip-reader.ts'
import { writeZip } from './zip-writer.ts'

export const ASICE_MIMETYPE = 'application/vnd.etsi.asic-e+zip'
const MANIFEST_NS = 'urn:oasis:names:tc:opendocument:xmlns:manifest:1.0'

export interface ContainerLimits {
  /** Uncompressed bytes, all entries together. */
  readonly totalBytes: number
  readonly entries: number
  /** Uncompressed ÷ compressed, above which an entry is a bomb. */
  readonly ratio: number
}

export const DEFAULT_LIMITS: ContainerLimits = {
  totalBytes: 256 * 1024 * 1024,
  entries: 1000,
  ratio: 200,
}

export interface ContainerDocument {
  readonly name: string
  readonly mediaType: string
  readonly bytes: Buffer
}

export interface OpenedContainer {
  readonly documents: ContainerDocument[]
  /** `META-INF/*signatures*.xml`, as text and as stored. */
  readonly signatures: { readonly name: string; readonly xml: string; readonly bytes: Buffer }[]
}

export function openContainer(
  bytes: Uint8Array,
  limits: ContainerLimits = DEFAULT_LIMITS,
): OpenedContainer {
  if (
    bytes.length < 4 ||
    bytes[0] !== 0x50 ||
    bytes[1] !== 0x4b ||
    bytes[2] !== 0x03 ||
    bytes[3] !== 0x04
  )
    throw new SignatureError('CONTAINER_NOT_ZIP', 'not a zip file (an ASiC-E container is one)')
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  // A Map, not an object: an entry named __proto__ must stay a name.
  const files = new Map<string, Buffer>()
  try {
    const entries = readZipDirectory(buffer, limits.entries)
    const seen = new Set<string>()
    let total = 0
    let compressed = 0
    for (const entry of entries) {
      if (seen.has(entry.name))
        throw new SignatureError(
          'CONTAINER_DUPLICATE_ENTRY',
          `the container holds ${entry.name} twice`,
        )
      seen.add(entry.name)
      total += entry.size
      if (total > limits.totalBytes)
        throw new SignatureError('CONTAINER_TOO_LARGE', 'the container unpacks to too much data')
      if (entry.size > 1024 * 1024 && entry.size > entry.compressedSize * limits.ratio)
        throw new SignatureError(
          'CONTAINER_TOO_LARGE',
          `${entry.name} is compressed suspiciously well (a zip bomb?)`,
        )
      assertSafePath(entry.name.endsWith('/') ? entry.name.slice(0, -1) : entry.name)
      compressed += entry.compressedSize
    }
    // Many small entries each under the per-entry check can still add up to a bomb: the whole
    // container is held to the same ratio once it unpacks to more than 1 MB.
    if (total > 1024 * 1024 && total > compressed * limits.ratio)
      throw new SignatureError(
        'CONTAINER_TOO_LARGE',
        'the container is compressed suspiciously well (a zip bomb?)',
      )
    const first = entries[0]
    if (first?.name !== 'mimetype' || first.method !== 0 || first.localOffset !== 0)
      throw new SignatureError(
        'CONTAINER_MIMETYPE',
        'the first entry must be "mimetype", stored uncompressed',
      )
    for (const entry of entries)
      if (!entry.name.endsWith('/')) files.set(entry.name, readZipEntry(buffer, entry))
  } catch (error) {
    if (error instanceof SignatureError) throw error
    if (error instanceof ZipError && error.kind === 'too-large')
      throw new SignatureError('CONTAINER_TOO_LARGE', error.message)
    throw new SignatureError(
      'CONTAINER_NOT_ZIP',
      `the zip cannot be read: ${(error as Error).message}`,
    )
  }
  if ((files.get('mimetype') as Buffer).toString('latin1') !== ASICE_MIMETYPE)
    throw new SignatureError('CONTAINER_MIMETYPE', `mimetype must say ${ASICE_MIMETYPE}`)
  const manifestBytes = files.get('META-INF/manifest.xml')
  if (manifestBytes === undefined)
    throw new SignatureError('CONTAINER_MANIFEST', 'META-INF/manifest.xml is missing')
  const listed = readManifest(Buffer.from(manifestBytes).toString('utf8'))
  const documents: ContainerDocument[] = []
  const signatures: { name: string; xml: string; bytes: Buffer }[] = []
  for (const [name, content] of files) {
    if (name === 'mimetype' || name.endsWith('/')) continue
    if (name.startsWith('META-INF/')) {
      if (/^META-INF\/[^/]*signatures[^/]*\.xml$/.test(name))
        signatures.push({
          name,
          xml: content.toString('utf8'),
          bytes: content,
        })
      continue
    }
    const mediaType = listed.get(name)
    if (mediaType === undefined)
      throw new SignatureError(
        'CONTAINER_MANIFEST',
        `${name} is in the container but not in the manifest`,
      )
    documents.push({ name, mediaType, bytes: content })
  }
  for (const name of listed.keys()) {
    if (!documents.some((document) => document.name === name))
      throw new SignatureError(
        'CONTAINER_MANIFEST',
        `the manifest lists ${name}, which is not in the container`,
      )
  }
  return { documents, signatures }
}

/** The manifest's documents (full path → media type), each with a safe path. */
function readManifest(text: string): Map<string, string> {
  const document = parseXml(text)
  const entries = document.getElementsByTagNameNS(MANIFEST_NS, 'file-entry')
  const listed = new Map<string, string>()
  for (let index = 0; index < entries.length; index++) {
    const entry = entries.item(index)
    const path = entry?.getAttributeNS(MANIFEST_NS, 'full-path')
    const mediaType = entry?.getAttributeNS(MANIFEST_NS, 'media-type') ?? ''
    if (path === null || path === undefined)
      throw new SignatureError('CONTAINER_MANIFEST', 'a manifest entry has no full-path')
    if (path === '/') {
      if (mediaType !== ASICE_MIMETYPE)
        throw new SignatureError(
          'CONTAINER_MANIFEST',
          `the manifest's root must be ${ASICE_MIMETYPE}`,
        )
      continue
    }
    assertSafePath(path)
    if (listed.has(path))
      throw new SignatureError('CONTAINER_DUPLICATE_ENTRY', `the manifest lists ${path} twice`)
    listed.set(path, mediaType)
  }
  return listed
}

/** Relative, forward slashes, no `.`, `..` or empty segments, no control characters. */
export function assertSafePath(path: string): void {
  const unsafe =
    path === '' ||
    path.length > 1024 ||
    path.startsWith('/') ||
    // eslint-disable-next-line no-control-regex
    /[\\\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/.test(path) ||
    /^[A-Za-z]:/.test(path) ||
    path.split('/').some((segment) => segment === '' || segment === '.' || segment === '..')
  if (unsafe)
    throw new SignatureError(
      'CONTAINER_UNSAFE_PATH',
      `unsafe name in the container: ${JSON.stringify(path.slice(0, 100))}`,
    )
}

/**
 * An ASiC-E container of `documents` and signature files: `mimetype` first and stored, then the
 * manifest, the documents (deflated) and the signatures as given, byte for byte.
 */
export function writeContainer(
  documents: readonly ContainerDocument[],
  signatures: readonly { readonly name: string; readonly bytes: Uint8Array }[] = [],
): Buffer {
  for (const document of documents) assertSafePath(document.name)
  const manifest =
    `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n` +
    `<manifest:manifest xmlns:manifest="${MANIFEST_NS}" manifest:version="1.2">` +
    `<manifest:file-entry manifest:full-path="/" manifest:media-type="${ASICE_MIMETYPE}"/>` +
    documents
      .map(
        (document) =>
          `<manifest:file-entry manifest:full-path="${xmlAttribute(document.name)}" manifest:media-type="${xmlAttribute(document.mediaType)}"/>`,
      )
      .join('') +
    `</manifest:manifest>`
  return writeZip([
    { name: 'mimetype', bytes: Buffer.from(ASICE_MIMETYPE), stored: true },
    { name: 'META-INF/manifest.xml', bytes: Buffer.from(manifest) },
    ...documents.map((document) => ({ name: document.name, bytes: document.bytes })),
    ...signatures.map((signature) => ({ name: signature.name, bytes: signature.bytes })),
  ])
}

/** The next free `META-INF/signaturesN.xml` name. */
export function nextSignatureName(existing: readonly { readonly name: string }[]): string {
  let index = 0
  while (existing.some((signature) => signature.name === `META-INF/signatures${index}.xml`)) index++
  return `META-INF/signatures${index}.xml`
}

function xmlAttribute(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/"/g, '&quot;')
    .replace(/\t/g, '&#x9;')
    .replace(/\n/g, '&#xA;')
    .replace(/\r/g, '&#xD;')
}
