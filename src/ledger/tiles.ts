/**
 * C2SP tlog-tiles (https://c2sp.org/tlog-tiles): the log as immutable files. A hash tile at
 * level L holds up to 256 hashes of subtrees of height 8·L; an entry bundle holds up to 256
 * entries, each as a big-endian uint16 length and the bytes. A tile that is not yet full is
 * published as `<path>.p/<width>`, one file per width, so every file ever served stays valid.
 */
import { LedgerError } from './errors.ts'
import { rootHash } from './merkle.ts'

export const TILE_WIDTH = 256

export interface TileFile {
  readonly path: string
  readonly bytes: Buffer
}

/** `tile/<L>/<N>[.p/<W>]`, or `tile/entries/<N>[.p/<W>]` for level `'entries'`. */
export function tilePath(level: number | 'entries', index: number, width = TILE_WIDTH): string {
  if (!Number.isSafeInteger(index) || index < 0 || width < 1 || width > TILE_WIDTH) {
    throw new LedgerError('LEDGER_INVALID_ARGUMENT', `no tile ${index} of width ${width}`)
  }
  const digits = String(index).padStart(3, '0')
  const groups: string[] = []
  for (let end = digits.length; end > 0; end -= 3)
    groups.unshift(digits.slice(Math.max(0, end - 3), end).padStart(3, '0'))
  const name = groups
    .map((group, position) => (position < groups.length - 1 ? `x${group}` : group))
    .join('/')
  return `tile/${level}/${name}${width === TILE_WIDTH ? '' : `.p/${width}`}`
}

export function entryBundle(entries: readonly Uint8Array[]): Buffer {
  const parts: Buffer[] = []
  for (const entry of entries) {
    if (entry.length > 0xffff)
      throw new LedgerError('LEDGER_INVALID_ARGUMENT', 'an entry is at most 65,535 bytes')
    const length = Buffer.alloc(2)
    length.writeUInt16BE(entry.length)
    parts.push(length, Buffer.from(entry))
  }
  return Buffer.concat(parts)
}

/**
 * The tiles that the checkpoint of `size` needs beyond those of smaller sizes: at each level,
 * the full tiles and the rightmost partial one. (Full tiles are the same at every later size.)
 */
export function tilesForSize(
  leafHashes: readonly Uint8Array[],
  entries: readonly Uint8Array[],
  size: number,
): TileFile[] {
  if (size < 0 || size > leafHashes.length || size > entries.length) {
    throw new LedgerError('LEDGER_INVALID_ARGUMENT', `no tiles for size ${size}`)
  }
  const files: TileFile[] = []
  for (let start = 0; start < size; start += TILE_WIDTH) {
    const end = Math.min(size, start + TILE_WIDTH)
    files.push({
      path: tilePath('entries', start / TILE_WIDTH, end - start),
      bytes: entryBundle(entries.slice(start, end)),
    })
  }
  // Level L's hashes are the roots of consecutive complete subtrees of 256^L leaves.
  for (let level = 0, span = 1; span <= size; level++, span *= TILE_WIDTH) {
    const count = Math.floor(size / span)
    for (let start = 0; start < count; start += TILE_WIDTH) {
      const end = Math.min(count, start + TILE_WIDTH)
      const hashes: Buffer[] = []
      for (let node = start; node < end; node++)
        hashes.push(rootHash(leafHashes, node * span, (node + 1) * span))
      files.push({
        path: tilePath(level, start / TILE_WIDTH, end - start),
        bytes: Buffer.concat(hashes),
      })
    }
  }
  return files
}

export interface TileAddress {
  readonly level: number | 'entries'
  readonly index: number
  /** 256 for a full tile. */
  readonly width: number
}

const TILE_PATH =
  /^tile\/(entries|[0-9]|[1-5][0-9]|6[0-3])\/((?:x[0-9]{3}\/)*[0-9]{3})(?:\.p\/([0-9]{1,3}))?$/

/** Parses `tile/<L>/<N>[.p/<W>]` or `tile/entries/<N>[.p/<W>]` strictly, as tlog-tiles writes them. */
export function parseTilePath(path: string): TileAddress {
  const match = TILE_PATH.exec(path)
  const invalid = (): never => {
    throw new LedgerError('LEDGER_INVALID_ARGUMENT', `not a tile path: ${path.slice(0, 100)}`)
  }
  if (match === null) invalid()
  const [, levelText, indexText, widthText] = match as RegExpExecArray
  const index = Number(indexText.replace(/x|\//g, ''))
  const width = widthText === undefined ? TILE_WIDTH : Number(widthText)
  if (
    !Number.isSafeInteger(index) ||
    width < 1 ||
    width > TILE_WIDTH - (widthText === undefined ? 0 : 1)
  )
    invalid()
  // The canonical spelling only: one path per tile.
  const level = levelText === 'entries' ? 'entries' : Number(levelText)
  if (tilePath(level, index, width) !== path) invalid()
  return { level, index, width }
}
