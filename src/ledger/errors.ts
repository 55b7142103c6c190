import { EStateError } from '../shared/index.ts'

export type LedgerErrorCode =
  'LEDGER_INVALID_INCLUSION_PROOF' | 'LEDGER_INVALID_CONSISTENCY_PROOF' | 'LEDGER_INVALID_ARGUMENT'

export class LedgerError extends EStateError {
  declare readonly code: LedgerErrorCode

  constructor(code: LedgerErrorCode, message: string) {
    super(code, message)
  }
}
