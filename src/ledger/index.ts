export {
  openLedger,
  committedSize,
  latestPublished,
  type Ledger,
  type LedgerOptions,
  type PublishedCheckpoint,
  type WitnessClient,
} from './log.ts'
export {
  createTreeReader,
  rangeHash,
  storedInclusionProof,
  storedConsistencyProof,
  storedTile,
  type TreeReader,
} from './stored-tree.ts'
export { hashLeaf, hashChildren } from './merkle-hash.ts'
export {
  rootHash,
  inclusionProof,
  consistencyProof,
  verifyInclusion,
  verifyConsistency,
  inclusionRanges,
  consistencyRanges,
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
export { LedgerError, type LedgerErrorCode } from './errors.ts'
export { commitValues } from './commitment.ts'
export { buildReceipt } from './receipt.ts'
export {
  verifyReceipt,
  RECEIPT_FORMAT,
  type Receipt,
  type ReceiptOpening,
  type VerifiedReceipt,
} from './receipt-verify.ts'
export { auditLog, type AuditFinding, type LogAuditReport } from './audit.ts'
export {
  generateCosigner,
  parseCosignerKey,
  parseCosignerVerifierKey,
  cosignCheckpoint,
  verifyCosignatures,
  type Cosigner,
  type CosignerVerifier,
} from './cosignature.ts'
export {
  createWitness,
  openFileWitnessState,
  memoryWitnessState,
  formatAddCheckpoint,
  appendCosignatures,
  type Witness,
  type WitnessAnswer,
  type WitnessRecord,
  type WitnessState,
} from './witness.ts'
export {
  ledgerRecorder,
  ledgerIndicesOf,
  outboxBacklog,
  recordedEntries,
  entriesForRows,
  appendedRowsAfter,
  OUTBOX_SQL,
  type LedgerEntryToRecord,
  type LedgerRecorder,
  type LedgerTransaction,
} from './recorder.ts'
export { LEDGER_ERRORS } from './errors.ts'
export type { LedgerNeeds } from './routes.ts'
export { ledgerModule } from './module.ts'
