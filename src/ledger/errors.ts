import { EStateError } from '../shared/index.ts'

export type LedgerErrorCode =
  | 'LEDGER_INVALID_INCLUSION_PROOF'
  | 'LEDGER_INVALID_CONSISTENCY_PROOF'
  | 'LEDGER_INVALID_ARGUMENT'
  | 'LEDGER_MALFORMED_NOTE'
  | 'LEDGER_INVALID_SIGNATURE'
  | 'LEDGER_MALFORMED_CHECKPOINT'
  | 'LEDGER_INCOMPLETE'
  | 'LEDGER_UNKNOWN_SIZE'
  | 'LEDGER_UNKNOWN_ENTRY'
  | 'LEDGER_READ_ONLY'
  | 'LEDGER_MALFORMED_RECEIPT'
  | 'LEDGER_MALFORMED_WITNESS_STATE'

export class LedgerError extends EStateError {
  declare readonly code: LedgerErrorCode

  constructor(code: LedgerErrorCode, message: string) {
    super(code, message)
  }
}
