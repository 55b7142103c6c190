export { startOutboxDrain, type OutboxDrain, type OutboxDrainOptions } from './outbox-drain.ts'
export { hashLeaf, hashChildren } from './merkle-hash.ts'
export {
  rootHash,
  inclusionProof,
  consistencyProof,
  verifyInclusion,
  verifyConsistency,
} from './merkle.ts'
export {
  generateSigner,
  parseSignerKey,
  parseVerifierKey,
  signNote,
  openNote,
  type NoteSigner,
  type NoteVerifier,
} from './note.ts'
export { formatCheckpoint, parseCheckpoint, type Checkpoint } from './checkpoint.ts'
export {
  tilePath,
  parseTilePath,
  entryBundle,
  tilesForSize,
  TILE_WIDTH,
  type TileFile,
  type TileAddress,
} from './tiles.ts'
export { readTile } from './tile-reader.ts'
export { LedgerError, type LedgerErrorCode } from './errors.ts'
