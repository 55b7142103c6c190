/**
 * The ledger's browser-safe part: checking receipts offline, with the log's and witnesses'
 * verifier keys. No database, no server modules: the portal bundles it for the browser.
 */
export { verifyReceipt, type Receipt, type VerifiedReceipt } from './receipt-verify.ts'
export { parseVerifierKey } from './note.ts'
export { parseCosignerVerifierKey } from './cosignature.ts'
export type { NoteVerifier } from './note.ts'
export type { CosignerVerifier } from './cosignature.ts'
